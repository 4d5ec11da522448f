//! RGB images and the two resamplings the detector's pyramid makes, exactly as dlib makes them.
//!
//! dlib resizes an RGB image (`resize_image` with bilinear interpolation, which both its
//! upsampling and its 5/6 pyramid use) four output pixels at a time in single precision,
//! truncating each sample to a byte, and finishes each row in double precision: the weights,
//! the running `x` and the truncation are reproduced so that every pyramid level equals dlib's
//! byte for byte (the detector's boxes depend on them).

use super::pool::Pooled;
use crate::image::RgbImage;
#[cfg(target_arch = "x86_64")]
use crate::matching::Isa;

/// An owned RGB image: one level of the detector's pyramid, row-major, three bytes a pixel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Level {
    pub width: usize,
    pub height: usize,
    pub data: Pooled<u8>,
}

impl Level {
    pub fn view(&self) -> RgbImage<'_> {
        RgbImage::new(&self.data, self.width, self.height).expect("a level holds its bytes")
    }
}

fn is_empty(image: &RgbImage<'_>) -> bool {
    image.width() == 0 || image.height() == 0
}

fn row<'a>(image: &RgbImage<'a>, y: usize) -> &'a [u8] {
    let w = image.width() * 3;
    &image.pixels()[y * w..(y + 1) * w]
}

/// dlib's `resize_image(in, out)` for RGB images into `width` x `height`.
pub fn resize(input: &RgbImage<'_>, width: usize, height: usize) -> Level {
    #[cfg(target_arch = "x86_64")]
    match Isa::best() {
        // SAFETY: the CPU has AVX-512 F, BW and VL, and AVX2 (checked by `Isa::best`).
        Isa::Avx512 => return unsafe { resize_avx512(input, width, height) },
        // SAFETY: the CPU has AVX2 (checked by `Isa::best`).
        Isa::Avx2 => return unsafe { resize_avx2(input, width, height) },
        Isa::Portable => {}
    }
    resize_with(input, width, height)
}

/// [`resize_with`] compiled for AVX2: the same operations, so the same bytes (Rust never fuses
/// a multiply and an add on its own).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn resize_avx2(input: &RgbImage<'_>, width: usize, height: usize) -> Level {
    resize_with(input, width, height)
}

/// [`resize_with`] compiled for AVX-512, sixteen samples an instruction (the same bytes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2")]
unsafe fn resize_avx512(input: &RgbImage<'_>, width: usize, height: usize) -> Level {
    resize_with(input, width, height)
}

#[inline(always)]
fn resize_with(input: &RgbImage<'_>, width: usize, height: usize) -> Level {
    if is_empty(input) || width == 0 || height == 0 {
        return Level {
            width,
            height,
            data: Pooled::zeros(width * height * 3),
        };
    }
    let mut out = Level {
        width,
        height,
        // Every byte is written below (the vector columns, then the scalar ones).
        data: Pooled::overwritten(width * height * 3),
    };
    let x_scale = (input.width() - 1) as f64 / (width.max(2) - 1) as f64;
    let y_scale = (input.height() - 1) as f64 / (height.max(2) - 1) as f64;
    // A column's position depends on the column only: work it out once for every row. The
    // samples of an input row are gathered once too, for each output row that reads it.
    let columns = Columns::new(input.width(), width, x_scale);
    let mut rows = Gathered::default();
    let mut y = -y_scale;
    for r in 0..height {
        y += y_scale;
        let top = y.floor() as usize;
        let bottom = (top + 1).min(input.height() - 1);
        let tb = y - top as f64;
        let (upper, lower) = (row(input, top), row(input, bottom));
        let row = &mut out.data[r * width * 3..(r + 1) * width * 3];
        let (up, down) = rows.pair(input, &columns, top, bottom);
        vector_part(up, down, &columns, tb, row);
        scalar_part(upper, lower, &columns, tb, row);
    }
    out
}

/// One input row's samples: the left neighbours' bytes and the right neighbours'.
type Samples<'a> = (&'a [u8], &'a [u8]);

/// The last two input rows' samples for the vector columns: for each output byte, the input
/// byte to its left and the one to its right.
#[derive(Default)]
struct Gathered {
    rows: [(usize, Vec<u8>, Vec<u8>); 2],
    next: usize,
}

impl Gathered {
    fn pair(
        &mut self,
        input: &RgbImage<'_>,
        columns: &Columns,
        top: usize,
        bottom: usize,
    ) -> (Samples<'_>, Samples<'_>) {
        let a = self.slot(input, columns, top, None);
        let b = self.slot(input, columns, bottom, Some(a));
        let n = columns.bytes.len();
        let (ra, rb) = (&self.rows[a], &self.rows[b]);
        ((&ra.1[..n], &ra.2[..n]), (&rb.1[..n], &rb.2[..n]))
    }

    /// The slot holding input row `y`, gathering it into the older slot if neither has it
    /// (never into `keep`, which holds the other row of the pair).
    fn slot(
        &mut self,
        input: &RgbImage<'_>,
        columns: &Columns,
        y: usize,
        keep: Option<usize>,
    ) -> usize {
        if let Some(i) = (0..2).find(|&i| self.rows[i].0 == y + 1) {
            return i;
        }
        let i = match keep {
            Some(k) => 1 - k,
            None => self.next,
        };
        self.next = 1 - i;
        let row = row(input, y);
        let (_, left, right) = &mut self.rows[i];
        // Four bytes past the samples: the shuffled gather stores sixteen for twelve.
        let n = columns.bytes.len();
        left.resize(n + 4, 0);
        right.resize(n + 4, 0);
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if Isa::best() >= Isa::Avx2 {
            // SAFETY: the CPU has AVX2, so SSSE3 (checked by `Isa::best`).
            done = unsafe { shuffled(row, &columns.groups, left, right) };
        }
        // Every right neighbour lies in the row (the vector columns stop before the last
        // pixel), so one check here stands for the n checks of the loop.
        let row = &row[..columns.right_end];
        for ((l, r), &at) in left[done..n]
            .iter_mut()
            .zip(right[done..n].iter_mut())
            .zip(&columns.bytes[done..])
        {
            *l = row[at];
            *r = row[at + 3];
        }
        // Stored as y + 1 so that the default 0 means "no row".
        self.rows[i].0 = y + 1;
        i
    }
}

/// Four output pixels' left and right neighbours (twelve bytes each) from one sixteen-byte
/// load apiece, shuffled into place: where a group's pixels lie within five input pixels (any
/// pyramid step and any upsampling) this replaces 24 single-byte reads. Returns how many bytes
/// it wrote (the groups it could do, four pixels each, from the start of the row).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn shuffled(row: &[u8], groups: &[(usize, [u8; 16])], left: &mut [u8], right: &mut [u8]) -> usize {
    use std::arch::x86_64::*;
    assert!(left.len() >= groups.len() * 12 + 4 && right.len() >= groups.len() * 12 + 4);
    let mut done = 0;
    for (base, control) in groups {
        // The last groups' loads would pass the row's end: the caller gathers them one by one.
        if base + 19 > row.len() {
            break;
        }
        // SAFETY: the loads read bytes base..base+19 of `row` (checked above); the stores
        // write bytes done..done+16, ending at most at groups.len() * 12 + 4, of `left` and
        // `right` (asserted).
        unsafe {
            let control = _mm_loadu_si128(control.as_ptr().cast());
            let from = row.as_ptr().add(*base);
            let a = _mm_shuffle_epi8(_mm_loadu_si128(from.cast()), control);
            let b = _mm_shuffle_epi8(_mm_loadu_si128(from.add(3).cast()), control);
            _mm_storeu_si128(left.as_mut_ptr().add(done).cast(), a);
            _mm_storeu_si128(right.as_mut_ptr().add(done).cast(), b);
        }
        done += 12;
    }
    done
}

/// Where each output column samples, as dlib's two loops compute it.
struct Columns {
    /// How many columns dlib's vector loop writes (the rest are the scalar loop's).
    vector_columns: usize,
    /// The rest: left and right byte offsets and the double fraction.
    scalar: Vec<(usize, usize, f64)>,
    /// Per output byte of the vector columns: the left neighbour's byte, the fraction and
    /// one less the fraction (dlib's `1 - lr_frac`, in float).
    bytes: Vec<usize>,
    frac: Vec<f32>,
    inv: Vec<f32>,
    /// One past the last byte the vector columns read.
    right_end: usize,
    /// Per group of four vector columns: the first left neighbour's byte and where in the
    /// sixteen bytes from there each of the twelve samples lies (none if a group spans more).
    groups: Vec<(usize, [u8; 16])>,
}

impl Columns {
    fn new(in_width: usize, out_width: usize, x_scale: f64) -> Self {
        // The vector loop: float positions, `4 * x_scale` added per group of four, truncated;
        // it stops at the first group whose last right neighbour would fall outside the image
        // (the output's width never stops it first; the check keeps the writes in bounds).
        let x = -4.0 * x_scale;
        let step = (4.0 * x_scale) as f32;
        let mut lanes = [
            x as f32,
            (x + x_scale) as f32,
            (x + 2.0 * x_scale) as f32,
            (x + 3.0 * x_scale) as f32,
        ];
        let mut vector = Vec::with_capacity(out_width);
        loop {
            for lane in &mut lanes {
                *lane += step;
            }
            // `_mm_cvttps_epi32`: truncation toward zero.
            let left = lanes.map(|v| v as i32);
            if left[3] + 1 >= in_width as i32 || vector.len() + 4 > out_width {
                break;
            }
            for lane in 0..4 {
                vector.push((left[lane] as usize * 3, lanes[lane] - left[lane] as f32));
            }
        }
        // The scalar loop: double positions from where the vector loop stopped.
        let from = vector.len();
        let mut x = -x_scale + from as f64 * x_scale;
        let scalar = (from..out_width)
            .map(|_| {
                x += x_scale;
                // dlib's x never passes the last column; the bound keeps a rounding in range.
                let left = (x.floor() as usize).min(in_width - 1);
                let right = (left + 1).min(in_width - 1);
                (left * 3, right * 3, x - left as f64)
            })
            .collect();
        let bytes = vector
            .iter()
            .flat_map(|&(l, _)| [l, l + 1, l + 2])
            .collect();
        let frac: Vec<f32> = vector.iter().flat_map(|&(_, f)| [f; 3]).collect();
        let inv = frac.iter().map(|f| 1.0 - f).collect();
        let right_end = vector.last().map_or(0, |&(l, _)| l + 6);
        let groups = vector
            .chunks_exact(4)
            .map_while(|group| {
                let base = group[0].0;
                let mut control = [0x80u8; 16];
                for (k, &(l, _)) in group.iter().enumerate() {
                    for ch in 0..3 {
                        control[3 * k + ch] =
                            u8::try_from(l - base + ch).ok().filter(|&i| i < 16)?;
                    }
                }
                Some((base, control))
            })
            .collect();
        Self {
            groups,
            right_end,
            vector_columns: from,
            scalar,
            bytes,
            frac,
            inv,
        }
    }
}

/// dlib's vector loop: float weights, each sample truncated to a byte.
#[inline(always)]
fn vector_part(
    (ul, ur): Samples<'_>,
    (ll, lr): Samples<'_>,
    columns: &Columns,
    tb: f64,
    row: &mut [u8],
) {
    let (tb_f, inv_tb) = (tb as f32, (1.0 - tb) as f32);
    let n = columns.bytes.len();
    let (ul, ur, ll, lr) = (&ul[..n], &ur[..n], &ll[..n], &lr[..n]);
    let (inv, frac, row) = (&columns.inv[..n], &columns.frac[..n], &mut row[..n]);
    for k in 0..n {
        let value = (inv_tb * inv[k]) * f32::from(ul[k])
            + (inv_tb * frac[k]) * f32::from(ur[k])
            + (tb_f * inv[k]) * f32::from(ll[k])
            + (tb_f * frac[k]) * f32::from(lr[k]);
        // Truncation as `_mm_cvttps_epi32`; the value is a weighted mean of bytes, so finite
        // and in [0, 256), which is what makes the unchecked conversion sound.
        debug_assert!((0.0..256.0).contains(&value));
        // SAFETY: finite and representable as i32 (see above).
        row[k] = unsafe { value.to_int_unchecked::<i32>() } as u8;
    }
}

/// dlib's scalar tail of the row, in double precision, each sample truncated.
#[inline]
fn scalar_part(upper: &[u8], lower: &[u8], columns: &Columns, tb: f64, row: &mut [u8]) {
    let done = columns.vector_columns;
    for (out, &(l, r, lr)) in row[done * 3..].chunks_exact_mut(3).zip(&columns.scalar) {
        for ch in 0..3 {
            let [tl, tr, bl, br] =
                [upper[l + ch], upper[r + ch], lower[l + ch], lower[r + ch]].map(f64::from);
            let value = (1.0 - tb) * ((1.0 - lr) * tl + lr * tr) + tb * ((1.0 - lr) * bl + lr * br);
            out[ch] = value as u8;
        }
    }
}

/// dlib's `pyramid_up(img)` with `pyramid_down<2>`: the image resized to the box its rectangle
/// maps to one level up ((2h + 1) x (2w + 2) pixels for an h x w image).
pub fn upsample(input: &RgbImage<'_>) -> Level {
    if is_empty(input) {
        return Level::default();
    }
    let up = super::geometry::Rect {
        left: 0,
        top: 0,
        right: input.width() as i64 - 1,
        bottom: input.height() as i64 - 1,
    }
    .mapped(super::geometry::up2);
    resize(input, (up.right + 1) as usize, (up.bottom + 1) as usize)
}

/// One level of dlib's `pyramid_down<6>`: 5/6 of each side (rounded down), resized bilinearly.
pub fn down6(input: &RgbImage<'_>) -> Level {
    resize(input, 5 * input.width() / 6, 5 * input.height() / 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: usize, height: usize) -> Level {
        let data: Vec<u8> = (0..width * height * 3)
            .map(|i| ((i * 37 + i / 7) % 251) as u8)
            .collect();
        Level {
            width,
            height,
            data: data.into(),
        }
    }

    #[test]
    fn resizing_to_the_same_size_keeps_every_pixel() {
        let image = gradient(37, 23);
        assert_eq!(resize(&image.view(), 37, 23), image);
    }

    #[test]
    fn upsampling_gives_dlibs_odd_size() {
        let up = upsample(&gradient(10, 7).view());
        assert_eq!((up.width, up.height), (22, 15));
        assert_eq!(down6(&up.view()).width, 18);
    }
}
