//! The filters' responses over one level's features: each filter's separable parts applied as
//! a pass along the rows then one down the columns, summed over every part of every plane.
//!
//! Between the passes, and in the sums, values are kept in tiles of [`TILE`] columns, each
//! tile's rows one after another: the column pass then reads its rows at fixed offsets from one
//! pointer (row-major, it needed a pointer per row, more than the registers, and reloaded them
//! from the stack on every step).

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

/// Columns per tile: one AVX-512 vector, two AVX2 ones.
const TILE: usize = 16;

/// Where value (`line`, `c`) of a tiled array of `lines` rows lies.
#[inline(always)]
fn tiled(line: usize, c: usize, lines: usize) -> usize {
    (c / TILE * lines + line) * TILE + c % TILE
}

/// Every filter's response over `features` (one [`Response`] per filter, in order).
pub fn respond(
    features: &Features,
    filters: &[Filter],
    filter_rows: usize,
    filter_cols: usize,
) -> Vec<Response> {
    let empty = || Response {
        rows: 0,
        cols: 0,
        values: Pooled::default(),
    };
    if features.rows < filter_rows || features.cols < filter_cols {
        return filters.iter().map(|_| empty()).collect();
    }
    let rows = features.rows - filter_rows + 1;
    let cols = features.cols - filter_cols + 1;
    let tiles = cols.div_ceil(TILE);
    let mut sums: Vec<Pooled<f32>> = filters
        .iter()
        .map(|_| Pooled::zeros(tiles * rows * TILE))
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
    let len = tiles * (BAND + filter_rows - 1) * TILE;
    let mut along: Vec<Vec<f32>> = (0..GROUP).map(|_| vec![0f32; len]).collect();
    for r0 in (0..rows).step_by(BAND) {
        let band = BAND.min(rows - r0);
        let lines = band + filter_rows - 1;
        for (p, parts) in parts.iter().enumerate() {
            let plane = &features.plane(p)[r0 * features.cols..(r0 + lines) * features.cols];
            for group in parts.chunks(GROUP) {
                let along = &mut along[..group.len()];
                let taps: Vec<&[f32]> = group.iter().map(|(_, part)| &part.row[..]).collect();
                along_rows_grouped(plane, features.cols, &taps, cols, lines, along);
                for (&(f, part), along) in group.iter().zip(along.iter()) {
                    let along = &along[..tiles * lines * TILE];
                    down_columns(along, lines, &part.col, (r0, band), rows, &mut sums[f]);
                }
            }
        }
    }
    sums.iter()
        .map(|sums| {
            // Every value is written below.
            let mut values = Pooled::overwritten(rows * cols);
            for (r, row) in values.chunks_exact_mut(cols).enumerate() {
                for (t, part) in row.chunks_mut(TILE).enumerate() {
                    part.copy_from_slice(&sums[tiled(r, t * TILE, rows)..][..part.len()]);
                }
            }
            Response { rows, cols, values }
        })
        .collect()
}

/// Parts whose row passes share their loads (AVX-512 only: its row pass is bound by loads;
/// four measured faster than three, six or eight).
const GROUP: usize = 4;

/// [`along_rows`] for each row filter of `taps` into the first `lines` tiled rows of the
/// matching `along`.
fn along_rows_grouped(
    plane: &[f32],
    width: usize,
    taps: &[&[f32]],
    cols: usize,
    lines: usize,
    along: &mut [Vec<f32>],
) {
    let len = cols.div_ceil(TILE) * lines * TILE;
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

/// `along[r][c] = Σ_n row[n] · plane[r][c + n]` for every row of the plane, `along` tiled.
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
    let lines = along.len() / (cols.div_ceil(TILE) * TILE);
    for (r, src) in plane.chunks_exact(width).take(lines).enumerate() {
        for c in 0..cols {
            let mut acc = 0.0f32;
            for (n, &w) in row.iter().enumerate() {
                acc += w * src[c + n];
            }
            along[tiled(r, c, lines)] = acc;
        }
    }
}

/// `sums[r0 + r][c] += Σ_m col[m] · along[r + m][c]` for the `band` rows from `r0`, both
/// tiled (`along` with `lines` rows, `sums` with `rows`).
fn down_columns(
    along: &[f32],
    lines: usize,
    col: &[f32],
    (r0, band): (usize, usize),
    rows: usize,
    sums: &mut [f32],
) {
    let tiles = sums.len() / (rows * TILE);
    assert!(r0 + band <= rows && lines + 1 >= band + col.len());
    assert!(along.len() >= tiles * lines * TILE && sums.len() == tiles * rows * TILE);
    let tile_pairs = along
        .chunks_exact(lines * TILE)
        .zip(sums.chunks_exact_mut(rows * TILE));
    #[cfg(target_arch = "x86_64")]
    if col.len() == TAPS {
        match crate::matching::Isa::best() {
            Isa::Avx512 => {
                for (a, s) in tile_pairs {
                    // SAFETY: the CPU has AVX-512 F (checked by `Isa::best`); the tiles hold
                    // the rows the pass reads and writes (asserted above).
                    unsafe { avx512::down_tile(a, col, band, &mut s[r0 * TILE..]) };
                }
                return;
            }
            Isa::Avx2 => {
                for (a, s) in tile_pairs {
                    // SAFETY: the CPU has AVX2 and FMA (checked by `Isa::best`); as above.
                    unsafe { avx2::down_tile(a, col, band, &mut s[r0 * TILE..]) };
                }
                return;
            }
            Isa::Portable => {}
        }
    }
    for (a, s) in tile_pairs {
        for r in 0..band {
            let dst = &mut s[(r0 + r) * TILE..][..TILE];
            for (m, &w) in col.iter().enumerate() {
                let src = &a[(r + m) * TILE..][..TILE];
                for (d, &x) in dst.iter_mut().zip(src) {
                    *d += w * x;
                }
            }
        }
    }
}

/// The frontal detector's filter side in cells: the vector kernels keep its taps in registers.
const TAPS: usize = super::model::FILTER;

/// The two passes with eight columns per instruction (a tile's two halves) and fused
/// multiply-adds (the sums are those of the portable code to rounding: a score moves by about
/// 1e-6).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{TAPS, TILE};
    use std::arch::x86_64::*;

    /// The lanes of the eight columns from `c` that lie before `cols`, as `maskload` wants.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn lanes(c: usize, cols: usize) -> __m256i {
        let n = cols.saturating_sub(c).min(8) as i32;
        let first = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n), first)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn along_rows(
        plane: &[f32],
        width: usize,
        row: &[f32],
        cols: usize,
        along: &mut [f32],
    ) {
        let w: [__m256; TAPS] = std::array::from_fn(|n| _mm256_set1_ps(row[n]));
        let tiles = cols.div_ceil(TILE);
        let lines = along.len() / (tiles * TILE);
        // Output column c reads src[c + n], n < TAPS: below cols - 1 + TAPS <= width.
        assert!(width + 1 >= cols + TAPS && plane.len() >= lines * width);
        for r in 0..lines {
            let src = plane[r * width..(r + 1) * width].as_ptr();
            for t in 0..tiles {
                let dst = along[(t * lines + r) * TILE..][..TILE].as_mut_ptr();
                for half in [0, 8] {
                    let c = t * TILE + half;
                    if c >= cols {
                        break;
                    }
                    let mut acc = _mm256_setzero_ps();
                    if c + 8 <= cols {
                        for (n, &wn) in w.iter().enumerate() {
                            // SAFETY: c + n + 8 <= cols - 1 + TAPS <= width (asserted above).
                            let x = unsafe { _mm256_loadu_ps(src.add(c + n)) };
                            acc = _mm256_fmadd_ps(wn, x, acc);
                        }
                    } else {
                        // The row's last columns: the lanes past its end read nothing.
                        let m = lanes(c, cols);
                        for (n, &wn) in w.iter().enumerate() {
                            // SAFETY: only lanes below cols - c are read, inside row r.
                            let x = unsafe { _mm256_maskload_ps(src.add(c + n), m) };
                            acc = _mm256_fmadd_ps(wn, x, acc);
                        }
                    }
                    // SAFETY: the tile's row holds TILE values from `dst`.
                    unsafe { _mm256_storeu_ps(dst.add(half), acc) };
                }
            }
        }
    }

    /// One tile's column pass for `band` output rows: four rows at a time share their inputs
    /// (13 loads feed 40 multiply-adds, and the four sums and ten taps fill the sixteen
    /// registers), each tile half in turn.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `along` holds band + TAPS - 1 tiled rows and `sums` band.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn down_tile(along: &[f32], col: &[f32], band: usize, sums: &mut [f32]) {
        let w: [__m256; TAPS] = std::array::from_fn(|m| _mm256_set1_ps(col[m]));
        assert!(along.len() >= (band + TAPS - 1) * TILE && sums.len() >= band * TILE);
        let (a, v) = (along.as_ptr(), sums.as_mut_ptr());
        let mut r = 0;
        while r + 4 <= band {
            // SAFETY: rows r..r+4 of the sums and r..r+TAPS+3 of `along` (asserted above).
            unsafe { down_block::<4>(a.add(r * TILE), &w, v.add(r * TILE)) };
            r += 4;
        }
        for r in r..band {
            // SAFETY: as above, one row.
            unsafe { down_block::<1>(a.add(r * TILE), &w, v.add(r * TILE)) };
        }
    }

    /// Output rows 0..K from `v`, inputs from `a`: each at a fixed offset.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `v` holds K tiled rows and `a` K + TAPS - 1.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn down_block<const K: usize>(a: *const f32, w: &[__m256; TAPS], v: *mut f32) {
        // The steps written out below cover K <= 4 (known when compiled: no run-time cost).
        assert!(K <= 4);
        for half in [0, 8] {
            // SAFETY: rows 0..K of `v` (the caller's promise).
            let mut acc: [__m256; K] =
                std::array::from_fn(|k| unsafe { _mm256_loadu_ps(v.add(k * TILE + half)) });
            // Written out step by step, as the AVX-512 pass is.
            macro_rules! steps {
                ($($i:literal)*) => {$(
                    if $i < TAPS + K - 1 {
                        // SAFETY: input row i < K + TAPS - 1 (the caller's promise).
                        let x = unsafe { _mm256_loadu_ps(a.add($i * TILE + half)) };
                        for (k, acc) in acc.iter_mut().enumerate() {
                            // Output row k takes input row i with tap i - k.
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
                unsafe { _mm256_storeu_ps(v.add(k * TILE + half), *acc) };
            }
        }
    }
}

/// The two passes with sixteen columns (a tile) per instruction, the row's last columns under
/// a mask, and the column pass eight output rows at a time. Each sum is taken in the order of
/// the AVX2 kernels, so the two paths give the same bits.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{TAPS, TILE};
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
        let tiles = cols.div_ceil(TILE);
        let lines = along[0].len() / (tiles * TILE);
        assert!(along.iter().all(|a| a.len() == tiles * lines * TILE));
        // Output column c reads src[c + n], n < TAPS: below cols - 1 + TAPS <= width.
        assert!(width + 1 >= cols + TAPS && plane.len() >= lines * width);
        let dst: [*mut f32; K] = std::array::from_fn(|k| along[k].as_mut_ptr());
        for r in 0..lines {
            let src = plane[r * width..(r + 1) * width].as_ptr();
            for t in 0..tiles {
                let c = t * TILE;
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
                    // SAFETY: tile t's row r, inside along[k] (asserted above).
                    unsafe { _mm512_storeu_ps(dst[k].add((t * lines + r) * TILE), acc[k]) };
                }
            }
        }
    }

    /// One tile's column pass for `band` output rows, eight at a time: they share their
    /// inputs, so 17 loads feed 80 multiply-adds.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `along` holds band + TAPS - 1 tiled rows and `sums` band.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn down_tile(along: &[f32], col: &[f32], band: usize, sums: &mut [f32]) {
        let w: [__m512; TAPS] = std::array::from_fn(|m| _mm512_set1_ps(col[m]));
        assert!(along.len() >= (band + TAPS - 1) * TILE && sums.len() >= band * TILE);
        let (a, v) = (along.as_ptr(), sums.as_mut_ptr());
        let mut r = 0;
        while r + 8 <= band {
            // SAFETY: rows r..r+8 of the sums and r..r+TAPS+7 of `along` (asserted above).
            unsafe { down_block::<8>(a.add(r * TILE), &w, v.add(r * TILE)) };
            r += 8;
        }
        for r in r..band {
            // SAFETY: as above, one row.
            unsafe { down_block::<1>(a.add(r * TILE), &w, v.add(r * TILE)) };
        }
    }

    /// Output rows 0..K from `v`, inputs from `a`: each at a fixed offset.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `v` holds K tiled rows and `a` K + TAPS - 1.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn down_block<const K: usize>(a: *const f32, w: &[__m512; TAPS], v: *mut f32) {
        // SAFETY: rows 0..K of `v` (the caller's promise).
        let mut acc: [__m512; K] =
            std::array::from_fn(|k| unsafe { _mm512_loadu_ps(v.add(k * TILE)) });
        // Written out step by step: as a loop the compiler kept the accumulators and weights
        // on the stack, at half the speed.
        macro_rules! steps {
            ($($i:literal)*) => {$(
                if $i < TAPS + K - 1 {
                    // SAFETY: input row i < K + TAPS - 1 (the caller's promise).
                    let x = unsafe { _mm512_loadu_ps(a.add($i * TILE)) };
                    for (k, acc) in acc.iter_mut().enumerate() {
                        // Output row k takes input row i with tap i - k.
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
            // SAFETY: as the loads of `acc`.
            unsafe { _mm512_storeu_ps(v.add(k * TILE), *acc) };
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

    /// Both passes over a plane whose width leaves a ragged last block for either lane width,
    /// onto sums that start non-zero; returned row-major.
    fn both_passes(isa: Isa, rows: usize, cols: usize) -> Vec<f32> {
        let width = cols + TAPS - 1;
        let lines = rows + TAPS - 1;
        let input = plane(lines, width, 7);
        let (row, col) = (plane(1, TAPS, 11), plane(1, TAPS, 13));
        let mut values = plane(rows, cols, 17);
        if isa == Isa::Portable {
            let mut along = vec![0f32; lines * cols];
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
            return values;
        }
        let tiles = cols.div_ceil(TILE);
        let mut along = vec![0f32; tiles * lines * TILE];
        let mut sums = vec![0f32; tiles * rows * TILE];
        for r in 0..rows {
            for c in 0..cols {
                sums[tiled(r, c, rows)] = values[r * cols + c];
            }
        }
        let pairs = |along: &Vec<f32>, sums: &mut Vec<f32>, pass: &dyn Fn(&[f32], &mut [f32])| {
            let tiles = along.chunks_exact(lines * TILE);
            tiles
                .zip(sums.chunks_exact_mut(rows * TILE))
                .for_each(|(a, s)| pass(a, s));
        };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: each path runs only where the CPU has it (the callers check).
        unsafe {
            match isa {
                Isa::Avx512 => {
                    avx512::along_rows(&input, width, &row, cols, &mut along);
                    pairs(&along, &mut sums, &|a, s| {
                        avx512::down_tile(a, &col, rows, s)
                    });
                }
                Isa::Avx2 => {
                    avx2::along_rows(&input, width, &row, cols, &mut along);
                    pairs(&along, &mut sums, &|a, s| avx2::down_tile(a, &col, rows, s));
                }
                Isa::Portable => {}
            }
        }
        for r in 0..rows {
            for c in 0..cols {
                values[r * cols + c] = sums[tiled(r, c, rows)];
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
                    let mut along = vec![0f32; cols.div_ceil(TILE) * rows * TILE];
                    // SAFETY: the CPU has AVX-512 (checked above).
                    unsafe { avx512::along_rows(&input, width, t, cols, &mut along) };
                    along
                })
                .collect();
            let mut many = vec![vec![0f32; cols.div_ceil(TILE) * rows * TILE]; 4];
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
