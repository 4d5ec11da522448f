//! Felzenszwalb's HOG features ("fHOG", 31 per 8x8 cell) as dlib's `extract_fhog_features`
//! computes them for an RGB image, equal to dlib's to float rounding.
//!
//! dlib runs most of each row eight pixels at a time and the last few one at a time, and the
//! two differ where two colour channels have gradients of equal strength: the vector code keeps
//! the later channel, the scalar code the earlier one. That choice changes a pixel's orientation,
//! not just a rounding, so it is reproduced per pixel. The histogram's additions are regrouped
//! (see [`histogram`]), so its sums, and the features, differ from dlib's by rounding only.

use super::pool::Pooled;
use crate::image::RgbImage;

/// Planes of features: 18 signed orientations, 9 unsigned, 4 texture (energy) features.
pub const PLANES: usize = 31;

/// dlib's nine unit directions, rounded to four decimals as dlib writes them.
const DIRECTIONS: [(f32, f32); 9] = [
    (1.0000, 0.0000),
    (0.9397, 0.3420),
    (0.7660, 0.6428),
    (0.500, 0.8660),
    (0.1736, 0.9848),
    (-0.1736, 0.9848),
    (-0.5000, 0.8660),
    (-0.7660, 0.6428),
    (-0.9397, 0.3420),
];

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

/// One row's gradients: for each pixel x in 1..width-1, the strongest of the three colour
/// channels' central differences (gx, gy) and its squared length. Where two channels are equally
/// strong, dlib's vector code keeps the later channel and its scalar code the earlier one;
/// `vector_end` says where dlib's vector code stops in this row.
#[inline(always)]
fn row_gradients(image: &RgbImage<'_>, y: usize, vector_end: usize, g: &mut Gradients) {
    let w = image.width() * 3;
    let data = image.pixels();
    let (above, here, below) = (
        &data[(y - 1) * w..y * w],
        &data[y * w..(y + 1) * w],
        &data[(y + 1) * w..(y + 2) * w],
    );
    let n = image.width() - 2;
    let split = vector_end.saturating_sub(1).min(n);
    // Two loops, one per tie rule, each free of branches so that it vectorises.
    strongest::<true>(above, here, below, 0..split, g);
    strongest::<false>(above, here, below, split..n, g);
}

/// For pixels `i + 1` of `range`: the strongest channel's gradient; `LATER` is the tie rule.
#[inline(always)]
fn strongest<const LATER: bool>(
    above: &[u8],
    here: &[u8],
    below: &[u8],
    range: std::ops::Range<usize>,
    g: &mut Gradients,
) {
    let (start, end) = (range.start, range.end);
    let pixels = here[start * 3..end * 3]
        .chunks_exact(3)
        .zip(here[(start + 2) * 3..(end + 2) * 3].chunks_exact(3))
        .zip(above[(start + 1) * 3..(end + 1) * 3].chunks_exact(3))
        .zip(below[(start + 1) * 3..(end + 1) * 3].chunks_exact(3));
    let out = g.gx[start..end]
        .iter_mut()
        .zip(&mut g.gy[start..end])
        .zip(&mut g.len[start..end]);
    for ((((left, right), up), down), ((gx, gy), len)) in pixels.zip(out) {
        let d = |a: &[u8], b: &[u8], ch: usize| i32::from(a[ch]) - i32::from(b[ch]);
        let (rx, ry) = (d(right, left, 0), d(down, up, 0));
        let (hx, hy) = (d(right, left, 1), d(down, up, 1));
        let (bx, by) = (d(right, left, 2), d(down, up, 2));
        let (rl, hl, bl) = (rx * rx + ry * ry, hx * hx + hy * hy, bx * bx + by * by);
        // dlib's vector code: `select(r > g, r, g)` then `select(t > b, t, b)`; its scalar
        // code: green only if stronger than red, blue only if stronger than both.
        let take_g = if LATER { hl >= rl } else { hl > rl };
        let (x, y, l) = if take_g { (hx, hy, hl) } else { (rx, ry, rl) };
        let take_b = if LATER { bl >= l } else { bl > l };
        let (x, y, l) = if take_b { (bx, by, bl) } else { (x, y, l) };
        *gx = x as f32;
        *gy = y as f32;
        *len = l as f32;
    }
}

/// Per-row scratch, reused across rows.
#[derive(Default)]
struct Gradients {
    gx: Vec<f32>,
    gy: Vec<f32>,
    len: Vec<f32>,
    bin: Vec<u32>,
}

/// Which of the 18 signed orientations each gradient is nearest (0 for no gradient), written
/// without branches (as dlib's vector code is) so that it vectorises; the answers are those of
/// dlib's scalar code too.
#[inline(always)]
fn row_orientations(g: &mut Gradients, n: usize) {
    for ((&gx, &gy), bin) in g.gx[..n].iter().zip(&g.gy[..n]).zip(&mut g.bin[..n]) {
        let mut best_dot = 0.0f32;
        let mut best = 0u32;
        for (o, &(dx, dy)) in DIRECTIONS.iter().enumerate() {
            let dot = dx * gx + dy * gy;
            let up = dot > best_dot;
            best_dot = if up { dot } else { best_dot };
            best = if up { o as u32 } else { best };
            let down = -dot > best_dot;
            best_dot = if down { -dot } else { best_dot };
            best = if down { o as u32 + 9 } else { best };
        }
        *bin = best;
    }
    // The gradients' strengths, eight at a time here rather than one by one in the scatter.
    for len in &mut g.len[..n] {
        *len = len.sqrt();
    }
}

/// The gradients' histogram over cells, each pixel's strength shared bilinearly between the
/// four nearest cell centres (dlib's `hist`, with its one-cell border), returned as one plane
/// per orientation so that the normalisation runs along rows.
///
/// dlib adds each pixel's four shares into the histogram one by one; here a row's shares are
/// first summed per cell column (two running sums, even and odd pixels, so that neighbours in
/// one cell and orientation do not wait on each other's stores) and then added to the row's two
/// cell rows with their vertical weights. The histogram equals dlib's to float rounding (a
/// score moves by about 1e-6).
#[inline(always)]
fn histogram(image: &RgbImage<'_>, cell: usize, cells_nr: usize, cells_nc: usize) -> Histogram {
    let (nr, nc) = (image.height(), image.width());
    let hist_nc = cells_nc + 2;
    let width = hist_nc * 18;
    let mut hist = Pooled::<f32>::zeros((cells_nr + 2) * width);
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
    let mut cols = Vec::with_capacity(pixels);
    let (mut right, mut left) = (Vec::with_capacity(pixels), Vec::with_capacity(pixels));
    for x in 1..visible_nc {
        let xp = ((x as f64 + 0.5) / cell as f64 - 0.5) as f32;
        let ixp = xp.floor();
        let vx0 = xp - ixp;
        cols.push((ixp as i64 + 1) as u32 * 18);
        right.push(vx0);
        left.push(1.0 - vx0);
    }
    let n = nc - 2;
    let mut g = Gradients {
        gx: vec![0.0; n],
        gy: vec![0.0; n],
        len: vec![0.0; n],
        bin: vec![0; n],
    };
    // Every share lands at col + o or col + o + 18 < width: one check for the whole loop.
    assert!(cols.iter().all(|&c| c as usize + 36 <= width));
    let (mut even, mut odd) = (vec![0f32; width], vec![0f32; width]);
    let (mut near, mut far) = (vec![0f32; pixels], vec![0f32; pixels]);
    for y in 1..visible_nr {
        let yp = ((y as f64 + 0.5) / cell as f64 - 0.5) as f32;
        let iyp = yp.floor() as i64;
        let vy0 = yp - iyp as f32;
        let vy1 = (1.0 - f64::from(vy0)) as f32;
        let upper = (iyp + 1) as usize * width;
        row_gradients(image, y, vector_end, &mut g);
        row_orientations(&mut g, n);
        let len = &g.len[..pixels];
        for (((n, f), (&l, &r)), &v) in near
            .iter_mut()
            .zip(&mut far)
            .zip(left.iter().zip(&right))
            .zip(len)
        {
            *n = l * v;
            *f = r * v;
        }
        let (c2, c_rest) = cols.as_chunks::<2>();
        let (b2, b_rest) = g.bin[..pixels].as_chunks::<2>();
        let (n2, n_rest) = near.as_chunks::<2>();
        let (f2, f_rest) = far.as_chunks::<2>();
        for (((c, b), n), f) in c2.iter().zip(b2).zip(n2).zip(f2) {
            // SAFETY: a bin is below 18 and every column's offset + 36 <= width (asserted
            // above), so every index + 18 is below the sums' width.
            unsafe {
                share(&mut even, c[0].wrapping_add(b[0]) as usize, n[0], f[0]);
                share(&mut odd, c[1].wrapping_add(b[1]) as usize, n[1], f[1]);
            }
        }
        for (((c, b), n), f) in c_rest.iter().zip(b_rest).zip(n_rest).zip(f_rest) {
            // SAFETY: as above.
            unsafe { share(&mut even, c.wrapping_add(*b) as usize, *n, *f) };
        }
        let (top, bottom) = hist[upper..upper + 2 * width].split_at_mut(width);
        fold(top, bottom, &mut even, &mut odd, vy1, vy0);
    }
    Histogram::planes(&hist, cells_nr + 2, hist_nc)
}

/// A row's two running sums, added to its upper and lower cell rows with their weights and
/// cleared. (A function of its own: its four slices then cannot alias, and it vectorises.)
#[inline(always)]
fn fold(top: &mut [f32], bottom: &mut [f32], a: &mut [f32], b: &mut [f32], vy1: f32, vy0: f32) {
    let n = top.len();
    let (bottom, a, b) = (&mut bottom[..n], &mut a[..n], &mut b[..n]);
    for i in 0..n {
        let sum = a[i] + b[i];
        top[i] += vy1 * sum;
        bottom[i] += vy0 * sum;
        (a[i], b[i]) = (0.0, 0.0);
    }
}

/// One pixel's shares of a row: `near` to its cell column's bin `at`, `far` to the next
/// column's (18 further on).
///
/// # Safety
/// `at + 18 < sums.len()`.
#[inline(always)]
unsafe fn share(sums: &mut [f32], at: usize, near: f32, far: f32) {
    debug_assert!(at + 18 < sums.len());
    // SAFETY: the caller's promise.
    unsafe {
        *sums.get_unchecked_mut(at) += near;
        *sums.get_unchecked_mut(at + 18) += far;
    }
}

/// The histogram: 18 planes of `rows` x `cols` cells (the cells and a border of one).
struct Histogram {
    rows: usize,
    cols: usize,
    data: Pooled<f32>,
}

impl Histogram {
    /// The planes of a histogram kept as dlib keeps it, a cell's 18 orientations together.
    #[inline(always)]
    fn planes(cells: &[f32], rows: usize, cols: usize) -> Self {
        // Every value is written below.
        let mut data = Pooled::overwritten(cells.len());
        let plane = rows * cols;
        for (i, cell) in cells.chunks_exact(18).enumerate() {
            for (o, &v) in cell.iter().enumerate() {
                data[o * plane + i] = v;
            }
        }
        Self { rows, cols, data }
    }

    /// Orientation `o`'s row `r`, from column `c` on, `n` cells.
    #[inline(always)]
    fn row(&self, o: usize, r: usize, c: usize, n: usize) -> &[f32] {
        &self.data[(o * self.rows + r) * self.cols + c..][..n]
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
    let mut out = Features {
        rows,
        cols,
        data: Pooled::zeros(PLANES * rows * cols),
    };
    let (off_r, off_c) = ((pad_rows - 1) / 2, (pad_cols - 1) / 2);
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
        let block = |x: usize| ([n0[x], n1[x], n2[x], n3[x]], [s0[x], s1[x], s2[x], s3[x]]);
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
                let (nn, scale) = block(x);
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
                let (nn, scale) = block(x);
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

/// dlib's `min(v, nn) · scale` in each of a cell's four blocks.
#[inline(always)]
fn normalised(v: f32, nn: [f32; 4], scale: [f32; 4]) -> [f32; 4] {
    [0, 1, 2, 3].map(|lane| v.min(nn[lane]) * scale[lane])
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
        let mut g = Gradients {
            gx: vec![0.0],
            gy: vec![0.0],
            len: vec![0.0],
            bin: vec![0u32],
        };
        row_gradients(&image, 1, 1, &mut g);
        assert_eq!(
            (g.gx[0], g.gy[0], g.len[0]),
            (3.0, 4.0, 25.0),
            "scalar: the earlier"
        );
        row_gradients(&image, 1, 2, &mut g);
        assert_eq!(
            (g.gx[0], g.gy[0], g.len[0]),
            (5.0, 0.0, 25.0),
            "vector: the later"
        );
    }
}
