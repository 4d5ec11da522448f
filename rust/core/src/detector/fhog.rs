//! Felzenszwalb's HOG features ("fHOG", 31 per 8x8 cell) exactly as dlib's
//! `extract_fhog_features` computes them for an RGB image.
//!
//! dlib runs most of each row eight pixels at a time and the last few one at a time, and the
//! two differ in small ways that change features: where two colour channels have gradients of
//! equal strength the vector code keeps the later channel and the scalar code the earlier one,
//! and they multiply a pixel's three weights in a different order. Both are reproduced per
//! pixel, so the features equal dlib's and its scores follow.

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
    pub data: Vec<f32>,
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
/// four nearest cell centres (dlib's `hist`, with its one-cell border).
#[inline(always)]
fn histogram(image: &RgbImage<'_>, cell: usize, cells_nr: usize, cells_nc: usize) -> Vec<f32> {
    let (nr, nc) = (image.height(), image.width());
    let hist_nc = cells_nc + 2;
    let mut hist = vec![0f32; (cells_nr + 2) * hist_nc * 18];
    let visible_nr = (cells_nr * cell).min(nr) - 1;
    let visible_nc = (cells_nc * cell).min(nc) - 1;
    // dlib's vector loop covers x = 1, 9, 17, ... while x < visible_nc - 7.
    let vector_end = if visible_nc > 8 {
        1 + (visible_nc - 8).div_ceil(8) * 8
    } else {
        1
    };
    // Each pixel's column weights, the same on every row.
    let columns: Vec<(usize, f32, f32)> = (1..visible_nc)
        .map(|x| {
            let xp = ((x as f64 + 0.5) / cell as f64 - 0.5) as f32;
            let ixp = xp.floor();
            let vx0 = xp - ixp;
            ((ixp as i64 + 1) as usize * 18, vx0, 1.0 - vx0)
        })
        .collect();
    let n = nc - 2;
    let mut g = Gradients {
        gx: vec![0.0; n],
        gy: vec![0.0; n],
        len: vec![0.0; n],
        bin: vec![0; n],
    };
    for y in 1..visible_nr {
        let yp = ((y as f64 + 0.5) / cell as f64 - 0.5) as f32;
        let iyp = yp.floor() as i64;
        let vy0 = yp - iyp as f32;
        let vy1 = (1.0 - f64::from(vy0)) as f32;
        let upper = (iyp + 1) as usize * hist_nc * 18;
        let lower = upper + hist_nc * 18;
        row_gradients(image, y, vector_end, &mut g);
        row_orientations(&mut g, n);
        for (i, &(col, vx0, vx1)) in columns.iter().enumerate() {
            let x = i + 1;
            let o = g.bin[i] as usize;
            let v = g.len[i];
            // dlib's vector code multiplies `vx * v` first, its scalar code `vy * vx` first.
            let weights = if x < vector_end {
                let (a, b) = (vx1 * v, vx0 * v);
                [vy1 * a, vy0 * a, vy1 * b, vy0 * b]
            } else {
                [vy1 * vx1 * v, vy0 * vx1 * v, vy1 * vx0 * v, vy0 * vx0 * v]
            };
            let (a, b) = (upper + col + o, lower + col + o);
            hist[a] += weights[0];
            hist[b] += weights[1];
            hist[a + 18] += weights[2];
            hist[b + 18] += weights[3];
        }
    }
    hist
}

/// dlib's features of `image` for cells of `cell` pixels and a filter of `pad_rows` x
/// `pad_cols` cells.
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
    let hist_nc = cells_nc + 2;
    let hist = histogram_dispatch(image, cell, cells_nr, cells_nc);
    let mut norm = vec![0f32; cells_nr * cells_nc];
    for r in 0..cells_nr {
        for c in 0..cells_nc {
            let h = &hist[((r + 1) * hist_nc + c + 1) * 18..][..18];
            let mut sum = 0f32;
            for o in 0..9 {
                let both = h[o] + h[o + 9];
                sum += both * both;
            }
            norm[r * cells_nc + c] = sum;
        }
    }
    let rows = hog_nr + pad_rows - 1;
    let cols = hog_nc + pad_cols - 1;
    let mut out = Features {
        rows,
        cols,
        data: vec![0f32; PLANES * rows * cols],
    };
    let (off_r, off_c) = ((pad_rows - 1) / 2, (pad_cols - 1) / 2);
    let stride = rows * cols;
    let n = |r: usize, c: usize| norm[r * cells_nc + c];
    for y in 0..hog_nr {
        for x in 0..hog_nc {
            let h = &hist[((y + 2) * hist_nc + x + 2) * 18..][..18];
            // The four blocks of 2x2 cells around this one, in dlib's lane order.
            let blocks = [
                [
                    n(y + 1, x + 1),
                    n(y + 1, x + 2),
                    n(y + 2, x + 1),
                    n(y + 2, x + 2),
                ],
                [n(y, x + 1), n(y, x + 2), n(y + 1, x + 1), n(y + 1, x + 2)],
                [n(y + 1, x), n(y + 1, x + 1), n(y + 2, x), n(y + 2, x + 1)],
                [n(y, x), n(y, x + 1), n(y + 1, x), n(y + 1, x + 1)],
            ];
            let nn = blocks.map(|[a, b, c, d]| 0.2f32 * (a + b + c + d + 0.0001f32).sqrt());
            let scale = nn.map(|v| 0.1f32 / v);
            let at = (y + off_r) * cols + x + off_c;
            let mut texture = [0f32; 4];
            let normalised = |value: f32| -> [f32; 4] {
                [0, 1, 2, 3].map(|lane| value.min(nn[lane]) * scale[lane])
            };
            for o in (0..18).step_by(3) {
                let hs = [normalised(h[o]), normalised(h[o + 1]), normalised(h[o + 2])];
                for (k, lanes) in hs.iter().enumerate() {
                    out.data[(o + k) * stride + at] = lane_sum(lanes);
                }
                for lane in 0..4 {
                    texture[lane] += hs[0][lane] + hs[1][lane] + hs[2][lane];
                }
            }
            for o in 0..9 {
                let lanes = normalised(h[o] + h[o + 9]);
                out.data[(18 + o) * stride + at] = lane_sum(&lanes);
            }
            for (lane, t) in texture.iter().enumerate() {
                out.data[(27 + lane) * stride + at] = t * (2.0 * 0.2357) as f32;
            }
        }
    }
    out
}

/// [`histogram`] compiled for AVX2 where the CPU has it (the same arithmetic, so the same
/// bits: Rust never fuses a multiply and an add on its own), else for the baseline.
fn histogram_dispatch(
    image: &RgbImage<'_>,
    cell: usize,
    cells_nr: usize,
    cells_nc: usize,
) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if crate::matching::Isa::best() >= crate::matching::Isa::Avx2 {
        // SAFETY: the CPU has AVX2 (checked by `Isa::best`).
        return unsafe { histogram_avx2(image, cell, cells_nr, cells_nc) };
    }
    histogram(image, cell, cells_nr, cells_nc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn histogram_avx2(
    image: &RgbImage<'_>,
    cell: usize,
    cells_nr: usize,
    cells_nc: usize,
) -> Vec<f32> {
    histogram(image, cell, cells_nr, cells_nc)
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
