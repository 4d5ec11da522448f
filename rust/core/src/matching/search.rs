//! k-nearest-neighbour search over a [`Gallery`].
//!
//! Three strategies, one answer. Every returned distance comes from the same exact f32 kernel,
//! so the strategies differ only in how they find candidates:
//! - scan: distances to every row, block by block (few queries);
//! - product: for batches, `‖q‖² + ‖g‖² − 2 q·g` from a matrix product (the `gemm` crate) is an
//!   approximation with a known error bound; rows whose approximation, minus that bound, could
//!   still enter the top k are re-measured exactly;
//! - compressed: an int8 scan picks `rerank` candidates, which are re-measured exactly.
//!
//! Work is split over gallery chunks with rayon, and the per-chunk selections are merged.

use super::gallery::{Gallery, Metric, NO_ID};
use super::topk::TopK;
use super::{Isa, MatrixRef, kernels, product};
use crate::error::CoreError;
use rayon::prelude::*;
use std::ops::Deref;

/// Rows a parallel task scans: large enough to amortise task overhead, small enough to balance.
const CHUNK_ROWS: usize = 8192;
/// Rows whose distances one kernel call writes: the block stays in L2 while each query visits it.
const BLOCK_ROWS: usize = 256;
/// Batches at least this large use the matrix-product strategy (on the AVX2 and AVX-512 paths).
pub const PRODUCT_MIN_QUERIES: usize = 16;

/// What to search for.
#[derive(Clone, Copy, Debug)]
pub struct SearchParams {
    /// Neighbours per query; more than the gallery holds is clamped (see [`Gallery::search`]).
    pub k: usize,
    /// Largest distance returned (inclusive); `None` for no limit.
    pub max_distance: Option<f32>,
    /// Candidates the compressed scan passes to the exact re-rank; `None` for the default.
    pub rerank: Option<usize>,
    /// Scan the f32 rows even when the gallery keeps int8 codes.
    pub exact: bool,
}

impl SearchParams {
    /// The `k` nearest, no distance limit, default re-rank depth.
    pub fn k(k: usize) -> Self {
        Self {
            k,
            max_distance: None,
            rerank: None,
            exact: false,
        }
    }
}

/// Candidates re-ranked by default: measured on clustered synthetic galleries of up to 1M rows to
/// give recall@1 of 1.0 against exact search (see benches/RESULTS.md).
pub fn default_rerank(k: usize) -> usize {
    (4 * k).max(32)
}

/// Search results: `queries × k` ids and distances, ascending; empty slots hold [`NO_ID`] and
/// infinity. `k` is the width actually returned, after clamping.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbors {
    pub k: usize,
    pub ids: Vec<u64>,
    pub distances: Vec<f32>,
}

impl Gallery {
    /// The `params.k` nearest stored rows to each query row.
    ///
    /// `k` is clamped to the gallery's size, but to at least one column when `k` is not zero:
    /// the result never holds more than `queries × max(len, 1)` slots, whatever `k` asks for,
    /// and its first column is always there (the nearest, or [`NO_ID`] when there is none).
    /// A result too large to allocate is refused with `InvalidArgument`, not an abort.
    pub fn search(
        &self,
        queries: MatrixRef<'_>,
        params: &SearchParams,
    ) -> Result<Neighbors, CoreError> {
        queries.check(self.dim)?;
        if let Some(t) = params.max_distance
            && (t.is_nan() || t < 0.0)
        {
            return Err(CoreError::InvalidArgument(
                "max_distance must be a non-negative number".into(),
            ));
        }
        let k = params.k.min(self.len().max(1));
        let normalized;
        let queries: &[f32] = match self.metric {
            Metric::Euclidean => queries.as_slice(),
            Metric::Cosine => {
                normalized = queries.normalized()?;
                normalized.deref()
            }
        };
        // Selection runs on squared Euclidean distances; the limit is loosened by a relative
        // 1e-5 here and applied exactly to the final distances below.
        let limit = match (params.max_distance, self.metric) {
            (None, _) => f32::INFINITY,
            (Some(t), Metric::Euclidean) => t * t * (1.0 + 1e-5) + f32::MIN_POSITIVE,
            (Some(t), Metric::Cosine) => 2.0 * t * (1.0 + 1e-5) + f32::MIN_POSITIVE,
        };
        let m = queries.len() / self.dim;
        let mut out = Neighbors::reserve(m, k)?;
        let tops = if k == 0 || self.is_empty() || m == 0 {
            vec![TopK::new(k, limit); m]
        } else if let (Some(codes), false, true) =
            (&self.codes, params.exact, m < PRODUCT_MIN_QUERIES)
        {
            let depth = params
                .rerank
                .unwrap_or_else(|| default_rerank(k))
                .clamp(k, self.len());
            let coded = codes.encode(queries);
            // Candidates are labelled by row index, which the re-rank needs.
            let candidates = scan(
                self.dim,
                &coded,
                codes.as_slice(),
                (depth, i32::MAX),
                |i| i as u64,
                |q, first, _, o| codes.l2sq_block(self.isa, q, first, o),
            );
            self.rerank(queries, candidates, k, limit)
        } else if m >= PRODUCT_MIN_QUERIES && self.isa != Isa::Portable {
            product::search(self, queries, k, limit)
        } else {
            let ids = &self.ids;
            scan(
                self.dim,
                queries,
                self.vectors.as_slice(),
                (k, limit),
                |i| ids[i],
                |q, _, r, o| kernels::f32::l2sq_rows(self.isa, q, r, o),
            )
        };
        self.finish(tops, params.max_distance, &mut out);
        Ok(out)
    }

    /// Exact distances for the int8 candidates of each query.
    fn rerank(
        &self,
        queries: &[f32],
        candidates: Vec<TopK<i32>>,
        k: usize,
        limit: f32,
    ) -> Vec<TopK<f32>> {
        candidates
            .into_par_iter()
            .zip(queries.par_chunks_exact(self.dim))
            .map(|(cands, q)| {
                let mut top = TopK::new(k, limit);
                for (_, row) in cands.into_sorted() {
                    let row = row as usize;
                    let exact = kernels::f32::l2sq(self.isa, q, self.vectors.row(row));
                    top.push(exact, self.ids[row]);
                }
                top
            })
            .collect()
    }

    /// Converts squared distances to the metric, applies the exact limit, pads empty slots.
    fn finish(&self, tops: Vec<TopK<f32>>, max_distance: Option<f32>, out: &mut Neighbors) {
        let Neighbors { k, ids, distances } = out;
        let k = *k;
        for top in tops {
            let mut kept = 0;
            for (sq, id) in top.into_sorted() {
                let d = match self.metric {
                    Metric::Euclidean => sq.sqrt(),
                    Metric::Cosine => sq / 2.0,
                };
                if max_distance.is_none_or(|t| d <= t) {
                    ids.push(id);
                    distances.push(d);
                    kept += 1;
                }
            }
            ids.extend(std::iter::repeat_n(NO_ID, k - kept));
            distances.extend(std::iter::repeat_n(f32::INFINITY, k - kept));
        }
    }
}

impl Neighbors {
    /// Empty results with room for `m × k` slots, or `InvalidArgument` when the allocator
    /// cannot provide them (an abort would take the whole process down).
    fn reserve(m: usize, k: usize) -> Result<Self, CoreError> {
        let too_many = || {
            CoreError::InvalidArgument(format!(
                "{m} queries x {k} neighbours is more results than memory holds; ask for fewer"
            ))
        };
        let slots = m.checked_mul(k).ok_or_else(too_many)?;
        let mut ids = Vec::new();
        let mut distances = Vec::new();
        ids.try_reserve_exact(slots).map_err(|_| too_many())?;
        distances.try_reserve_exact(slots).map_err(|_| too_many())?;
        Ok(Self { k, ids, distances })
    }
}

/// Distances from every query to every row through `kernel`, keeping the `k` smallest keys at
/// most `limit` per query, each under the label `label` gives its row index.
fn scan<T, K>(
    dim: usize,
    queries: &[T],
    rows: &[T],
    (k, limit): (usize, K),
    label: impl Fn(usize) -> u64 + Sync,
    kernel: impl Fn(&[T], usize, &[T], &mut [K]) + Sync,
) -> Vec<TopK<K>>
where
    T: Sync,
    K: PartialOrd + Copy + Default + Send + Sync,
{
    let m = queries.len() / dim;
    rows.par_chunks(CHUNK_ROWS * dim)
        .enumerate()
        .map(|(chunk, chunk_rows)| {
            let mut tops = vec![TopK::new(k, limit); m];
            let mut keys = [K::default(); BLOCK_ROWS];
            for (block, block_rows) in chunk_rows.chunks(BLOCK_ROWS * dim).enumerate() {
                let n = block_rows.len() / dim;
                let first = chunk * CHUNK_ROWS + block * BLOCK_ROWS;
                for (q, top) in queries.chunks_exact(dim).zip(tops.iter_mut()) {
                    kernel(q, first, block_rows, &mut keys[..n]);
                    let mut bound = top.bound();
                    for (j, &key) in keys[..n].iter().enumerate() {
                        if key <= bound {
                            top.push(key, label(first + j));
                            bound = top.bound();
                        }
                    }
                }
            }
            tops
        })
        .reduce(|| vec![TopK::new(k, limit); m], merge_all)
}

pub(super) fn merge_all<K: PartialOrd + Copy>(a: Vec<TopK<K>>, b: Vec<TopK<K>>) -> Vec<TopK<K>> {
    a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect()
}

#[cfg(test)]
mod tests;
