//! dlib's `extract_image_chip` with bilinear interpolation, for one chip at a time
//! (`extract_image_chips` in `dlib/image_transforms/interpolation.h`, as `get_face_chip` runs
//! it).
//!
//! When the chip is much smaller than the rectangle it covers, dlib first shrinks the part of
//! the image around it with `pyramid_down<2>` until bilinear sampling no longer skips pixels, and
//! samples the level whose size is just above the chip's. The region (the rotated rectangle
//! grown by a margin, clipped to the image, rounded to whole pixels) matters twice: the pyramid
//! is built from it, so its corner fixes the pyramid's sampling grid, and without a pyramid a
//! sample outside it is black even where the image goes on. Both are kept here.

use super::details::{ChipDetails, MAX_CHIP_SIZE};
use super::pyramid::{self, Level, View};
use super::rect::{DRect, rect_is_empty};
use crate::CoreError;
use crate::landmarks::transform::{DPoint, affine3, rotate_point};
use crate::landmarks::{Rect, RgbImage};

/// Bound on pyramid levels. A finite rectangle needs far fewer; the bound only keeps a chip
/// whose rectangle was given as infinite from looping for ever.
const MAX_DEPTH: usize = 2048;

/// The chip `details` describes, cut from `image`: `rows × cols × 3` bytes, dlib's pixels.
/// Samples falling outside the image (or outside the region dlib reads) are black.
pub fn extract_image_chip(
    image: &RgbImage<'_>,
    details: &ChipDetails,
) -> Result<Vec<u8>, CoreError> {
    let ChipDetails {
        rect,
        angle,
        rows,
        cols,
    } = *details;
    if !(1..=MAX_CHIP_SIZE).contains(&rows) || !(1..=MAX_CHIP_SIZE).contains(&cols) {
        return Err(CoreError::InvalidArgument(format!(
            "a chip must be 1 to {MAX_CHIP_SIZE} pixels on each side, got {rows}x{cols}"
        )));
    }
    let mut chip = vec![0u8; rows * cols * 3];
    let full = View {
        pixels: image.pixels(),
        stride: 3 * image.width(),
        width: image.width(),
        height: image.height(),
    };
    // No rotation or scaling: dlib copies the (rounded) rectangle.
    if angle == 0.0 && rows as f64 == rect.height() && cols as f64 == rect.width() {
        copy(full, rect.lround(), cols, &mut chip);
        return Ok(chip);
    }
    let size = (rows * cols) as f64;
    let (depth, grow) = pyramid_depth(&rect, size);
    let region = region(&rect, angle, grow, image);
    let base = sub_view(full, region);

    let mut levels: Vec<Level> = Vec::new();
    for _ in 0..depth {
        let next = pyramid::down(levels.last().map_or(base, Level::view));
        levels.push(next);
    }
    // The level to sample: the deepest whose rectangle is still larger than the chip (dlib
    // measures it on the rectangle moved to the region's origin).
    let mut level = None;
    let mut r = rect.translate(-region.left, -region.top);
    while r.down().area() > size && level.map_or(0, |l| l + 1) < levels.len() {
        level = Some(level.map_or(0, |l| l + 1));
        r = r.down();
    }
    let source = level.map_or(base, |l| levels[l].view());

    let c = r.center();
    let to = [r.tl(), r.tr(), r.bl()].map(|p| rotate_point(c, p, angle));
    let from = [
        [0.0, 0.0],
        [(cols - 1) as f64, 0.0],
        [0.0, (rows - 1) as f64],
    ];
    let tform = affine3(&from, &to);
    for (y, row) in chip.chunks_exact_mut(cols * 3).enumerate() {
        for (x, out) in row.chunks_exact_mut(3).enumerate() {
            bilinear(source, tform.apply([x as i64 as f64, y as i64 as f64]), out);
        }
    }
    Ok(chip)
}

/// How many pyramid levels dlib builds for a chip of `size` pixels covering `rect` (halving
/// until the rectangle is no larger than the chip), and the margin their border effects need.
fn pyramid_depth(rect: &DRect, size: f64) -> (usize, f64) {
    let (mut depth, mut grow) = (0, 2.0);
    let mut r = rect.down();
    while r.area() > size && depth < MAX_DEPTH {
        r = r.down();
        depth += 1;
        grow = grow * 2.0 + 2.0;
    }
    (depth, grow)
}

/// The pixels dlib reads for a chip: the rotated rectangle grown by `grow`, clipped to the
/// image and rounded (dlib's empty `rectangle` when nothing is left).
fn region(rect: &DRect, angle: f64, grow: f64, image: &RgbImage<'_>) -> Rect {
    let centre = rect.center();
    let rotated = [rect.tl(), rect.tr(), rect.bl(), rect.br()]
        .into_iter()
        .fold(DRect::EMPTY, |acc, p| {
            acc.with_point(rotate_point(centre, p, angle))
        });
    let whole = DRect {
        left: 0.0,
        top: 0.0,
        right: image.width() as f64 - 1.0,
        bottom: image.height() as f64 - 1.0,
    };
    let region = rotated.grow(grow).intersect(&whole).lround();
    if rect_is_empty(&region) {
        Rect {
            left: 0,
            top: 0,
            right: -1,
            bottom: -1,
        }
    } else {
        region
    }
}

/// The part of `full` inside `region` (empty when `region` is).
fn sub_view<'a>(full: View<'a>, region: Rect) -> View<'a> {
    if rect_is_empty(&region) {
        return View {
            pixels: &[],
            stride: 0,
            width: 0,
            height: 0,
        };
    }
    // The region lies inside the image: it was clipped to it before rounding.
    let start = region.top as usize * full.stride + 3 * region.left as usize;
    View {
        pixels: &full.pixels[start..],
        stride: full.stride,
        width: (region.right - region.left + 1) as usize,
        height: (region.bottom - region.top + 1) as usize,
    }
}

/// dlib's `interpolate_bilinear` for RGB: the four neighbours weighted in double, each channel
/// truncated to a byte; nothing written (black) when a neighbour is outside.
#[inline]
fn bilinear(src: View<'_>, p: DPoint, out: &mut [u8]) {
    let [x, y] = p;
    // dlib's test `floor(x) >= 0 && floor(x) + 1 < width`, written on x so that NaN and
    // values beyond any integer fail it instead of being cast.
    if !(x >= 0.0 && y >= 0.0 && x < src.width as f64 - 1.0 && y < src.height as f64 - 1.0) {
        return;
    }
    // x and y are non-negative here, so truncation is dlib's floor. (Signed conversions: on
    // x86-64 without AVX-512 they are single instructions, unsigned ones are not.)
    let (left, top) = (x as i64, y as i64);
    let lr = x - left as f64;
    let tb = y - top as f64;
    let at = top as usize * src.stride + 3 * left as usize;
    let block = &src.pixels[at..at + src.stride + 6];
    // The three channels side by side (and a fourth, unused), so the compiler can keep them in
    // vector registers: each lane does dlib's per-channel arithmetic unchanged.
    let lanes = |p: &[u8]| [f64::from(p[0]), f64::from(p[1]), f64::from(p[2]), 0.0];
    let (tl, tr) = (lanes(&block[..3]), lanes(&block[3..6]));
    let (bl, br) = (lanes(&block[src.stride..]), lanes(&block[src.stride + 3..]));
    let mut value = [0.0; 4];
    for k in 0..4 {
        let upper = tl[k] * (1.0 - lr) + tr[k] * lr;
        let lower = bl[k] * (1.0 - lr) + br[k] * lr;
        value[k] = upper * (1.0 - tb) + lower * tb;
    }
    for (o, v) in out.iter_mut().zip(value) {
        *o = v as u8;
    }
}

/// dlib's `basic_extract_image_chip`: a plain copy of `location`, black outside the image.
fn copy(full: View<'_>, location: Rect, cols: usize, chip: &mut [u8]) {
    for (y, row) in chip.chunks_exact_mut(cols * 3).enumerate() {
        let sy = location.top.saturating_add(y as i64);
        for (x, out) in row.chunks_exact_mut(3).enumerate() {
            let sx = location.left.saturating_add(x as i64);
            if sx >= 0
                && sy >= 0
                && (sx as u64) < full.width as u64
                && (sy as u64) < full.height as u64
            {
                out.copy_from_slice(full.at(sx as usize, sy as usize));
            }
        }
    }
}
