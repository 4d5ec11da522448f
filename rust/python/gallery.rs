//! `facegate._core.Gallery`.

use crate::detach::detached;
use crate::errors::{Error, Result, poisoned};
use facegate_core::matching::{Gallery, Isa, MatrixRef, Metric, SearchParams};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use zeroize::Zeroizing;

/// The gallery shared by every Python thread that holds it.
///
/// `frozen` with an inner `RwLock` because Python threads (and free-threaded Python) may call
/// concurrently: searches share the read lock, changes take the write lock. Every heavy call
/// copies its inputs into Rust memory and releases the GIL, since a borrowed numpy array could be
/// changed by another thread while we read it.
#[pyclass(frozen, name = "Gallery", module = "facegate._core")]
pub struct PyGallery {
    inner: RwLock<Gallery>,
}

/// Copies a float32 matrix into a buffer wiped on drop; returns it with its column count.
pub fn copy_matrix(a: &PyReadonlyArray2<'_, f32>) -> (Zeroizing<Vec<f32>>, usize) {
    let cols = a.as_array().ncols();
    let values = match a.as_slice() {
        Ok(contiguous) => contiguous.to_vec(),
        Err(_) => a.as_array().iter().copied().collect(),
    };
    (Zeroizing::new(values), cols)
}

impl PyGallery {
    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Gallery>> {
        self.inner.read().map_err(|_| poisoned())
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Gallery>> {
        self.inner.write().map_err(|_| poisoned())
    }
}

#[pymethods]
impl PyGallery {
    #[new]
    #[pyo3(signature = (dim = 128, *, metric = "euclidean", quantized = false, simd = None))]
    fn new(dim: usize, metric: &str, quantized: bool, simd: Option<&str>) -> Result<Self> {
        let mut gallery = Gallery::new(dim, Metric::parse(metric)?, quantized)?;
        if let Some(name) = simd {
            gallery = gallery.with_isa(Isa::parse(name)?)?;
        }
        Ok(Self {
            inner: RwLock::new(gallery),
        })
    }

    fn add(
        &self,
        py: Python<'_>,
        ids: PyReadonlyArray1<'_, u64>,
        vectors: PyReadonlyArray2<'_, f32>,
    ) -> Result<()> {
        let ids = ids.as_array().to_vec();
        let (values, cols) = copy_matrix(&vectors);
        detached(py, || {
            self.write()?.add(&ids, MatrixRef::new(&values, cols)?)?;
            Ok::<_, Error>(())
        })
    }

    fn remove(&self, py: Python<'_>, ids: PyReadonlyArray1<'_, u64>) -> Result<()> {
        let ids = ids.as_array().to_vec();
        detached(py, || {
            self.write()?.remove(&ids)?;
            Ok::<_, Error>(())
        })
    }

    fn clear(&self, py: Python<'_>) -> Result<()> {
        detached(py, || {
            self.write()?.clear();
            Ok::<_, Error>(())
        })
    }

    #[pyo3(signature = (queries, k = 1, max_distance = None, rerank = None, exact = false))]
    #[allow(clippy::type_complexity)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        queries: PyReadonlyArray2<'py, f32>,
        k: usize,
        max_distance: Option<f32>,
        rerank: Option<usize>,
        exact: bool,
    ) -> Result<(Bound<'py, PyArray2<u64>>, Bound<'py, PyArray2<f32>>)> {
        let (values, cols) = copy_matrix(&queries);
        let params = SearchParams {
            k,
            max_distance,
            rerank,
            exact,
        };
        let found = detached(py, || {
            Ok::<_, Error>(
                self.read()?
                    .search(MatrixRef::new(&values, cols)?, &params)?,
            )
        })?;
        // The core clamps k to the gallery's size: the width is what it returned.
        let shape = (values.len() / cols.max(1), found.k);
        let ids = Array2::from_shape_vec(shape, found.ids).expect("m × k ids");
        let distances = Array2::from_shape_vec(shape, found.distances).expect("m × k distances");
        Ok((ids.into_pyarray(py), distances.into_pyarray(py)))
    }

    fn ids<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyArray1<u64>>> {
        Ok(self.read()?.ids().to_vec().into_pyarray(py))
    }

    fn __len__(&self) -> Result<usize> {
        Ok(self.read()?.len())
    }

    fn __contains__(&self, id: u64) -> Result<bool> {
        Ok(self.read()?.contains(id))
    }

    #[getter]
    fn nbytes(&self) -> Result<usize> {
        Ok(self.read()?.nbytes())
    }

    #[getter]
    fn dim(&self) -> Result<usize> {
        Ok(self.read()?.dim())
    }

    #[getter]
    fn metric(&self) -> Result<&'static str> {
        Ok(self.read()?.metric().name())
    }

    #[getter]
    fn quantized(&self) -> Result<bool> {
        Ok(self.read()?.is_quantized())
    }

    #[getter]
    fn simd(&self) -> Result<&'static str> {
        Ok(self.read()?.isa().name())
    }
}
