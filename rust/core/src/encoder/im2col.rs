//! The unfolding of an input for a convolution as one matrix product (im2col).

use super::act::{Act, grown};

/// The output positions `[first, end)` whose input column `o·stride + offset − pad` lies in
/// `[0, len)`.
fn valid_range(len: usize, out: usize, stride: usize, offset: usize, pad: usize) -> (usize, usize) {
    let first = pad.saturating_sub(offset).div_ceil(stride).min(out);
    let end = (len + pad).saturating_sub(offset).div_ceil(stride).min(out);
    (first, end.max(first))
}

/// Unfolds `src` so that row `(c·size + ky)·size + kx`, column `oy·ow + ox` holds the input the
/// filter tap (c, ky, kx) sees at output (oy, ox), zero where it falls in the padding. Rows are
/// `ld` apart; the `ld − oh·ow` values after each are left as they were. `phases` is scratch
/// space for strided convolutions.
#[allow(clippy::too_many_arguments)]
pub fn im2col(
    src: &Act,
    size: usize,
    stride: usize,
    pad: usize,
    oh: usize,
    ow: usize,
    ld: usize,
    cols: &mut [f32],
    phases: &mut Vec<f32>,
) {
    let (h, w) = (src.h, src.w);
    let pw = if stride > 1 {
        split_phases(src, stride, phases)
    } else {
        0
    };
    let mut rows = cols.chunks_mut(ld);
    for (c, plane) in src.data().chunks_exact(h * w).enumerate() {
        for ky in 0..size {
            let (y0, y1) = valid_range(h, oh, stride, ky, pad);
            for kx in 0..size {
                let (x0, x1) = valid_range(w, ow, stride, kx, pad);
                let Some(row) = rows.next() else { return };
                let row = &mut row[..oh * ow];
                row[..y0 * ow].fill(0.0);
                row[y1 * ow..].fill(0.0);
                if stride == 1 && ow == w && y0 < y1 {
                    shifted(plane, row, ow, (y0, y1), (x0, x1), ky, kx, pad);
                    continue;
                }
                for oy in y0..y1 {
                    let out = &mut row[oy * ow..(oy + 1) * ow];
                    out[..x0].fill(0.0);
                    out[x1..].fill(0.0);
                    let (iy, ix) = (oy * stride + ky - pad, x0 * stride + kx - pad);
                    let line = if stride == 1 {
                        &plane[iy * w + ix..]
                    } else {
                        // Every stride-th input column, from column ix, lies in one phase.
                        &phases[((c * stride + ix % stride) * h + iy) * pw + ix / stride..]
                    };
                    out[x0..x1].copy_from_slice(&line[..x1 - x0]);
                }
            }
        }
    }
}

/// Splits each row of `src` into `stride` phases (phase p holds columns p, p + stride, …), so
/// that the inputs a strided tap reads along a row are contiguous. Returns the phase width.
fn split_phases(src: &Act, stride: usize, phases: &mut Vec<f32>) -> usize {
    let pw = src.w.div_ceil(stride);
    let mut dst = grown(phases, src.c * stride * src.h * pw).chunks_exact_mut(pw);
    for plane in src.data().chunks_exact(src.h * src.w) {
        for p in 0..stride {
            for line in plane.chunks_exact(src.w) {
                let out = dst.next().expect("sized above");
                for (o, &v) in out.iter_mut().zip(line.iter().skip(p).step_by(stride)) {
                    *o = v;
                }
            }
        }
    }
    pw
}

/// A stride-1 tap whose output rows are as long as the input's: output (oy, ox) reads input
/// `oy·w + ox + shift`, so all valid rows are one copy, after which the columns that wrapped
/// around into the neighbouring row (the horizontal padding) are zeroed.
#[allow(clippy::too_many_arguments)]
fn shifted(
    plane: &[f32],
    row: &mut [f32],
    w: usize,
    (y0, y1): (usize, usize),
    (x0, x1): (usize, usize),
    ky: usize,
    kx: usize,
    pad: usize,
) {
    let (from, to) = (y0 * w, y1 * w);
    // Input position of output `from`: row y0 + ky − pad, column kx − pad (may be negative).
    let start = ((y0 + ky - pad) * w + kx) as isize - pad as isize;
    let lo = start.max(0) as usize;
    let skip = (lo as isize - start) as usize + from;
    let end = (start + (to - from) as isize).min(plane.len() as isize) as usize;
    row[from..skip].fill(0.0);
    row[skip..skip + (end - lo)].copy_from_slice(&plane[lo..end]);
    row[skip + (end - lo)..to].fill(0.0);
    for out in row[from..to].chunks_exact_mut(w) {
        out[..x0].fill(0.0);
        out[x1..].fill(0.0);
    }
}
