//! The gallery: enrolled templates, their ids, and the bookkeeping that keeps them in step.

use super::quant::Codes;
use super::rows::Rows;
use super::{Isa, MatrixRef, kernels};
use crate::error::CoreError;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use zeroize::Zeroizing;

/// The id that marks an empty result slot; it cannot be added.
pub const NO_ID: u64 = u64::MAX;

/// Widest vectors a gallery accepts (bounded so the int8 accumulators cannot overflow).
pub const MAX_DIM: usize = kernels::i8::MAX_DIM;

/// How distances are measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Euclidean distance, what dlib face encodings are compared with (match below 0.6).
    Euclidean,
    /// Cosine distance `1 - cos(a, b)`, in [0, 2]. Rows are stored normalised, and the distance is
    /// computed as half the squared Euclidean distance of the unit vectors, which equals it.
    Cosine,
}

impl Metric {
    /// The name used in the Python API.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Cosine => "cosine",
        }
    }

    /// Parses a name as written by [`Metric::name`].
    pub fn from_name(name: &str) -> Option<Metric> {
        [Metric::Euclidean, Metric::Cosine]
            .into_iter()
            .find(|m| m.name() == name)
    }

    /// Parses a name given by a caller; `InvalidArgument` names the choices.
    pub fn parse(name: &str) -> Result<Metric, CoreError> {
        Self::from_name(name).ok_or_else(|| {
            CoreError::InvalidArgument(format!(
                "metric must be 'euclidean' or 'cosine', got {name:?}"
            ))
        })
    }
}

/// Templates with u64 ids, searched by exact f32 scan, or by int8 scan plus exact re-rank when
/// built with `quantized`.
pub struct Gallery {
    pub(super) dim: usize,
    pub(super) metric: Metric,
    pub(super) isa: Isa,
    pub(super) ids: Vec<u64>,
    position: HashMap<u64, usize>,
    pub(super) vectors: Rows<f32>,
    /// Squared norms of the stored rows, for the matrix-product form of batched search.
    pub(super) norms: Vec<f32>,
    pub(super) codes: Option<Codes>,
}

impl Gallery {
    /// An empty gallery of `dim`-wide vectors using the fastest SIMD path this CPU has.
    pub fn new(dim: usize, metric: Metric, quantized: bool) -> Result<Self, CoreError> {
        if dim == 0 || dim > MAX_DIM {
            return Err(CoreError::InvalidArgument(format!(
                "dim must be between 1 and {MAX_DIM}, got {dim}"
            )));
        }
        Ok(Self {
            dim,
            metric,
            isa: Isa::best(),
            ids: Vec::new(),
            position: HashMap::new(),
            vectors: Rows::new(dim),
            norms: Vec::new(),
            codes: quantized.then(|| Codes::new(dim)),
        })
    }

    /// Pins the SIMD path (tests and benchmarks compare paths); refuses one this CPU lacks.
    pub fn with_isa(mut self, isa: Isa) -> Result<Self, CoreError> {
        if !isa.is_supported() {
            return Err(CoreError::InvalidArgument(format!(
                "this CPU does not support the {} SIMD path",
                isa.name()
            )));
        }
        self.isa = isa;
        Ok(self)
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn metric(&self) -> Metric {
        self.metric
    }

    pub fn isa(&self) -> Isa {
        self.isa
    }

    pub fn is_quantized(&self) -> bool {
        self.codes.is_some()
    }

    /// Number of templates.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Ids in storage order (which changes on removal).
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// Bytes of vector, code, norm and id storage held, spare capacity included.
    pub fn nbytes(&self) -> usize {
        self.vectors.capacity_bytes()
            + self.codes.as_ref().map_or(0, Codes::capacity_bytes)
            + self.norms.capacity() * std::mem::size_of::<f32>()
            + self.ids.capacity() * std::mem::size_of::<u64>()
    }

    /// Adds rows under `ids`, all or nothing: every check runs before anything is stored.
    pub fn add(&mut self, ids: &[u64], vectors: MatrixRef<'_>) -> Result<(), CoreError> {
        self.check_new(ids, vectors)?;
        match self.metric {
            Metric::Euclidean => self.vectors.extend(vectors.as_slice()),
            Metric::Cosine => self.vectors.extend(&vectors.normalized()?),
        }
        self.commit(ids);
        Ok(())
    }

    /// Like [`Gallery::add`] for rows the caller no longer needs: an empty Euclidean gallery
    /// adopts the buffer instead of copying it (loading a store of a million templates).
    pub fn add_owned(&mut self, ids: &[u64], values: Zeroizing<Vec<f32>>) -> Result<(), CoreError> {
        let view = MatrixRef::new(&values, self.dim)?;
        self.check_new(ids, view)?;
        match self.metric {
            Metric::Euclidean => self.vectors.extend_owned(values),
            Metric::Cosine => self.vectors.extend(&view.normalized()?),
        }
        self.commit(ids);
        Ok(())
    }

    /// Every check `add` makes, before anything changes.
    fn check_new(&self, ids: &[u64], vectors: MatrixRef<'_>) -> Result<(), CoreError> {
        if ids.len() != vectors.rows() {
            return Err(CoreError::LengthMismatch {
                ids: ids.len(),
                rows: vectors.rows(),
            });
        }
        vectors.check(self.dim)?;
        if ids.contains(&NO_ID) {
            return Err(CoreError::ReservedId);
        }
        if let Some(&id) = ids.iter().find(|id| self.position.contains_key(id)) {
            return Err(CoreError::DuplicateId { id });
        }
        // Sorting finds repeats within the batch faster than a hash set for large loads.
        let mut sorted = ids.to_vec();
        sorted.par_sort_unstable();
        match sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            Some(pair) => Err(CoreError::RepeatedId { id: pair[0] }),
            None => Ok(()),
        }
    }

    /// Records `ids` for the rows just appended to `vectors`, and their norms and codes.
    fn commit(&mut self, ids: &[u64]) {
        let first = self.ids.len();
        self.position.reserve(ids.len());
        for (at, &id) in (first..).zip(ids) {
            self.position.insert(id, at);
        }
        self.ids.extend_from_slice(ids);
        let added = &self.vectors.as_slice()[first * self.dim..];
        self.norms
            .par_extend(added.par_chunks_exact(self.dim).map(kernels::f32::norm_sq));
        if let Some(codes) = &mut self.codes {
            codes.extend(added, self.vectors.as_slice());
        }
    }

    /// Removes `ids`, all or nothing, wiping their vectors and codes from memory.
    pub fn remove(&mut self, ids: &[u64]) -> Result<(), CoreError> {
        let mut seen = HashSet::with_capacity(ids.len());
        for &id in ids {
            if !self.position.contains_key(&id) {
                return Err(CoreError::UnknownId { id });
            }
            if !seen.insert(id) {
                return Err(CoreError::RepeatedId { id });
            }
        }
        for &id in ids {
            let at = self.position.remove(&id).expect("checked above");
            self.vectors.swap_remove(at);
            self.norms.swap_remove(at);
            self.ids.swap_remove(at);
            if let Some(codes) = &mut self.codes {
                codes.swap_remove(at);
            }
            if let Some(&moved) = self.ids.get(at) {
                self.position.insert(moved, at);
            }
        }
        Ok(())
    }

    /// Removes every template, wiping them from memory.
    pub fn clear(&mut self) {
        self.ids.clear();
        self.position.clear();
        self.vectors.clear();
        self.norms.clear();
        if let Some(codes) = &mut self.codes {
            codes.clear();
        }
    }

    /// Whether `id` is stored.
    pub fn contains(&self, id: u64) -> bool {
        self.position.contains_key(&id)
    }
}
