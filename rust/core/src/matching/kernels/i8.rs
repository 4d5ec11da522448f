//! Squared Euclidean distance between int8 codes, exact in i32.
//!
//! Differences of two i8 values fit in i16 and `madd` squares and pairs them into i32 lanes, so
//! every path returns the same integer: the compressed scan is deterministic across CPUs.
//! 2 * 127 squared times 128 dimensions is far below `i32::MAX`; [`MAX_DIM`] keeps it so.

use crate::matching::Isa;

/// The widest code the i32 accumulator can hold without overflow (254² · MAX_DIM < 2³¹).
pub const MAX_DIM: usize = 32_768;

/// Squared distance between two codes of equal length.
pub fn l2sq(isa: Isa, a: &[i8], b: &[i8]) -> i32 {
    if a.is_empty() {
        return 0;
    }
    let mut out = [0];
    l2sq_rows(isa, a, b, &mut out);
    out[0]
}

/// Squared distances from `q` to each `q.len()`-wide row of `rows`, into `out`.
pub fn l2sq_rows(isa: Isa, q: &[i8], rows: &[i8], out: &mut [i32]) {
    let dim = q.len();
    debug_assert!(dim <= MAX_DIM);
    debug_assert_eq!(rows.len(), dim * out.len());
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa` other than Portable is only used after `Isa::is_supported` said the
        // CPU has the features that the called function enables.
        Isa::Avx512 => unsafe { x86::rows_avx512(q, rows, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, AVX2 was detected.
        Isa::Avx2 => unsafe { x86::rows_avx2(q, rows, out) },
        _ => {
            for (row, d) in rows.chunks_exact(dim).zip(out.iter_mut()) {
                *d = l2sq_portable(q, row);
            }
        }
    }
}

fn l2sq_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i32::from(x) - i32::from(y);
            d * d
        })
        .sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 32 codes widened to i16 lanes.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn widen32(x: &[i8; 32]) -> __m512i {
        // SAFETY: an [i8; 32] is 32 readable bytes; loadu has no alignment requirement.
        _mm512_cvtepi8_epi16(unsafe { _mm256_loadu_si256(x.as_ptr().cast()) })
    }

    /// Fewer than 32 codes widened to i16 lanes, the rest zero.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    fn widen_tail32(x: &[i8]) -> __m512i {
        debug_assert!(x.len() < 32);
        let mask: __mmask32 = (1u32 << x.len()) - 1;
        // SAFETY: the mask enables exactly the first x.len() bytes, and only those are read.
        _mm512_cvtepi8_epi16(unsafe { _mm256_maskz_loadu_epi8(mask, x.as_ptr().cast()) })
    }

    /// 16 codes widened to i16 lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn widen16(x: &[i8; 16]) -> __m256i {
        // SAFETY: an [i8; 16] is 16 readable bytes; loadu has no alignment requirement.
        _mm256_cvtepi8_epi16(unsafe { _mm_loadu_si128(x.as_ptr().cast()) })
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    fn l2sq_avx512(a: &[i8], b: &[i8]) -> i32 {
        let (a32, a_tail) = a.as_chunks::<32>();
        let (b32, b_tail) = b.as_chunks::<32>();
        let mut acc = _mm512_setzero_si512();
        for (x, y) in a32.iter().zip(b32) {
            let d = _mm512_sub_epi16(widen32(x), widen32(y));
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(d, d));
        }
        if !a_tail.is_empty() {
            let d = _mm512_sub_epi16(widen_tail32(a_tail), widen_tail32(b_tail));
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(d, d));
        }
        _mm512_reduce_add_epi32(acc)
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub(super) fn rows_avx512(q: &[i8], rows: &[i8], out: &mut [i32]) {
        for (row, d) in rows.chunks_exact(q.len()).zip(out.iter_mut()) {
            *d = l2sq_avx512(q, row);
        }
    }

    #[target_feature(enable = "avx2")]
    fn l2sq_avx2(a: &[i8], b: &[i8]) -> i32 {
        let (a16, a_tail) = a.as_chunks::<16>();
        let (b16, b_tail) = b.as_chunks::<16>();
        let mut acc = _mm256_setzero_si256();
        for (x, y) in a16.iter().zip(b16) {
            let d = _mm256_sub_epi16(widen16(x), widen16(y));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(d, d));
        }
        let half = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256::<1>(acc),
        );
        let quad = _mm_add_epi32(half, _mm_shuffle_epi32::<0b01_00_11_10>(half));
        let pair = _mm_add_epi32(quad, _mm_shuffle_epi32::<0b00_00_00_01>(quad));
        let mut sum = _mm_cvtsi128_si32(pair);
        for (&x, &y) in a_tail.iter().zip(b_tail) {
            let d = i32::from(x) - i32::from(y);
            sum += d * d;
        }
        sum
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn rows_avx2(q: &[i8], rows: &[i8], out: &mut [i32]) {
        for (row, d) in rows.chunks_exact(q.len()).zip(out.iter_mut()) {
            *d = l2sq_avx2(q, row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(n: usize, seed: u32) -> Vec<i8> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(7);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                // The full range including the extremes, where i16 products are largest.
                ((s % 255) as i32 - 127) as i8
            })
            .collect()
    }

    #[test]
    fn every_path_equals_portable_exactly() {
        for n in [0, 1, 15, 16, 17, 31, 32, 33, 64, 127, 128, 200] {
            let (a, b) = (codes(n, 1), codes(n, 2));
            let want = l2sq_portable(&a, &b);
            for isa in Isa::supported() {
                assert_eq!(l2sq(isa, &a, &b), want, "{isa:?} n={n}");
            }
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let a = vec![127i8; 128];
        let b = vec![-127i8; 128];
        for isa in Isa::supported() {
            assert_eq!(l2sq(isa, &a, &b), 254 * 254 * 128);
        }
    }
}
