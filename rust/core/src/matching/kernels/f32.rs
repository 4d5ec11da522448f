//! Squared Euclidean distance between f32 vectors.
//!
//! The SIMD paths differ from the portable one only in the order of additions, so results agree
//! to a few units in the last place; within one path they are deterministic, which is what makes
//! ties reproducible.

use crate::matching::Isa;

/// Squared Euclidean distance between `a` and `b` (equal lengths).
pub fn l2sq(isa: Isa, a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa` other than Portable is only used after `Isa::is_supported` said the
        // CPU has the features that the called function enables.
        Isa::Avx512 => unsafe { x86::l2sq_avx512(a, b) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, AVX2 and FMA were detected.
        Isa::Avx2 => unsafe { x86::l2sq_avx2(a, b) },
        _ => l2sq_portable(a, b),
    }
}

/// Squared distances from `q` to each `q.len()`-wide row of `rows`, into `out` (one per row).
pub fn l2sq_rows(isa: Isa, q: &[f32], rows: &[f32], out: &mut [f32]) {
    let dim = q.len();
    debug_assert_eq!(rows.len(), dim * out.len());
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: see `l2sq`.
        Isa::Avx512 => unsafe { x86::rows_avx512(q, rows, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: see `l2sq`.
        Isa::Avx2 => unsafe { x86::rows_avx2(q, rows, out) },
        _ => {
            for (row, d) in rows.chunks_exact(dim).zip(out.iter_mut()) {
                *d = l2sq_portable(q, row);
            }
        }
    }
}

/// Sum of squares of `a` (the squared norm), in f64 so that norms are accurate to the last bit.
pub fn norm_sq(a: &[f32]) -> f32 {
    a.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() as f32
}

/// Eight independent accumulators let the compiler vectorise without reassociating.
pub fn l2sq_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    for (x, y) in ta.iter().zip(tb) {
        let d = x - y;
        acc[0] += d * d;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::load::{load_tail16, load8, load16, prefetch_past};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub(super) fn l2sq_avx512(a: &[f32], b: &[f32]) -> f32 {
        let (a32, a_rest) = a.as_chunks::<32>();
        let (b32, b_rest) = b.as_chunks::<32>();
        let mut acc0 = _mm512_setzero_ps();
        let mut acc1 = _mm512_setzero_ps();
        // Two accumulators halve the FMA dependency chain.
        for (x, y) in a32.iter().zip(b32) {
            let (x0, x1) = x.split_at(16);
            let (y0, y1) = y.split_at(16);
            let d0 = _mm512_sub_ps(
                load16(x0.try_into().unwrap()),
                load16(y0.try_into().unwrap()),
            );
            let d1 = _mm512_sub_ps(
                load16(x1.try_into().unwrap()),
                load16(y1.try_into().unwrap()),
            );
            acc0 = _mm512_fmadd_ps(d0, d0, acc0);
            acc1 = _mm512_fmadd_ps(d1, d1, acc1);
        }
        let (a16, a_tail) = a_rest.as_chunks::<16>();
        let (b16, b_tail) = b_rest.as_chunks::<16>();
        for (x, y) in a16.iter().zip(b16) {
            let d = _mm512_sub_ps(load16(x), load16(y));
            acc0 = _mm512_fmadd_ps(d, d, acc0);
        }
        if !a_tail.is_empty() {
            let d = _mm512_sub_ps(load_tail16(a_tail), load_tail16(b_tail));
            acc1 = _mm512_fmadd_ps(d, d, acc1);
        }
        _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1))
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn rows_avx512(q: &[f32], rows: &[f32], out: &mut [f32]) {
        for (row, d) in rows.chunks_exact(q.len()).zip(out.iter_mut()) {
            // The row eight rows on (4 KiB of 128-value rows).
            prefetch_past(row, 8 * row.len());
            *d = l2sq_avx512(q, row);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn l2sq_avx2(a: &[f32], b: &[f32]) -> f32 {
        let (a16, a_rest) = a.as_chunks::<16>();
        let (b16, b_rest) = b.as_chunks::<16>();
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        for (x, y) in a16.iter().zip(b16) {
            let (x0, x1) = x.split_at(8);
            let (y0, y1) = y.split_at(8);
            let d0 = _mm256_sub_ps(load8(x0.try_into().unwrap()), load8(y0.try_into().unwrap()));
            let d1 = _mm256_sub_ps(load8(x1.try_into().unwrap()), load8(y1.try_into().unwrap()));
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        }
        let (a8, a_tail) = a_rest.as_chunks::<8>();
        let (b8, b_tail) = b_rest.as_chunks::<8>();
        for (x, y) in a8.iter().zip(b8) {
            let d = _mm256_sub_ps(load8(x), load8(y));
            acc0 = _mm256_fmadd_ps(d, d, acc0);
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
        let quad = _mm_add_ps(half, _mm_movehl_ps(half, half));
        let mut sum = _mm_cvtss_f32(_mm_add_ss(quad, _mm_shuffle_ps::<0b01>(quad, quad)));
        for (x, y) in a_tail.iter().zip(b_tail) {
            sum += (x - y) * (x - y);
        }
        sum
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn rows_avx2(q: &[f32], rows: &[f32], out: &mut [f32]) {
        for (row, d) in rows.chunks_exact(q.len()).zip(out.iter_mut()) {
            // The row eight rows on (4 KiB of 128-value rows).
            prefetch_past(row, 8 * row.len());
            *d = l2sq_avx2(q, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::testutil::{l2sq_f64 as reference, uniform as pseudo_random};

    #[test]
    fn every_supported_path_matches_f64_reference_for_awkward_lengths() {
        for isa in Isa::supported() {
            for n in [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 128, 129, 512] {
                let (a, b) = (pseudo_random(n, 1), pseudo_random(n, 2));
                let got = f64::from(l2sq(isa, &a, &b));
                let want = reference(&a, &b);
                assert!((got - want).abs() <= 1e-5 * want.max(1.0), "{isa:?} n={n}");
            }
        }
    }

    #[test]
    fn rows_kernel_equals_pairwise_kernel() {
        let dim = 128;
        let q = pseudo_random(dim, 3);
        let rows = pseudo_random(dim * 37, 4);
        for isa in Isa::supported() {
            let mut out = vec![0.0; 37];
            l2sq_rows(isa, &q, &rows, &mut out);
            for (r, d) in rows.chunks_exact(dim).zip(&out) {
                assert_eq!(*d, l2sq(isa, &q, r));
            }
        }
    }

    #[test]
    fn distance_to_self_is_exactly_zero() {
        let a = pseudo_random(128, 5);
        for isa in Isa::supported() {
            assert_eq!(l2sq(isa, &a, &a), 0.0);
        }
    }
}
