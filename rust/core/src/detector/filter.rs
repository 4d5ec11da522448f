//! The filters' responses over one level's features: each filter's separable parts applied as
//! a pass along the rows then one down the columns, summed over every part of every plane.

use super::fhog::{Features, PLANES};
use super::model::{Filter, Separable};
use super::pool::Pooled;
#[cfg(target_arch = "x86_64")]
use crate::matching::Isa;

/// A filter's response at every position where the whole filter lies on the features:
/// `rows x cols` values, row-major; position (r, c) is the filter's top-left corner at
/// feature (r, c), which dlib reports at its centre (r + rows_pad / 2, c + cols_pad / 2).
pub struct Response {
    pub rows: usize,
    pub cols: usize,
    pub values: Pooled<f32>,
}

/// Output rows per band: the features are filtered a band at a time so that one plane's rows
/// for the band (and its row pass) stay in the first-level cache while every filter's parts
/// for that plane use them; a band's row pass also covers the filter's height less one rows
/// of the next band, which is what the band's size trades against.
const BAND: usize = 48;

/// Every filter's response over `features` (one [`Response`] per filter, in order).
pub fn respond(
    features: &Features,
    filters: &[Filter],
    filter_rows: usize,
    filter_cols: usize,
) -> Vec<Response> {
    if features.rows < filter_rows || features.cols < filter_cols {
        return filters
            .iter()
            .map(|_| Response {
                rows: 0,
                cols: 0,
                values: Pooled::default(),
            })
            .collect();
    }
    let rows = features.rows - filter_rows + 1;
    let cols = features.cols - filter_cols + 1;
    let mut out: Vec<Response> = filters
        .iter()
        .map(|_| Response {
            rows,
            cols,
            values: Pooled::zeros(rows * cols),
        })
        .collect();
    // Each plane's parts, every filter's, in filter order: a group of them shares the row
    // pass's loads. (Each filter still adds its parts plane by plane, in its own order.)
    let parts: Vec<Vec<(usize, &Separable)>> = (0..PLANES)
        .map(|p| {
            let each = filters.iter().enumerate();
            each.flat_map(|(f, filter)| filter.planes[p].iter().map(move |part| (f, part)))
                .collect()
        })
        .collect();
    let len = (BAND + filter_rows - 1) * cols;
    let mut along: Vec<Vec<f32>> = (0..GROUP).map(|_| vec![0f32; len]).collect();
    for r0 in (0..rows).step_by(BAND) {
        let band = BAND.min(rows - r0);
        let inputs = band + filter_rows - 1;
        for (p, parts) in parts.iter().enumerate() {
            let plane = &features.plane(p)[r0 * features.cols..(r0 + inputs) * features.cols];
            for group in parts.chunks(GROUP) {
                let along = &mut along[..group.len()];
                let taps: Vec<&[f32]> = group.iter().map(|(_, part)| &part.row[..]).collect();
                along_rows_grouped(plane, features.cols, &taps, cols, inputs * cols, along);
                for (&(f, part), along) in group.iter().zip(along.iter()) {
                    let values = &mut out[f].values[r0 * cols..(r0 + band) * cols];
                    down_columns(&along[..inputs * cols], cols, &part.col, band, values);
                }
            }
        }
    }
    out
}

/// Parts whose row passes share their loads (AVX-512 only: its row pass is bound by loads;
/// four measured faster than three, six or eight).
const GROUP: usize = 4;

/// [`along_rows`] for each row filter of `taps` into the first `len` values of the matching
/// `along`.
fn along_rows_grouped(
    plane: &[f32],
    width: usize,
    taps: &[&[f32]],
    cols: usize,
    len: usize,
    along: &mut [Vec<f32>],
) {
    #[cfg(target_arch = "x86_64")]
    if Isa::best() == Isa::Avx512 && taps.iter().all(|t| t.len() == TAPS) {
        let mut outs: Vec<&mut [f32]> = along.iter_mut().map(|a| &mut a[..len]).collect();
        let (p, w, t, c, o) = (plane, width, taps, cols, &mut outs[..]);
        match o.len() {
            // SAFETY: the CPU has AVX-512 F (checked by `Isa::best`).
            4 => return unsafe { avx512::along_rows_many::<4>(p, w, t, c, o) },
            // SAFETY: as above.
            3 => return unsafe { avx512::along_rows_many::<3>(p, w, t, c, o) },
            // SAFETY: as above.
            2 => return unsafe { avx512::along_rows_many::<2>(p, w, t, c, o) },
            _ => {}
        }
    }
    for (row, along) in taps.iter().zip(along) {
        along_rows(plane, width, row, cols, &mut along[..len]);
    }
}

/// `along[r][c] = Σ_n row[n] · plane[r][c + n]` for every row of the plane.
fn along_rows(plane: &[f32], width: usize, row: &[f32], cols: usize, along: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if row.len() == TAPS {
        match crate::matching::Isa::best() {
            // SAFETY: the CPU has AVX-512 F (checked by `Isa::best`).
            Isa::Avx512 => return unsafe { avx512::along_rows(plane, width, row, cols, along) },
            // SAFETY: the CPU has AVX2 and FMA (checked by `Isa::best`).
            Isa::Avx2 => return unsafe { avx2::along_rows(plane, width, row, cols, along) },
            Isa::Portable => {}
        }
    }
    for (src, dst) in plane.chunks_exact(width).zip(along.chunks_exact_mut(cols)) {
        dst.fill(0.0);
        for (n, &w) in row.iter().enumerate() {
            for (d, &s) in dst.iter_mut().zip(&src[n..n + cols]) {
                *d += w * s;
            }
        }
    }
}

/// `values[r][c] += Σ_m col[m] · along[r + m][c]`.
fn down_columns(along: &[f32], cols: usize, col: &[f32], rows: usize, values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if col.len() == TAPS {
        match crate::matching::Isa::best() {
            // SAFETY: the CPU has AVX-512 F (checked by `Isa::best`).
            Isa::Avx512 => return unsafe { avx512::down_columns(along, cols, col, rows, values) },
            // SAFETY: the CPU has AVX2 and FMA (checked by `Isa::best`).
            Isa::Avx2 => return unsafe { avx2::down_columns(along, cols, col, rows, values) },
            Isa::Portable => {}
        }
    }
    for (r, dst) in values.chunks_exact_mut(cols).enumerate().take(rows) {
        for (m, &w) in col.iter().enumerate() {
            let src = &along[(r + m) * cols..(r + m + 1) * cols];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += w * s;
            }
        }
    }
}

/// The frontal detector's filter side in cells: the vector kernels keep its taps in registers.
const TAPS: usize = super::model::FILTER;

/// The two passes with eight columns per instruction and fused multiply-adds (the sums are
/// those of the portable code to rounding: a score moves by about 1e-6).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::TAPS;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn along_rows(
        plane: &[f32],
        width: usize,
        row: &[f32],
        cols: usize,
        along: &mut [f32],
    ) {
        let w: [__m256; TAPS] = std::array::from_fn(|n| _mm256_set1_ps(row[n]));
        let blocks = cols / 8;
        for (src, dst) in plane.chunks_exact(width).zip(along.chunks_exact_mut(cols)) {
            // Every read is inside `src`: the last block reads up to 8·blocks - 1 + TAPS - 1
            // < cols + TAPS - 1 = width.
            assert!(src.len() + 1 >= cols + TAPS);
            for b in 0..blocks {
                let c = b * 8;
                let mut acc = _mm256_setzero_ps();
                for (n, &wn) in w.iter().enumerate() {
                    // SAFETY: c + n + 8 <= cols - 1 + TAPS <= src.len() (asserted above).
                    let x = unsafe { _mm256_loadu_ps(src.as_ptr().add(c + n)) };
                    acc = _mm256_fmadd_ps(wn, x, acc);
                }
                // SAFETY: c + 8 <= cols = dst.len().
                unsafe { _mm256_storeu_ps(dst.as_mut_ptr().add(c), acc) };
            }
            for c in blocks * 8..cols {
                let mut acc = 0.0f32;
                for n in 0..TAPS {
                    acc = row[n].mul_add(src[c + n], acc);
                }
                dst[c] = acc;
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn down_columns(
        along: &[f32],
        cols: usize,
        col: &[f32],
        rows: usize,
        values: &mut [f32],
    ) {
        let w: [__m256; TAPS] = std::array::from_fn(|m| _mm256_set1_ps(col[m]));
        let blocks = cols / 8;
        assert!(along.len() >= (rows + TAPS - 1) * cols && values.len() >= rows * cols);
        let mut r = 0;
        while r + 4 <= rows {
            // SAFETY: rows r..r+4 lie in `values` (asserted above).
            unsafe { down_block::<4>(along, cols, &w, r, values) };
            r += 4;
        }
        for r in r..rows {
            // SAFETY: row r lies in `values`.
            unsafe { down_block::<1>(along, cols, &w, r, values) };
        }
        for r in 0..rows {
            for c in blocks * 8..cols {
                let mut acc = values[r * cols + c];
                for m in 0..TAPS {
                    acc = col[m].mul_add(along[(r + m) * cols + c], acc);
                }
                values[r * cols + c] = acc;
            }
        }
    }

    /// Output rows r..r+K, columns in whole blocks of eight: with K = 4 the rows share their
    /// inputs, so 13 loads feed 40 multiply-adds, and the four sums and ten taps fill the
    /// sixteen registers.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `values` holds rows r..r+K of `cols` values and `along` rows
    /// r..r+K+TAPS-1 (the caller asserts both).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn down_block<const K: usize>(
        along: &[f32],
        cols: usize,
        w: &[__m256; TAPS],
        r: usize,
        values: &mut [f32],
    ) {
        // The steps written out below cover K <= 4 (known when compiled: no run-time cost).
        assert!(K <= 4);
        // Offsets in wrapping arithmetic: every one is below the slices' lengths (the
        // caller's assertion), and checking each (overflow checks are on in release) slowed
        // the pass.
        let a = along.as_ptr().wrapping_add(r.wrapping_mul(cols));
        let v = values.as_mut_ptr().wrapping_add(r.wrapping_mul(cols));
        for c in (0..cols / 8).map(|b| b.wrapping_mul(8)) {
            // SAFETY: rows r..r+K, columns c..c+8 of `values` exist (as said above).
            let mut acc: [__m256; K] = std::array::from_fn(|k| unsafe {
                _mm256_loadu_ps(v.add(k.wrapping_mul(cols).wrapping_add(c)))
            });
            // Written out step by step, as the AVX-512 pass is.
            macro_rules! steps {
                ($($i:literal)*) => {$(
                    if $i < TAPS + K - 1 {
                        // SAFETY: input row r + i < r + K + TAPS - 1, columns c..c+8.
                        let x = unsafe { _mm256_loadu_ps(a.add(cols.wrapping_mul($i).wrapping_add(c))) };
                        for (k, acc) in acc.iter_mut().enumerate() {
                            // Output row r + k takes input row r + i with tap i - k.
                            if $i >= k && $i - k < TAPS {
                                *acc = _mm256_fmadd_ps(w[$i - k], x, *acc);
                            }
                        }
                    }
                )*};
            }
            const _: () = assert!(TAPS + 4 - 1 <= 13, "the steps written out below");
            steps!(0 1 2 3 4 5 6 7 8 9 10 11 12);
            for (k, acc) in acc.iter().enumerate() {
                // SAFETY: as the loads of `acc`.
                unsafe { _mm256_storeu_ps(v.add(k.wrapping_mul(cols).wrapping_add(c)), *acc) };
            }
        }
    }
}

/// The two passes with sixteen columns per instruction, the row's last columns under a mask
/// (so no scalar tail), and the column pass eight output rows at a time. Each sum is taken in
/// the order of the AVX2 kernels, so the two paths give the same bits.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::TAPS;
    use std::arch::x86_64::*;

    /// The lanes of the block of sixteen columns from `c` that lie before `cols`.
    #[inline(always)]
    fn lanes(c: usize, cols: usize) -> __mmask16 {
        let n = (cols - c).min(16);
        ((1u32 << n) - 1) as __mmask16
    }

    /// One part's row pass: [`along_rows_many`] for one.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn along_rows(
        plane: &[f32],
        width: usize,
        row: &[f32],
        cols: usize,
        along: &mut [f32],
    ) {
        // SAFETY: the CPU has AVX-512 F (this function's own requirement).
        unsafe { along_rows_many::<1>(plane, width, &[row], cols, &mut [along]) }
    }

    /// The row pass of `K` parts at once: each input vector is loaded once for all of them
    /// (the loads, not the multiply-adds, bound a one-part pass), and each sum is the AVX2
    /// pass's, in the same order.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn along_rows_many<const K: usize>(
        plane: &[f32],
        width: usize,
        taps: &[&[f32]],
        cols: usize,
        along: &mut [&mut [f32]],
    ) {
        assert!(taps.len() == K && along.len() == K && taps.iter().all(|t| t.len() == TAPS));
        let w: [[f32; TAPS]; K] = std::array::from_fn(|k| std::array::from_fn(|n| taps[k][n]));
        let lines = along[0].len() / cols;
        assert!(along.iter().all(|a| a.len() == lines * cols) && plane.len() >= lines * width);
        // Output column c reads src[c + n], n < TAPS: below cols - 1 + TAPS <= width.
        assert!(width + 1 >= cols + TAPS);
        let dst: [*mut f32; K] = std::array::from_fn(|k| along[k].as_mut_ptr());
        for r in 0..lines {
            let src = plane[r * width..(r + 1) * width].as_ptr();
            for c in (0..cols).step_by(16) {
                let m = lanes(c, cols);
                let mut acc = [_mm512_setzero_ps(); K];
                macro_rules! taps {
                    ($($n:literal)*) => {$(
                        // SAFETY: only the lanes in `m` are read, all inside row r (above).
                        let x = unsafe { _mm512_maskz_loadu_ps(m, src.add(c + $n)) };
                        for k in 0..K {
                            acc[k] = _mm512_fmadd_ps(_mm512_set1_ps(w[k][$n]), x, acc[k]);
                        }
                    )*};
                }
                const _: () = assert!(TAPS == 10, "the taps written out below");
                taps!(0 1 2 3 4 5 6 7 8 9);
                for k in 0..K {
                    // SAFETY: the lanes in `m` are columns below cols of line r of along[k].
                    unsafe { _mm512_mask_storeu_ps(dst[k].add(r * cols + c), m, acc[k]) };
                }
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn down_columns(
        along: &[f32],
        cols: usize,
        col: &[f32],
        rows: usize,
        values: &mut [f32],
    ) {
        let w: [__m512; TAPS] = std::array::from_fn(|m| _mm512_set1_ps(col[m]));
        assert!(along.len() >= (rows + TAPS - 1) * cols && values.len() >= rows * cols);
        let mut r = 0;
        while r + 8 <= rows {
            // SAFETY: rows r..r+8 lie in `values` (asserted above).
            unsafe { down_block::<8>(along, cols, &w, r, values) };
            r += 8;
        }
        for r in r..rows {
            // SAFETY: row r lies in `values`.
            unsafe { down_block::<1>(along, cols, &w, r, values) };
        }
    }

    /// Output rows r..r+K: eight rows share their inputs, so 17 loads feed 80 multiply-adds.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `values` holds rows r..r+K of `cols` values and `along` rows
    /// r..r+K+TAPS-1 (the caller asserts both).
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn down_block<const K: usize>(
        along: &[f32],
        cols: usize,
        w: &[__m512; TAPS],
        r: usize,
        values: &mut [f32],
    ) {
        let (a, v) = (along.as_ptr(), values.as_mut_ptr());
        for c in (0..cols).step_by(16) {
            let m = lanes(c, cols);
            // Rows r..r+K of `values` and rows r..r+K+TAPS-1 of `along` exist (the caller's
            // assertion), and the masks touch only columns below cols.
            // SAFETY: as just said.
            let mut acc: [__m512; K] = std::array::from_fn(|k| unsafe {
                _mm512_maskz_loadu_ps(m, v.add((r + k) * cols + c))
            });
            // Written out step by step: as a loop the compiler kept the accumulators and
            // weights on the stack, at half the speed.
            macro_rules! steps {
                ($($i:literal)*) => {$(
                    if $i < TAPS + K - 1 {
                        // SAFETY: as said above.
                        let x = unsafe { _mm512_maskz_loadu_ps(m, a.add((r + $i) * cols + c)) };
                        for (k, acc) in acc.iter_mut().enumerate() {
                            // Output row r + k takes input row r + i with tap i - k.
                            if $i >= k && $i - k < TAPS {
                                *acc = _mm512_fmadd_ps(w[$i - k], x, *acc);
                            }
                        }
                    }
                )*};
            }
            const _: () = assert!(TAPS + 8 - 1 <= 17, "the steps written out below");
            steps!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
            for (k, acc) in acc.iter().enumerate() {
                // SAFETY: as said above.
                unsafe { _mm512_mask_storeu_ps(v.add((r + k) * cols + c), m, *acc) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic plane of `rows x width` values in [-1, 1).
    fn plane(rows: usize, width: usize, seed: u32) -> Vec<f32> {
        let mut x = seed;
        (0..rows * width)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Both passes over a plane whose width leaves a ragged last block for either lane width.
    fn both_passes(isa: Isa, rows: usize, cols: usize) -> Vec<f32> {
        let width = cols + TAPS - 1;
        let input = plane(rows + TAPS - 1, width, 7);
        let (row, col) = (plane(1, TAPS, 11), plane(1, TAPS, 13));
        let mut along = vec![0f32; (rows + TAPS - 1) * cols];
        let mut values = plane(rows, cols, 17);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: each path runs only where the CPU has it (the callers check).
        unsafe {
            match isa {
                Isa::Avx512 => {
                    avx512::along_rows(&input, width, &row, cols, &mut along);
                    avx512::down_columns(&along, cols, &col, rows, &mut values);
                    return values;
                }
                Isa::Avx2 => {
                    avx2::along_rows(&input, width, &row, cols, &mut along);
                    avx2::down_columns(&along, cols, &col, rows, &mut values);
                    return values;
                }
                Isa::Portable => {}
            }
        }
        let _ = isa;
        for (src, dst) in input.chunks_exact(width).zip(along.chunks_exact_mut(cols)) {
            for (c, d) in dst.iter_mut().enumerate() {
                *d = (0..TAPS).map(|n| row[n] * src[c + n]).sum();
            }
        }
        for (r, dst) in values.chunks_exact_mut(cols).enumerate() {
            for (c, d) in dst.iter_mut().enumerate() {
                *d += (0..TAPS)
                    .map(|m| col[m] * along[(r + m) * cols + c])
                    .sum::<f32>();
            }
        }
        values
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn grouped_row_passes_equal_one_at_a_time() {
        if !Isa::Avx512.is_supported() {
            return;
        }
        for (rows, cols) in [(1, 1), (5, 23), (13, 135), (3, 16)] {
            let width = cols + TAPS - 1;
            let input = plane(rows, width, 3);
            let taps: Vec<Vec<f32>> = (0..4).map(|k| plane(1, TAPS, 20 + k)).collect();
            let one: Vec<Vec<f32>> = taps
                .iter()
                .map(|t| {
                    let mut along = vec![0f32; rows * cols];
                    // SAFETY: the CPU has AVX-512 (checked above).
                    unsafe { avx512::along_rows(&input, width, t, cols, &mut along) };
                    along
                })
                .collect();
            let mut many = vec![vec![0f32; rows * cols]; 4];
            let mut outs: Vec<&mut [f32]> = many.iter_mut().map(|a| &mut a[..]).collect();
            let refs: Vec<&[f32]> = taps.iter().map(|t| &t[..]).collect();
            // SAFETY: as above.
            unsafe { avx512::along_rows_many::<4>(&input, width, &refs, cols, &mut outs) };
            assert_eq!(many, one, "{rows}x{cols}");
        }
    }

    #[test]
    fn every_path_filters_alike_and_the_vector_paths_to_the_bit() {
        for (rows, cols) in [(1, 1), (3, 7), (13, 23), (48, 135), (9, 16), (16, 33)] {
            let reference = both_passes(Isa::Portable, rows, cols);
            let mut fused: Option<Vec<f32>> = None;
            for isa in Isa::supported().into_iter().filter(|&i| i != Isa::Portable) {
                let got = both_passes(isa, rows, cols);
                for (g, r) in got.iter().zip(&reference) {
                    assert!((g - r).abs() < 1e-5, "{isa:?} {rows}x{cols}: {g} vs {r}");
                }
                match &fused {
                    Some(other) => assert_eq!(&got, other, "{isa:?} {rows}x{cols}"),
                    None => fused = Some(got),
                }
            }
        }
    }
}
