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

/// Per-row facts the dot-product form needs: the sum of the codes and the sum of their squares.
pub type RowStats = [i32; 2];

/// The stats of one row of codes.
pub fn row_stats(row: &[i8]) -> RowStats {
    row.iter().fold([0, 0], |[sum, sq], &x| {
        [sum + i32::from(x), sq + i32::from(x) * i32::from(x)]
    })
}

/// Like [`l2sq_rows`], given each row's [`row_stats`] and `q`'s sum of squares: it computes
/// `‖q‖² + ‖r‖² − 2 q·r`, where the CPU has AVX-512 VNNI with one fused multiply-add per 64
/// codes, on the AVX2 path with one `vpmaddwd` per 16. The integers are exact, so the result
/// equals [`l2sq_rows`] bit for bit.
pub fn l2sq_rows_stats(
    isa: Isa,
    q: &[i8],
    q_sq: i32,
    rows: &[i8],
    stats: &[RowStats],
    out: &mut [i32],
) {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 && q.len().is_multiple_of(64) && x86::has_vnni() {
        // SAFETY: `has_vnni` confirmed AVX-512 F, BW and VNNI, which the function enables.
        return unsafe { x86::rows_vnni(q, q_sq, rows, stats, out) };
    }
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2 && q.len().is_multiple_of(16) {
        // SAFETY: an `Isa` of Avx2 is only used after `Isa::is_supported` found AVX2.
        return unsafe { x86::rows_dot_avx2(q, q_sq, rows, stats, out) };
    }
    let _ = (q_sq, stats);
    l2sq_rows(isa, q, rows, out);
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
    use super::super::load::prefetch_past;
    use super::RowStats;
    use std::arch::x86_64::*;
    use std::sync::OnceLock;

    /// AVX-512 VNNI (Ice Lake, Zen 4 and later), detected once.
    pub(super) fn has_vnni() -> bool {
        static VNNI: OnceLock<bool> = OnceLock::new();
        *VNNI.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
        })
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load64(x: &[u8; 64]) -> __m512i {
        // SAFETY: 64 readable bytes; loadu has no alignment requirement.
        unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
    }

    /// `vpdpbusd` multiplies unsigned by signed bytes, so the query is shifted by 128 into
    /// [1, 255] and the shift is taken back out with the row's code sum:
    /// `q·r = (q + 128)·r − 128 Σr`. Sixteen rows are summed at once by a transposing
    /// reduction, so the horizontal sums cost a few instructions per row instead of a dozen.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn rows_vnni(q: &[i8], q_sq: i32, rows: &[i8], stats: &[RowStats], out: &mut [i32]) {
        let dim = q.len();
        let shifted: Vec<u8> = q.iter().map(|&x| (i16::from(x) + 128) as u8).collect();
        let shifted = shifted.as_chunks::<64>().0;
        let dot = |row: &[i8]| {
            let mut acc = _mm512_setzero_si512();
            for (a, b) in shifted.iter().zip(row.as_chunks::<64>().0) {
                acc = _mm512_dpbusd_epi32(acc, load64(a), load64i(b));
            }
            acc
        };
        let mut groups = rows.chunks_exact(16 * dim).zip(stats.chunks_exact(16));
        let mut done = 0;
        for (block, stat) in groups.by_ref() {
            // The rows 32 rows on (4 KiB of 128-code rows; 16 and 64 were slower).
            prefetch_past(block, 32 * dim);
            let acc: [__m512i; 16] = std::array::from_fn(|r| dot(&block[r * dim..][..dim]));
            let dots = transpose_sum(&acc);
            let sums: [i32; 16] = std::array::from_fn(|r| stat[r][0]);
            let sqs: [i32; 16] = std::array::from_fn(|r| stat[r][1]);
            // ‖q‖² + ‖r‖² − 2 (dot − 128 Σr), sixteen rows at a time.
            let shifted_back = _mm512_sub_epi32(dots, _mm512_slli_epi32::<7>(load16i(&sums)));
            let d = _mm512_sub_epi32(
                _mm512_add_epi32(_mm512_set1_epi32(q_sq), load16i(&sqs)),
                _mm512_slli_epi32::<1>(shifted_back),
            );
            let lanes: &mut [i32; 16] = (&mut out[done..done + 16]).try_into().unwrap();
            // SAFETY: an [i32; 16] is 64 writable bytes; storeu has no alignment requirement.
            unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), d) };
            done += 16;
        }
        for ((row, stat), d) in rows[done * dim..]
            .chunks_exact(dim)
            .zip(&stats[done..])
            .zip(&mut out[done..])
        {
            let shifted_dot = _mm512_reduce_add_epi32(dot(row));
            *d = q_sq + stat[1] - 2 * (shifted_dot - 128 * stat[0]);
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load64i(x: &[i8; 64]) -> __m512i {
        // SAFETY: 64 readable bytes; loadu has no alignment requirement.
        unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load16i(x: &[i32; 16]) -> __m512i {
        // SAFETY: 64 readable bytes; loadu has no alignment requirement.
        unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
    }

    /// Lane r of the result is the sum of the 16 lanes of `v[r]`. The shuffles move bits, so
    /// they run on the float view; the additions are integer.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn transpose_sum(v: &[__m512i; 16]) -> __m512i {
        let f = |x: __m512i| _mm512_castsi512_ps(x);
        let i = |x: __m512| _mm512_castps_si512(x);
        // Pairs: per 128-bit lane [a0+a2, b0+b2, a1+a3, b1+b3].
        let s: [__m512i; 8] = std::array::from_fn(|k| {
            let (a, b) = (f(v[2 * k]), f(v[2 * k + 1]));
            _mm512_add_epi32(i(_mm512_unpacklo_ps(a, b)), i(_mm512_unpackhi_ps(a, b)))
        });
        // Quads: per 128-bit lane [a, b, c, d], each summed over that lane's four columns.
        let t: [__m512i; 4] = std::array::from_fn(|k| {
            let (a, b) = (f(s[2 * k]), f(s[2 * k + 1]));
            _mm512_add_epi32(
                i(_mm512_shuffle_ps::<0x44>(a, b)),
                i(_mm512_shuffle_ps::<0xEE>(a, b)),
            )
        });
        // Across 128-bit lanes: lane j of the result holds rows 4j..4j+3.
        let half = |a: __m512i, b: __m512i| {
            let (a, b) = (f(a), f(b));
            _mm512_add_epi32(
                i(_mm512_shuffle_f32x4::<0x44>(a, b)),
                i(_mm512_shuffle_f32x4::<0xEE>(a, b)),
            )
        };
        let (u01, u23) = (f(half(t[0], t[1])), f(half(t[2], t[3])));
        _mm512_add_epi32(
            i(_mm512_shuffle_f32x4::<0x88>(u01, u23)),
            i(_mm512_shuffle_f32x4::<0xDD>(u01, u23)),
        )
    }

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

    /// The dot-product form with AVX2 alone (no byte multiply-add that stays exact: `vpmaddubsw`
    /// saturates): the query widened to i16 once, each row's codes widened and multiplied in
    /// pairs into i32 (`vpmaddwd`), three instructions per sixteen codes against the
    /// difference form's four, and eight rows' sums reduced together by horizontal adds.
    #[target_feature(enable = "avx2")]
    pub(super) fn rows_dot_avx2(
        q: &[i8],
        q_sq: i32,
        rows: &[i8],
        stats: &[RowStats],
        out: &mut [i32],
    ) {
        let dim = q.len();
        debug_assert!(dim.is_multiple_of(16));
        let wide: Vec<__m256i> = q.as_chunks::<16>().0.iter().map(|c| widen16(c)).collect();
        let dot = |row: &[i8]| {
            let mut acc = _mm256_setzero_si256();
            for (w, c) in wide.iter().zip(row.as_chunks::<16>().0) {
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(*w, widen16(c)));
            }
            acc
        };
        let mut done = 0;
        for (block, stat) in rows.chunks_exact(8 * dim).zip(stats.chunks_exact(8)) {
            // The rows 32 rows on (4 KiB of 128-code rows; 16 and 64 were slower).
            prefetch_past(block, 32 * dim);
            let acc: [__m256i; 8] = std::array::from_fn(|r| dot(&block[r * dim..][..dim]));
            // Per 128-bit half: rows 0-3 (then 4-7) summed over that half's lanes.
            let pairs: [__m256i; 4] =
                std::array::from_fn(|k| _mm256_hadd_epi32(acc[2 * k], acc[2 * k + 1]));
            let (a, b) = (
                _mm256_hadd_epi32(pairs[0], pairs[1]),
                _mm256_hadd_epi32(pairs[2], pairs[3]),
            );
            let dots = _mm256_add_epi32(
                _mm256_permute2x128_si256::<0x20>(a, b),
                _mm256_permute2x128_si256::<0x31>(a, b),
            );
            let sqs: [i32; 8] = std::array::from_fn(|r| stat[r][1]);
            // SAFETY: an [i32; 8] is 32 readable bytes; loadu has no alignment requirement.
            let sqs = unsafe { _mm256_loadu_si256(sqs.as_ptr().cast()) };
            let d = _mm256_sub_epi32(
                _mm256_add_epi32(_mm256_set1_epi32(q_sq), sqs),
                _mm256_slli_epi32::<1>(dots),
            );
            let lanes: &mut [i32; 8] = (&mut out[done..done + 8]).try_into().unwrap();
            // SAFETY: an [i32; 8] is 32 writable bytes; storeu has no alignment requirement.
            unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), d) };
            done += 8;
        }
        for ((row, stat), d) in rows[done * dim..]
            .chunks_exact(dim)
            .zip(&stats[done..])
            .zip(&mut out[done..])
        {
            let mut lanes = [0i32; 8];
            // SAFETY: an [i32; 8] is 32 writable bytes; storeu has no alignment requirement.
            unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), dot(row)) };
            *d = q_sq + stat[1] - 2 * lanes.iter().sum::<i32>();
        }
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
    fn dot_product_form_equals_the_difference_form_exactly() {
        let dim = 128;
        let rows = codes(dim * 50, 3);
        let q = codes(dim, 4);
        let stats: Vec<RowStats> = rows.chunks_exact(dim).map(row_stats).collect();
        let q_sq = row_stats(&q)[1];
        for isa in Isa::supported() {
            let (mut want, mut got) = (vec![0; 50], vec![0; 50]);
            l2sq_rows(Isa::Portable, &q, &rows, &mut want);
            l2sq_rows_stats(isa, &q, q_sq, &rows, &stats, &mut got);
            assert_eq!(got, want, "{isa:?}");
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let a = vec![127i8; 128];
        let b = vec![-127i8; 128];
        let rows: Vec<i8> = b.iter().cycle().take(128 * 9).copied().collect();
        let stats: Vec<RowStats> = rows.chunks_exact(128).map(row_stats).collect();
        for isa in Isa::supported() {
            assert_eq!(l2sq(isa, &a, &b), 254 * 254 * 128);
            let mut got = vec![0; 9];
            l2sq_rows_stats(isa, &a, row_stats(&a)[1], &rows, &stats, &mut got);
            assert_eq!(
                got,
                vec![254 * 254 * 128; 9],
                "{isa:?}: the dot-product form"
            );
        }
    }
}
