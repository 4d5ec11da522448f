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
use super::{MatrixRef, kernels};
use crate::error::CoreError;
use rayon::prelude::*;
use std::ops::Deref;
use zeroize::Zeroizing;

/// Rows a parallel task scans: large enough to amortise task overhead, small enough to balance.
const CHUNK_ROWS: usize = 8192;
/// Rows whose distances one kernel call writes: the block stays in L2 while each query visits it.
const BLOCK_ROWS: usize = 256;
/// Batches at least this large use the matrix-product strategy.
pub const PRODUCT_MIN_QUERIES: usize = 16;
/// Queries per matrix product, and gallery rows per product task.
const PRODUCT_QUERIES: usize = 256;
const PRODUCT_ROWS: usize = 2048;

/// Largest `k` accepted: the result alone is `queries × k` slots.
pub const MAX_K: usize = 1 << 20;

/// What to search for.
#[derive(Clone, Copy, Debug)]
pub struct SearchParams {
    /// Neighbours per query.
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
/// infinity.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbors {
    pub k: usize,
    pub ids: Vec<u64>,
    pub distances: Vec<f32>,
}

impl Gallery {
    /// The `params.k` nearest stored rows to each query row.
    pub fn search(
        &self,
        queries: MatrixRef<'_>,
        params: &SearchParams,
    ) -> Result<Neighbors, CoreError> {
        queries.check(self.dim)?;
        if params.k > MAX_K {
            return Err(CoreError::InvalidArgument(format!(
                "k must be at most {MAX_K}, got {}",
                params.k
            )));
        }
        if let Some(t) = params.max_distance
            && (t.is_nan() || t < 0.0)
        {
            return Err(CoreError::InvalidArgument(
                "max_distance must be a non-negative number".into(),
            ));
        }
        let k = params.k;
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
        let tops = if k == 0 || self.is_empty() || m == 0 {
            vec![TopK::new(k, limit); m]
        } else if let (Some(codes), false) = (&self.codes, params.exact) {
            let depth = params.rerank.unwrap_or_else(|| default_rerank(k)).max(k);
            let coded = codes.encode(queries);
            // Candidates are labelled by row index, which the re-rank needs.
            let candidates = scan(
                self.dim,
                &coded,
                codes.as_slice(),
                (depth, i32::MAX),
                |i| i as u64,
                |q, r, o| kernels::i8::l2sq_rows(self.isa, q, r, o),
            );
            self.rerank(queries, candidates, k, limit)
        } else if m >= PRODUCT_MIN_QUERIES {
            product(self, queries, k, limit)
        } else {
            let ids = &self.ids;
            scan(
                self.dim,
                queries,
                self.vectors.as_slice(),
                (k, limit),
                |i| ids[i],
                |q, r, o| kernels::f32::l2sq_rows(self.isa, q, r, o),
            )
        };
        Ok(self.finish(tops, k, params.max_distance))
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
    fn finish(&self, tops: Vec<TopK<f32>>, k: usize, max_distance: Option<f32>) -> Neighbors {
        let mut ids = Vec::with_capacity(tops.len() * k);
        let mut distances = Vec::with_capacity(tops.len() * k);
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
        Neighbors { k, ids, distances }
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
    kernel: impl Fn(&[T], &[T], &mut [K]) + Sync,
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
                    kernel(q, block_rows, &mut keys[..n]);
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

/// The matrix-product strategy for batches (see the module docs for why it is exact).
fn product(g: &Gallery, queries: &[f32], k: usize, limit: f32) -> Vec<TopK<f32>> {
    let dim = g.dim;
    let m = queries.len() / dim;
    let qnorms: Zeroizing<Vec<f32>> = Zeroizing::new(
        queries
            .chunks_exact(dim)
            .map(kernels::f32::norm_sq)
            .collect(),
    );
    // A dot product of length d in f32 is off by at most d·u·‖q‖‖g‖ (u = 2⁻²⁴), and
    // ‖q‖‖g‖ ≤ (‖q‖² + ‖g‖²)/2; doubling that covers the factor 2 in front of q·g, the rounding
    // of the norms and of the sum; a further factor 2 is headroom.
    let rel = 2.0 * (dim as f32 + 8.0) * f32::EPSILON;
    let isa = g.isa;
    g.vectors
        .as_slice()
        .par_chunks(PRODUCT_ROWS * dim)
        .enumerate()
        .map(|(chunk, rows)| {
            let n = rows.len() / dim;
            let base = chunk * PRODUCT_ROWS;
            let (ids, norms) = (&g.ids[base..base + n], &g.norms[base..base + n]);
            let mut tops = vec![TopK::new(k, limit); m];
            let mut dots = Zeroizing::new(vec![0.0f32; PRODUCT_QUERIES * n]);
            let mut approx = Zeroizing::new(vec![0.0f32; n]);
            for (qb, qblock) in queries.chunks(PRODUCT_QUERIES * dim).enumerate() {
                let mq = qblock.len() / dim;
                matmul_transposed(qblock, rows, dim, &mut dots[..mq * n]);
                for i in 0..mq {
                    let qi = qb * PRODUCT_QUERIES + i;
                    let (q, qn) = (&queries[qi * dim..][..dim], qnorms[qi]);
                    let row_dots = &dots[i * n..][..n];
                    // A lower bound of each true squared distance, vectorised by the compiler.
                    for ((a, &dot), &gn) in approx.iter_mut().zip(row_dots).zip(norms) {
                        *a = (qn + gn) * (1.0 - rel) - 2.0 * dot;
                    }
                    let top = &mut tops[qi];
                    let mut bound = top.bound();
                    for (j, &low) in approx.iter().enumerate() {
                        if low <= bound {
                            top.push(kernels::f32::l2sq(isa, q, &rows[j * dim..][..dim]), ids[j]);
                            bound = top.bound();
                        }
                    }
                }
            }
            tops
        })
        .reduce(|| vec![TopK::new(k, limit); m], merge_all)
}

/// `out[i][j] = a[i] · b[j]` for row-major `a` (m × dim) and `b` (n × dim), single-threaded
/// (the caller parallelises over chunks of `b`).
fn matmul_transposed(a: &[f32], b: &[f32], dim: usize, out: &mut [f32]) {
    let (m, n) = (a.len() / dim, b.len() / dim);
    debug_assert_eq!(out.len(), m * n);
    // SAFETY: `out` holds m·n values with row stride n; `a` is m × dim with row stride dim;
    // `b` read as a dim × n matrix has element (r, c) at c·dim + r, inside its m·dim values.
    // No pointer aliases a written one.
    unsafe {
        gemm::gemm(
            m,
            n,
            dim,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            dim as isize,
            b.as_ptr(),
            dim as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

fn merge_all<K: PartialOrd + Copy>(a: Vec<TopK<K>>, b: Vec<TopK<K>>) -> Vec<TopK<K>> {
    a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect()
}

#[cfg(test)]
mod tests;
