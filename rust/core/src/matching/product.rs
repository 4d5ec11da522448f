//! Batched exact search through a fused matrix product.
//!
//! For many queries the cheapest way to find near rows is `‖q‖² + ‖g‖² − 2 q·g`: the dot products
//! form a matrix product, which runs at the CPU's FMA rate instead of its load rate. The product
//! is only an approximation in f32, so it is used as a filter: a dot product of length d is off by
//! at most d·u·‖q‖‖g‖ (u = 2⁻²⁴) and ‖q‖‖g‖ ≤ (‖q‖² + ‖g‖²)/2, so
//! `(‖q‖² + ‖g‖²)(1 − rel) − 2 q·g`, with `rel` covering that bound twice over, never exceeds the
//! true squared distance. A row is re-measured with the exact kernel only when that lower bound
//! could still enter the query's top k, so the answer is exactly the scan's.
//!
//! The kernel keeps a 6-row × 2-query-block tile of dot products in registers (query blocks are
//! 16 lanes on AVX-512, 8 on AVX2), and compares the bounds with each query's current k-th
//! distance before leaving registers: almost every tile ends in one compare and no memory write.
//! The gallery is split between tasks, which share each query's best k-th distance so far, so a
//! task filters with what the others have found.

use super::gallery::Gallery;
use super::topk::TopK;
use super::{Isa, kernels};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};
use zeroize::Zeroizing;

/// Gallery rows per parallel task: whole tiles.
const TASK_ROWS: usize = 17 * TILE_ROWS;
/// Fewest tasks a search is split into, so that two to eight cores all get several.
const MIN_TASKS: usize = 16;
/// Rows per tile: 240 rows of 128 f32 are 120 KiB and stay in L2 while the query groups visit;
/// 240 is a multiple of the register tile's rows, so only the gallery's last rows are left over.
const TILE_ROWS: usize = 240;
/// Query blocks per group: 4 blocks of 16 queries × 128 f32 are 32 KiB, about L1.
const GROUP_BLOCKS: usize = 4;
/// Gallery rows per register tile: 6 rows × 2 query blocks are 12 accumulators, which fit
/// AVX2's 16 registers beside two query vectors and a broadcast, and are enough independent FMAs
/// to cover their latency on both units. With 4 rows (8 accumulators) the FMAs waited on each
/// other: 6 rows were 15-17 % faster with AVX2 and about 10 % with AVX-512, where 8 or 12 rows
/// gained nothing more.
const R: usize = 6;

/// Queries transposed into blocks of `lanes`: block b holds `dim × lanes` values, lane-minor,
/// padded with zero queries whose bound is −∞ so they never match.
struct Packed {
    lanes: usize,
    blocks: usize,
    values: Zeroizing<Vec<f32>>,
    norms: Zeroizing<Vec<f32>>,
}

impl Packed {
    fn new(queries: &[f32], dim: usize, lanes: usize) -> Self {
        let m = queries.len() / dim;
        // An even number of blocks: the kernel takes them in pairs.
        let blocks = m.div_ceil(lanes).next_multiple_of(2);
        let mut values = Zeroizing::new(vec![0.0f32; blocks * dim * lanes]);
        let mut norms = Zeroizing::new(vec![0.0f32; blocks * lanes]);
        for (i, q) in queries.chunks_exact(dim).enumerate() {
            let (b, l) = (i / lanes, i % lanes);
            for (d, &x) in q.iter().enumerate() {
                values[b * dim * lanes + d * lanes + l] = x;
            }
            norms[i] = kernels::f32::norm_sq(q);
        }
        Self {
            lanes,
            blocks,
            values,
            norms,
        }
    }
}

/// The `k` nearest rows to each query, exactly as [`Gallery::search`]'s scan finds them.
pub(super) fn search(g: &Gallery, queries: &[f32], k: usize, limit: f32) -> Vec<TopK<f32>> {
    let lanes = if g.isa == Isa::Avx512 { 16 } else { 8 };
    let m = queries.len() / g.dim;
    let job = Job {
        g,
        queries,
        packed: Packed::new(queries, g.dim, lanes),
        k,
        limit,
        rel: 2.0 * (g.dim as f32 + 8.0) * f32::EPSILON,
        shared: (0..m).map(|_| AtomicU32::new(limit.to_bits())).collect(),
    };
    let row_tasks = g.len().div_ceil(TASK_ROWS);
    // A small gallery gives few row tasks: split the queries too, so every core has work.
    let pairs = job.packed.blocks / 2;
    let query_tasks = MIN_TASKS.div_ceil(row_tasks).clamp(1, pairs);
    let pairs_per_task = pairs.div_ceil(query_tasks);
    let tasks: Vec<(Range<usize>, Range<usize>)> = (0..pairs)
        .step_by(pairs_per_task)
        .flat_map(|p| {
            let blocks = 2 * p..2 * (p + pairs_per_task).min(pairs);
            (0..row_tasks).map(move |t| {
                (
                    t * TASK_ROWS..((t + 1) * TASK_ROWS).min(g.len()),
                    blocks.clone(),
                )
            })
        })
        .collect();
    let partial: Vec<(usize, Vec<TopK<f32>>)> = tasks
        .into_par_iter()
        .map(|(rows, blocks)| (blocks.start * lanes, job.run(rows, blocks)))
        .collect();
    let mut tops = vec![TopK::new(k, limit); m];
    for (first, part) in partial {
        for (top, found) in tops[first..].iter_mut().zip(part) {
            *top = std::mem::replace(top, TopK::new(k, limit)).merge(found);
        }
    }
    tops
}

/// One batched search: the gallery, the queries in both layouts, and the selection settings.
struct Job<'a> {
    g: &'a Gallery,
    queries: &'a [f32],
    packed: Packed,
    k: usize,
    limit: f32,
    rel: f32,
    /// Per query, the smallest k-th distance any task has found so far (f32 bits). Tasks split
    /// the gallery, so each alone would start from `limit` and offer every row that beats its
    /// own k-th so far, which with k = 10 costs as much as the product; a k-th distance found
    /// among any k real rows bounds the final k-th, so every task may filter with it.
    shared: Vec<AtomicU32>,
}

impl Job<'_> {
    /// The top k of gallery rows `rows` for the queries of blocks `blocks` (an even range).
    fn run(&self, rows: Range<usize>, blocks: Range<usize>) -> Vec<TopK<f32>> {
        let (g, dim, lanes) = (self.g, self.g.dim, self.packed.lanes);
        let m = self.queries.len() / dim;
        let first = blocks.start * lanes;
        let count = (blocks.end * lanes).min(m).saturating_sub(first);
        let mut tops = vec![TopK::new(self.k, self.limit); count];
        // Bounds for every lane of the blocks; padding lanes stay at −∞ and never match.
        let mut bounds = vec![f32::NEG_INFINITY; blocks.len() * lanes];
        bounds[..count].fill(self.limit);
        let shared = &self.shared[first..][..count];
        let offer = |qi: usize, row: usize, bounds: &mut [f32], tops: &mut [TopK<f32>]| {
            let q = &self.queries[qi * dim..][..dim];
            let d = kernels::f32::l2sq(g.isa, q, g.vectors.row(row));
            let local = qi - first;
            tops[local].push(d, g.ids[row]);
            bounds[local] = bounds[local].min(tops[local].bound());
        };
        for tile in rows.clone().step_by(TILE_ROWS) {
            let tile_end = (tile + TILE_ROWS).min(rows.end);
            for ((bound, top), seen) in bounds.iter_mut().zip(&tops).zip(shared) {
                let known = f32::from_bits(seen.load(Ordering::Relaxed));
                let own = top.bound();
                if own < known {
                    lower(seen, own);
                }
                *bound = bound.min(known);
            }
            for group in blocks.clone().step_by(GROUP_BLOCKS) {
                let group_end = (group + GROUP_BLOCKS).min(blocks.end);
                let mut r = tile;
                while r + R <= tile_end {
                    let norms: &[f32; R] = g.norms[r..][..R].try_into().expect("R norms");
                    let tile_rows = &g.vectors.as_slice()[r * dim..][..R * dim];
                    for pair in (group..group_end).step_by(2) {
                        let local = &bounds[(pair - blocks.start) * lanes..][..2 * lanes];
                        let masks = tile_masks(
                            g.isa,
                            &self.packed,
                            tile_rows,
                            norms,
                            pair,
                            local,
                            self.rel,
                        );
                        for (i, row_masks) in masks.iter().enumerate() {
                            for (b, &mask) in row_masks.iter().enumerate() {
                                let mut bits = mask;
                                while bits != 0 {
                                    let lane = bits.trailing_zeros() as usize;
                                    bits &= bits - 1;
                                    offer((pair + b) * lanes + lane, r + i, &mut bounds, &mut tops);
                                }
                            }
                        }
                    }
                    r += R;
                }
                // The last rows of a tile that do not fill a register tile: measured exactly.
                for row in r..tile_end {
                    for qi in group * lanes..(group_end * lanes).min(m) {
                        offer(qi, row, &mut bounds, &mut tops);
                    }
                }
            }
        }
        tops
    }
}

/// `seen = min(seen, value)` for non-negative f32 bits or +∞ (a distance or a limit); a NaN
/// or negative value is never stored, so the bits order as the values do.
fn lower(seen: &AtomicU32, value: f32) {
    if value >= 0.0 {
        seen.fetch_min(value.to_bits(), Ordering::Relaxed);
    }
}

/// For register tile rows × query blocks `pair`, `pair + 1`: one bit per (row, block, lane)
/// whose lower bound is at most that query's bound (`bounds`: the pair's 2 × lanes bounds),
/// indexed `[row][block]`.
fn tile_masks(
    isa: Isa,
    packed: &Packed,
    rows: &[f32],
    norms: &[f32; R],
    pair: usize,
    bounds: &[f32],
    rel: f32,
) -> [[u32; 2]; R] {
    let (lanes, dim) = (packed.lanes, rows.len() / R);
    let span = dim * lanes;
    let queries = &packed.values[pair * span..(pair + 2) * span];
    let qn = &packed.norms[pair * lanes..(pair + 2) * lanes];
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `search` is only called with AVX2 or AVX-512 paths that `Isa::is_supported`
        // confirmed; the lane count matches the path.
        Isa::Avx512 => unsafe { x86::tile16(rows, norms, queries, qn, bounds, rel) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { x86::tile8(rows, norms, queries, qn, bounds, rel) },
        _ => unreachable!("the product strategy is only chosen for SIMD paths"),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::R;
    use crate::matching::kernels::load::{load8, load16};
    use std::arch::x86_64::*;

    /// Splits `R` rows of `dim` values.
    fn split_rows(rows: &[f32]) -> [&[f32]; R] {
        let dim = rows.len() / R;
        std::array::from_fn(|r| &rows[r * dim..(r + 1) * dim])
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn tile16(
        rows: &[f32],
        norms: &[f32; R],
        queries: &[f32],
        qn: &[f32],
        bounds: &[f32],
        rel: f32,
    ) -> [[u32; 2]; R] {
        let g = split_rows(rows);
        let (qa, qb) = queries.split_at(queries.len() / 2);
        let (qa, qb) = (qa.as_chunks::<16>().0, qb.as_chunks::<16>().0);
        let dim = qa.len();
        assert!(qb.len() == dim && g.iter().all(|row| row.len() == dim));
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        for d in 0..dim {
            let (a, b) = (load16(&qa[d]), load16(&qb[d]));
            for (acc, row) in acc.iter_mut().zip(&g) {
                let x = _mm512_set1_ps(row[d]);
                acc[0] = _mm512_fmadd_ps(x, a, acc[0]);
                acc[1] = _mm512_fmadd_ps(x, b, acc[1]);
            }
        }
        let keep = _mm512_set1_ps(1.0 - rel);
        let qn: [&[f32; 16]; 2] = [qn[..16].try_into().unwrap(), qn[16..32].try_into().unwrap()];
        let bd: [&[f32; 16]; 2] = [
            bounds[..16].try_into().unwrap(),
            bounds[16..32].try_into().unwrap(),
        ];
        std::array::from_fn(|r| {
            std::array::from_fn(|blk| {
                let sum = _mm512_add_ps(load16(qn[blk]), _mm512_set1_ps(norms[r]));
                let dot = acc[r][blk];
                let low = _mm512_sub_ps(_mm512_mul_ps(sum, keep), _mm512_add_ps(dot, dot));
                u32::from(_mm512_cmp_ps_mask::<_CMP_LE_OQ>(low, load16(bd[blk])))
            })
        })
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn tile8(
        rows: &[f32],
        norms: &[f32; R],
        queries: &[f32],
        qn: &[f32],
        bounds: &[f32],
        rel: f32,
    ) -> [[u32; 2]; R] {
        let g = split_rows(rows);
        let (qa, qb) = queries.split_at(queries.len() / 2);
        let (qa, qb) = (qa.as_chunks::<8>().0, qb.as_chunks::<8>().0);
        let dim = qa.len();
        assert!(qb.len() == dim && g.iter().all(|row| row.len() == dim));
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        for d in 0..dim {
            let (a, b) = (load8(&qa[d]), load8(&qb[d]));
            for (acc, row) in acc.iter_mut().zip(&g) {
                let x = _mm256_set1_ps(row[d]);
                acc[0] = _mm256_fmadd_ps(x, a, acc[0]);
                acc[1] = _mm256_fmadd_ps(x, b, acc[1]);
            }
        }
        let keep = _mm256_set1_ps(1.0 - rel);
        let qn: [&[f32; 8]; 2] = [qn[..8].try_into().unwrap(), qn[8..16].try_into().unwrap()];
        let bd: [&[f32; 8]; 2] = [
            bounds[..8].try_into().unwrap(),
            bounds[8..16].try_into().unwrap(),
        ];
        std::array::from_fn(|r| {
            std::array::from_fn(|blk| {
                let sum = _mm256_add_ps(load8(qn[blk]), _mm256_set1_ps(norms[r]));
                let dot = acc[r][blk];
                let low = _mm256_sub_ps(_mm256_mul_ps(sum, keep), _mm256_add_ps(dot, dot));
                let le = _mm256_cmp_ps::<_CMP_LE_OQ>(low, load8(bd[blk]));
                _mm256_movemask_ps(le) as u32
            })
        })
    }
}
