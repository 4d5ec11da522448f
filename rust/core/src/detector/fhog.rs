//! Felzenszwalb's HOG features ("fHOG", 31 per 8x8 cell) as dlib's `extract_fhog_features`
//! computes them for an RGB image, equal to dlib's to float rounding.
//!
//! dlib runs most of each row eight pixels at a time and the last few one at a time, and the
//! two differ where two colour channels have gradients of equal strength: the vector code keeps
//! the later channel, the scalar code the earlier one. That choice changes a pixel's orientation,
//! not just a rounding, so it is reproduced per pixel. The histogram's additions are regrouped
//! (see [`histogram`]), so its sums, and the features, differ from dlib's by rounding only.

use super::orient::{bins, key, places};
use super::pool::Pooled;
use crate::image::RgbImage;

/// Planes of features: 18 signed orientations, 9 unsigned, 4 texture (energy) features.
pub const PLANES: usize = 31;

/// The features of one image: `PLANES` planes of `rows` x `cols`, plane-major, with the
/// filter's padding around them already zero (dlib's `filter_rows_padding`).
#[derive(Debug, Default)]
pub struct Features {
    pub rows: usize,
    pub cols: usize,
    pub data: Pooled<f32>,
}

impl Features {
    pub fn plane(&self, p: usize) -> &[f32] {
        &self.data[p * self.rows * self.cols..(p + 1) * self.rows * self.cols]
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0 || self.cols == 0
    }
}

/// Three image rows as planes of floats (red, green, blue), each converted once for the three
/// gradient rows that read it: one row's colours are deinterleaved once instead of four times.
struct Planar {
    data: Vec<f32>,
    width: usize,
}

impl Planar {
    fn new(width: usize) -> Self {
        Self {
            data: vec![0.0; 9 * width],
            width,
        }
    }

    /// Converts image row `y` into the slot it keeps (`y % 3`).
    #[inline(always)]
    fn load(&mut self, image: &RgbImage<'_>, y: usize) {
        let w = self.width;
        let src = &image.pixels()[y * w * 3..(y + 1) * w * 3];
        let slot = &mut self.data[(y % 3) * 3 * w..][..3 * w];
        let (red, rest) = slot.split_at_mut(w);
        let (green, blue) = rest.split_at_mut(w);
        for (((px, r), g), b) in src.chunks_exact(3).zip(red).zip(green).zip(blue) {
            (*r, *g, *b) = (px[0].into(), px[1].into(), px[2].into());
        }
    }

    /// Channel `ch` of image row `y` (which must be loaded).
    #[inline(always)]
    fn channel(&self, y: usize, ch: usize) -> &[f32] {
        &self.data[((y % 3) * 3 + ch) * self.width..][..self.width]
    }
}

/// One row's pixels as the scatter wants them: for pixel x = i + 1 its gradient's place in
/// [`bins`] and its strength's shares for its two cell columns (near, far).
struct Shares {
    key: Vec<u32>,
    shares: Vec<[f32; 2]>,
}

/// Row `y`'s shares for pixels `i + 1`, `i` in `range`, in one branch-free pass that
/// vectorises: the strongest colour channel's gradient (as its key in [`bins`]) and strength.
/// `LATER` is dlib's tie rule between equally strong channels: its vector code keeps the later
/// channel, its scalar code the earlier.
#[inline(always)]
fn row_shares<const LATER: bool>(
    rows: &Planar,
    y: usize,
    range: std::ops::Range<usize>,
    weights: &Weights,
    out: &mut Shares,
) {
    let (start, n) = (range.start, range.len());
    // Channel ch's samples left and right of each pixel, and above and below it.
    let sample = |row: usize, ch: usize, shift: usize| &rows.channel(row, ch)[start + shift..][..n];
    let [l, r, u, d] = [(y, 0), (y, 2), (y - 1, 1), (y + 1, 1)]
        .map(|(row, shift)| [0, 1, 2].map(|ch| sample(row, ch, shift)));
    let (left, right) = (&weights.left[start..][..n], &weights.right[start..][..n]);
    let keys = &mut out.key[start..][..n];
    let shares = &mut out.shares[start..][..n];
    for i in 0..n {
        // Integer differences, squares and sums are exact in single precision.
        let (rx, ry) = (r[0][i] - l[0][i], d[0][i] - u[0][i]);
        let (hx, hy) = (r[1][i] - l[1][i], d[1][i] - u[1][i]);
        let (bx, by) = (r[2][i] - l[2][i], d[2][i] - u[2][i]);
        let (rl, hl, bl) = (rx * rx + ry * ry, hx * hx + hy * hy, bx * bx + by * by);
        // dlib's vector code: `select(r > g, r, g)` then `select(t > b, t, b)`; its scalar
        // code: green only if stronger than red, blue only if stronger than both.
        let take_g = if LATER { hl >= rl } else { hl > rl };
        let (gx, gy, len) = if take_g { (hx, hy, hl) } else { (rx, ry, rl) };
        let take_b = if LATER { bl >= len } else { bl > len };
        let (gx, gy, len) = if take_b { (bx, by, bl) } else { (gx, gy, len) };
        // SAFETY: gx and gy are differences of bytes, so the key is a whole number from 0 to
        // 511 * 511 - 1, which a u32 holds.
        keys[i] = unsafe { key(gx, gy).to_int_unchecked::<u32>() };
        let strength = len.sqrt();
        shares[i] = [left[i] * strength, right[i] * strength];
    }
}

/// Each pixel's column weights, the same on every row: its first cell column (of the
/// histogram's, with its border) and its shares for that column and the next.
struct Weights {
    cols: Vec<u32>,
    left: Vec<f32>,
    right: Vec<f32>,
}

/// The gradients' histogram over cells, each pixel's strength shared bilinearly between the
/// four nearest cell centres (dlib's `hist`, with its one-cell border), kept as one plane per
/// orientation so that the normalisation runs along rows.
///
/// dlib adds each pixel's four shares into the histogram one by one; here a row's shares are
/// first summed per cell column (a row of cells an orientation) and then added to the row's two
/// cell rows with their vertical weights, two rows of one band of cells at a time. The two
/// rows' pixels are taken in turn, each row's into its own running sum (a row alone: its even
/// and odd pixels into the two), so that neighbours in one cell and orientation do not wait on
/// each other's stores. The histogram equals dlib's to float rounding (a score moves by about
/// 1e-6).
#[inline(always)]
fn histogram(image: &RgbImage<'_>, cell: usize, cells_nr: usize, cells_nc: usize) -> Histogram {
    let (nr, nc) = (image.height(), image.width());
    let (hist_nr, hist_nc) = (cells_nr + 2, cells_nc + 2);
    let width = 18 * hist_nc;
    let mut hist = Histogram {
        rows: hist_nr,
        cols: hist_nc,
        data: Pooled::zeros(18 * hist_nr * hist_nc),
    };
    let visible_nr = (cells_nr * cell).min(nr) - 1;
    let visible_nc = (cells_nc * cell).min(nc) - 1;
    // dlib's vector loop covers x = 1, 9, 17, ... while x < visible_nc - 7.
    let vector_end = if visible_nc > 8 {
        1 + (visible_nc - 8).div_ceil(8) * 8
    } else {
        1
    };
    // Each pixel's column weights, the same on every row.
    let pixels = visible_nc.saturating_sub(1);
    let mut weights = Weights {
        cols: Vec::with_capacity(pixels),
        left: Vec::with_capacity(pixels),
        right: Vec::with_capacity(pixels),
    };
    for x in 1..visible_nc {
        let xp = ((x as f64 + 0.5) / cell as f64 - 0.5) as f32;
        let ixp = xp.floor();
        let vx0 = xp - ixp;
        weights.cols.push((ixp as i64 + 1) as u32);
        weights.right.push(vx0);
        weights.left.push(1.0 - vx0);
    }
    // Every share lands at o·hist_nc + col or one further, below width: one check for all.
    assert!(weights.cols.iter().all(|&c| (c as usize) + 1 < hist_nc));
    let mut out = [0, 1].map(|_| Shares {
        key: vec![0; pixels],
        shares: vec![[0.0; 2]; pixels],
    });
    let mut at = [vec![0u32; pixels], vec![0u32; pixels]];
    // dlib's vector code covers pixels 1..vector_end of each row, its scalar code the rest.
    let split = vector_end.saturating_sub(1).min(pixels);
    let bins = bins();
    let mut rows = Planar::new(nc);
    rows.load(image, 0);
    rows.load(image, 1);
    let mut sums = [vec![0f32; width], vec![0f32; width]];
    // A row's band of cells (its upper cell row) and its weights for that row and the next.
    let band = |y: usize| {
        let yp = ((y as f64 + 0.5) / cell as f64 - 0.5) as f32;
        let iyp = yp.floor() as i64;
        let vy0 = yp - iyp as f32;
        ((iyp + 1) as usize, [(1.0 - f64::from(vy0)) as f32, vy0])
    };
    let mut y = 1;
    while y < visible_nr {
        let (upper, first) = band(y);
        let pair = y + 1 < visible_nr && band(y + 1).0 == upper;
        let taken = if pair { 2 } else { 1 };
        for k in 0..taken {
            rows.load(image, y + k + 1);
            row_shares::<true>(&rows, y + k, 0..split, &weights, &mut out[k]);
            row_shares::<false>(&rows, y + k, split..pixels, &weights, &mut out[k]);
            places(bins, &out[k].key, &weights.cols, hist_nc as u32, &mut at[k]);
        }
        let [a, b] = &mut sums;
        let weights = if pair {
            scatter_two(&at, &out, a, b);
            [first, band(y + 1).1]
        } else {
            scatter_one(&at[0], &out[0], a, b);
            [first, first]
        };
        hist.fold(upper, &mut sums, weights);
        y += taken;
    }
    hist
}

/// Two rows' shares, the first's into `a` and the second's into `b`, pixel by pixel.
#[inline(always)]
fn scatter_two(at: &[Vec<u32>; 2], out: &[Shares; 2], a: &mut [f32], b: &mut [f32]) {
    let n = at[0].len();
    let (a0, a1) = (&at[0][..n], &at[1][..n]);
    let (s0, s1) = (&out[0].shares[..n], &out[1].shares[..n]);
    for i in 0..n {
        // SAFETY: every place + 1 is below the sums' width (see `histogram`, `places`).
        unsafe {
            share(a, a0[i] as usize, s0[i]);
            share(b, a1[i] as usize, s1[i]);
        }
    }
}

/// One row's shares, its even pixels' into `a` and its odd pixels' into `b`.
#[inline(always)]
fn scatter_one(at: &[u32], out: &Shares, a: &mut [f32], b: &mut [f32]) {
    let (a2, a_rest) = at.as_chunks::<2>();
    let (s2, s_rest) = out.shares.as_chunks::<2>();
    for (p, s) in a2.iter().zip(s2) {
        // SAFETY: every place + 1 is below the sums' width (see `histogram`, `places`).
        unsafe {
            share(a, p[0] as usize, s[0]);
            share(b, p[1] as usize, s[1]);
        }
    }
    for (p, s) in a_rest.iter().zip(s_rest) {
        // SAFETY: as above.
        unsafe { share(a, *p as usize, *s) };
    }
}

/// One pixel's shares of a row: near to its cell column's place `at` in its orientation's row
/// of sums, far to the next column's.
///
/// # Safety
/// `at + 1 < sums.len()`.
#[inline(always)]
unsafe fn share(sums: &mut [f32], at: usize, [near, far]: [f32; 2]) {
    debug_assert!(at + 1 < sums.len());
    // SAFETY: the caller's promise.
    unsafe {
        *sums.get_unchecked_mut(at) += near;
        *sums.get_unchecked_mut(at + 1) += far;
    }
}

/// The histogram: 18 planes of `rows` x `cols` cells (the cells and a border of one).
struct Histogram {
    rows: usize,
    cols: usize,
    data: Pooled<f32>,
}

impl Histogram {
    /// Orientation `o`'s row `r`, from column `c` on, `n` cells.
    #[inline(always)]
    fn row(&self, o: usize, r: usize, c: usize, n: usize) -> &[f32] {
        &self.data[(o * self.rows + r) * self.cols + c..][..n]
    }

    /// Two running sums (orientation-major rows of cells) added to cell rows `upper` and
    /// `upper + 1`, each with its own pair of weights (upper, lower), then cleared.
    #[inline(always)]
    fn fold(&mut self, upper: usize, sums: &mut [Vec<f32>; 2], w: [[f32; 2]; 2]) {
        let (rows, cols) = (self.rows, self.cols);
        let [a, b] = sums;
        for o in 0..18 {
            let at = (o * rows + upper) * cols;
            let (top, bottom) = self.data[at..at + 2 * cols].split_at_mut(cols);
            let (a, b) = (&mut a[o * cols..][..cols], &mut b[o * cols..][..cols]);
            fold(top, bottom, a, b, w);
        }
    }
}

/// `top += wa[0]·a + wb[0]·b`, `bottom += wa[1]·a + wb[1]·b`, then `a` and `b` cleared. (A
/// function of its own: its four slices then cannot alias, and it vectorises.)
#[inline(always)]
fn fold(top: &mut [f32], bottom: &mut [f32], a: &mut [f32], b: &mut [f32], w: [[f32; 2]; 2]) {
    let n = top.len();
    let (bottom, a, b) = (&mut bottom[..n], &mut a[..n], &mut b[..n]);
    let [wa, wb] = w;
    for i in 0..n {
        top[i] = (top[i] + wa[0] * a[i]) + wb[0] * b[i];
        bottom[i] = (bottom[i] + wa[1] * a[i]) + wb[1] * b[i];
        (a[i], b[i]) = (0.0, 0.0);
    }
}

/// dlib's features of `image` for cells of `cell` pixels and a filter of `pad_rows` x
/// `pad_cols` cells. Inlined into its caller, which is compiled once per instruction set: no
/// step fuses a multiply and an add, so every compilation gives the same bits.
#[inline(always)]
pub fn extract(image: &RgbImage<'_>, cell: usize, pad_rows: usize, pad_cols: usize) -> Features {
    let (nr, nc) = (image.height(), image.width());
    if nr < 3 || nc < 3 {
        return Features::default();
    }
    // `(int)((float)nr / (float)cell + 0.5)`
    let cells_nr = (nr as f32 / cell as f32 + 0.5) as usize;
    let cells_nc = (nc as f32 / cell as f32 + 0.5) as usize;
    if cells_nr < 3 || cells_nc < 3 {
        return Features::default();
    }
    let (hog_nr, hog_nc) = (cells_nr - 2, cells_nc - 2);
    let hist = histogram(image, cell, cells_nr, cells_nc);
    // Each cell's energy: the sum over the nine unsigned orientations, in order.
    let mut norm = vec![0f32; cells_nr * cells_nc];
    for (r, row) in norm.chunks_exact_mut(cells_nc).enumerate() {
        for o in 0..9 {
            let (a, b) = (
                hist.row(o, r + 1, 1, cells_nc),
                hist.row(o + 9, r + 1, 1, cells_nc),
            );
            for ((sum, &a), &b) in row.iter_mut().zip(a).zip(b) {
                let both = a + b;
                *sum += both * both;
            }
        }
    }
    let rows = hog_nr + pad_rows - 1;
    let cols = hog_nc + pad_cols - 1;
    let (off_r, off_c) = ((pad_rows - 1) / 2, (pad_cols - 1) / 2);
    let mut out = Features {
        rows,
        cols,
        // The cells' values are written below; the padding around them is zeroed here.
        data: Pooled::overwritten(PLANES * rows * cols),
    };
    for plane in out.data.chunks_exact_mut(rows * cols) {
        let (above, rest) = plane.split_at_mut(off_r * cols);
        let (middle, below) = rest.split_at_mut(hog_nr * cols);
        above.fill(0.0);
        below.fill(0.0);
        for row in middle.chunks_exact_mut(cols) {
            row[..off_c].fill(0.0);
            row[off_c + hog_nc..].fill(0.0);
        }
    }
    let stride = rows * cols;
    let w = hog_nc;
    // Per row of cells, along the row: each block's norm and scale (four lanes, dlib's order),
    // and the texture sums.
    let mut nn = [vec![0f32; w], vec![0f32; w], vec![0f32; w], vec![0f32; w]];
    let mut scale = nn.clone();
    let mut texture = nn.clone();
    for y in 0..hog_nr {
        let n = |r: usize, c: usize| &norm[r * cells_nc + c..][..w];
        // The four blocks of 2x2 cells around each cell, in dlib's lane order.
        let blocks = [
            [n(y + 1, 1), n(y + 1, 2), n(y + 2, 1), n(y + 2, 2)],
            [n(y, 1), n(y, 2), n(y + 1, 1), n(y + 1, 2)],
            [n(y + 1, 0), n(y + 1, 1), n(y + 2, 0), n(y + 2, 1)],
            [n(y, 0), n(y, 1), n(y + 1, 0), n(y + 1, 1)],
        ];
        for (lane, [a, b, c, d]) in blocks.iter().enumerate() {
            let (nn, scale) = (&mut nn[lane][..w], &mut scale[lane][..w]);
            for x in 0..w {
                nn[x] = 0.2f32 * (a[x] + b[x] + c[x] + d[x] + 0.0001f32).sqrt();
                scale[x] = 0.1f32 / nn[x];
            }
        }
        for t in &mut texture {
            t.fill(0.0);
        }
        let at = (y + off_r) * cols + off_c;
        let [n0, n1, n2, n3] = [&nn[0][..w], &nn[1][..w], &nn[2][..w], &nn[3][..w]];
        let [s0, s1, s2, s3] = [
            &scale[0][..w],
            &scale[1][..w],
            &scale[2][..w],
            &scale[3][..w],
        ];
        let (norms, scales) = ([n0, n1, n2, n3], [s0, s1, s2, s3]);
        for o in (0..18).step_by(3) {
            let [h0, h1, h2] = [0, 1, 2].map(|k| hist.row(o + k, y + 2, 2, w));
            let [t0, t1, t2, t3] = &mut texture;
            let (t0, t1, t2, t3) = (&mut t0[..w], &mut t1[..w], &mut t2[..w], &mut t3[..w]);
            let (first, rest) = out.data[o * stride..(o + 3) * stride].split_at_mut(stride);
            let (second, third) = rest.split_at_mut(stride);
            let (out0, out1, out2) = (
                &mut first[at..at + w],
                &mut second[at..at + w],
                &mut third[at..at + w],
            );
            for x in 0..w {
                let (nn, scale) = block(norms, scales, x);
                let h = [h0[x], h1[x], h2[x]].map(|v| normalised(v, nn, scale));
                out0[x] = lane_sum(&h[0]);
                out1[x] = lane_sum(&h[1]);
                out2[x] = lane_sum(&h[2]);
                t0[x] += h[0][0] + h[1][0] + h[2][0];
                t1[x] += h[0][1] + h[1][1] + h[2][1];
                t2[x] += h[0][2] + h[1][2] + h[2][2];
                t3[x] += h[0][3] + h[1][3] + h[2][3];
            }
        }
        for o in 0..9 {
            let (a, b) = (hist.row(o, y + 2, 2, w), hist.row(o + 9, y + 2, 2, w));
            let dst = &mut out.data[(18 + o) * stride + at..][..w];
            for x in 0..w {
                let (nn, scale) = block(norms, scales, x);
                dst[x] = lane_sum(&normalised(a[x] + b[x], nn, scale));
            }
        }
        for (lane, t) in texture.iter().enumerate() {
            let dst = &mut out.data[(27 + lane) * stride + at..][..w];
            for (d, &t) in dst.iter_mut().zip(t) {
                *d = t * (2.0 * 0.2357) as f32;
            }
        }
    }
    out
}

/// Cell `x`'s four block norms and scales. (A function, not a closure: the compiler inlines
/// it for certain, and its caller is too large for it to inline a closure.)
#[inline(always)]
fn block(nn: [&[f32]; 4], scale: [&[f32]; 4], x: usize) -> ([f32; 4], [f32; 4]) {
    (
        [nn[0][x], nn[1][x], nn[2][x], nn[3][x]],
        [scale[0][x], scale[1][x], scale[2][x], scale[3][x]],
    )
}

/// dlib's `min(v, nn) · scale` in each of a cell's four blocks.
#[inline(always)]
fn normalised(v: f32, nn: [f32; 4], scale: [f32; 4]) -> [f32; 4] {
    [
        v.min(nn[0]) * scale[0],
        v.min(nn[1]) * scale[1],
        v.min(nn[2]) * scale[2],
        v.min(nn[3]) * scale[3],
    ]
}

/// dlib's `sum(simd4f)` on SSE3 and later (two horizontal adds).
#[inline]
fn lane_sum(v: &[f32; 4]) -> f32 {
    (v[0] + v[1]) + (v[2] + v[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_image_has_no_features() {
        let pixels = vec![128; 40 * 32 * 3];
        let f = extract(&RgbImage::new(&pixels, 40, 32).unwrap(), 8, 10, 10);
        assert_eq!((f.rows, f.cols), (2 + 9, 3 + 9));
        assert!(f.data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_vertical_edge_fills_the_horizontal_orientation() {
        let (w, h) = (48, 48);
        let data = (0..w * h)
            .flat_map(|i| {
                let v = if i % w < w / 2 { 0 } else { 200 };
                [v, v, v]
            })
            .collect();
        let data: Vec<u8> = data;
        let f = extract(&RgbImage::new(&data, w, h).unwrap(), 8, 1, 1);
        let (plane0, plane9) = (f.plane(0), f.plane(9));
        assert!(
            plane0.iter().any(|&v| v > 0.0),
            "a rising edge is orientation 0"
        );
        assert!(
            plane9.iter().all(|&v| v == 0.0),
            "none points the other way"
        );
    }

    #[test]
    fn ties_between_channels_follow_the_code_path() {
        // Red has gradient (3, 4), green (5, 0): equal lengths, different directions.
        let mut data = vec![0u8; 3 * 3 * 3];
        let px = |x: usize, y: usize, ch: usize| (y * 3 + x) * 3 + ch;
        data[px(2, 1, 0)] = 3;
        data[px(1, 2, 0)] = 4;
        data[px(2, 1, 1)] = 5;
        let image = RgbImage::new(&data, 3, 3).unwrap();
        let mut rows = Planar::new(3);
        (0..3).for_each(|y| rows.load(&image, y));
        let weights = Weights {
            cols: vec![0],
            left: vec![1.0],
            right: vec![0.0],
        };
        let mut out = Shares {
            key: vec![0],
            shares: vec![[0.0; 2]],
        };
        row_shares::<false>(&rows, 1, 0..1, &weights, &mut out);
        assert_eq!(
            out.key[0] as f32,
            key(3.0, 4.0),
            "scalar: the earlier (red)"
        );
        row_shares::<true>(&rows, 1, 0..1, &weights, &mut out);
        assert_eq!(
            out.key[0] as f32,
            key(5.0, 0.0),
            "vector: the later (green)"
        );
        assert_eq!(out.shares[0], [5.0, 0.0]);
        let bins = [key(3.0, 4.0), key(5.0, 0.0)].map(|k| bins()[k as usize]);
        assert_eq!(bins, [3, 0], "red's orientation, green's");
    }
}
