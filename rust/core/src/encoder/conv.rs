//! A convolution with its affine (batch-norm) layer folded in, run as im2col + one GEMM.

use super::act::{Act, grown};
use super::im2col::im2col;
use super::matmul::{View, matmul, simd_path};

/// `affine(con(x)) = gamma · (W·x + b) + beta = (gamma·W)·x + (gamma·b + beta)`, folded once at
/// load so the forward pass does one product and one bias per convolution.
#[derive(Clone)]
pub struct Conv {
    pub inputs: usize,
    pub filters: usize,
    pub size: usize,
    pub stride: usize,
    pub pad: usize,
    /// `[filters][inputs · size · size]` (dlib's layout) or, when `filter_major`, its transpose.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Filters per tap-major run when filter-major (see [`Conv::filter_major`]), else 0.
    tile: usize,
}

/// f32 lanes of gemm's widest kernel (AVX-512).
const VECTOR: usize = 16;

/// Filters per run of tap-major weights: the height of the gemm kernel this CPU runs (4
/// registers of 16 with AVX-512, 2 of 8 otherwise), so that each of gemm's register tiles reads
/// its weights as one sequential stream. With AVX2/FMA, 64-filter runs (the AVX-512 layout)
/// made each 16-filter kernel read every fourth cache line: 16 was 9-10 % faster per chip than
/// 64, and 32 in between, measured in one process.
fn tile() -> usize {
    if simd_path() == "avx512" { 64 } else { 16 }
}

/// Filters a layer needs for [`Conv::filter_major`]: whole runs on every path.
pub const FILTER_MAJOR_MIN: usize = 64;

/// Scratch space for [`Conv::forward`]: the unfolded input, a product and a strided input's
/// phases.
#[derive(Default)]
pub struct Scratch {
    cols: Vec<f32>,
    out: Vec<f32>,
    phases: Vec<f32>,
}

impl Conv {
    /// Folds `gamma` and `beta` (one each per filter) into the filters and biases.
    ///
    /// # Panics
    /// If a length disagrees with the shape (the reader checked them all).
    #[allow(clippy::too_many_arguments)]
    pub fn folded(
        inputs: usize,
        filters: usize,
        size: usize,
        stride: usize,
        pad: usize,
        mut weights: Vec<f32>,
        mut bias: Vec<f32>,
        gamma: &[f32],
        beta: &[f32],
    ) -> Self {
        let per_filter = inputs * size * size;
        assert_eq!(weights.len(), filters * per_filter);
        assert!(bias.len() == filters && gamma.len() == filters && beta.len() == filters);
        for (o, row) in weights.chunks_exact_mut(per_filter).enumerate() {
            row.iter_mut().for_each(|w| *w *= gamma[o]);
            bias[o] = bias[o] * gamma[o] + beta[o];
        }
        Self {
            inputs,
            filters,
            size,
            stride,
            pad,
            weights,
            bias,
            tile: 0,
        }
    }

    /// The same convolution with its filters stored for layers with many filters and few
    /// output positions, where streaming the weights is most of the cost: gemm then runs along
    /// the filters, and each run of [`TILE`] filters is stored tap-major (`[taps][TILE]`, the
    /// order gemm's kernel reads them in), so the weights are read in place, in one sequential
    /// pass. Other layers keep dlib's layout and run along the output positions.
    ///
    /// # Panics
    /// If the filter count is not a multiple of [`FILTER_MAJOR_MIN`].
    pub fn filter_major(mut self) -> Self {
        assert!(
            self.filters.is_multiple_of(FILTER_MAJOR_MIN),
            "whole tiles of filters"
        );
        if self.tile == 0 {
            let (k, t) = (self.taps(), tile());
            let mut tiled = Vec::with_capacity(self.weights.len());
            for run in self.weights.chunks_exact(t * k) {
                tiled.extend((0..k * t).map(|i| run[(i % t) * k + i / t]));
            }
            self.weights = tiled;
            self.tile = t;
        }
        self
    }

    /// Rows of the unfolded input: one per filter tap.
    fn taps(&self) -> usize {
        self.inputs * self.size * self.size
    }

    /// Output side for an input side (dlib: `1 + (side + 2·pad − size) / stride`).
    pub fn out_side(&self, side: usize) -> usize {
        1 + (side + 2 * self.pad - self.size) / self.stride
    }

    /// `dst = conv(src)`, then `max(0, ·)` when `relu`.
    pub fn forward(&self, src: &Act, dst: &mut Act, scratch: &mut Scratch, relu: bool) {
        assert_eq!(src.c, self.inputs, "channel count");
        assert!(src.h + 2 * self.pad >= self.size && src.w + 2 * self.pad >= self.size);
        let (oh, ow) = (self.out_side(src.h), self.out_side(src.w));
        let (n, k, f) = (oh * ow, self.taps(), self.filters);
        dst.reshape(f, oh, ow);
        if self.tile == 0 {
            // Positions padded to whole vectors: gemm then reads the unfolded input in place
            // instead of first copying it into whole vectors itself.
            let ld = n.next_multiple_of(VECTOR);
            self.unfold(src, oh, ow, ld, scratch);
            let out = grown(&mut scratch.out, f * ld);
            for (row, &b) in out.chunks_exact_mut(ld).zip(&self.bias) {
                row.fill(b);
            }
            let lhs = View::row_major(&self.weights, f, k);
            let rhs = View::row_major(&scratch.cols, k, ld);
            matmul(out, ld, 1, lhs, rhs, true);
            for (d, row) in dst.data_mut().chunks_exact_mut(n).zip(out.chunks_exact(ld)) {
                if relu {
                    d.iter_mut().zip(row).for_each(|(d, &v)| *d = v.max(0.0));
                } else {
                    d.copy_from_slice(&row[..n]);
                }
            }
            return;
        }
        // The product is filter-major (position s, filter o at s·f + o); the bias, relu and the
        // transpose back to channel-major happen in one pass over it.
        grown(&mut scratch.out, f * n);
        let single = src.plane() == 1 && self.stride == 1 && self.pad == self.size / 2;
        if !single {
            self.unfold(src, oh, ow, n, scratch);
        }
        let taps = self.size * self.size;
        let per_run = self.tile;
        for (t, run) in self.weights.chunks_exact(per_run * k).enumerate() {
            let out = &mut scratch.out[t * per_run..];
            if single {
                // A single input position: every tap but the centre one reads padding.
                let centre = self.pad * self.size + self.pad;
                let lhs = View {
                    data: &run[centre * per_run..],
                    rows: per_run,
                    cols: self.inputs,
                    rs: 1,
                    cs: taps * per_run,
                };
                let rhs = View::row_major(src.data(), self.inputs, 1);
                matmul(out, 1, f, lhs, rhs, false);
            } else {
                let lhs = View {
                    data: run,
                    rows: per_run,
                    cols: k,
                    rs: 1,
                    cs: per_run,
                };
                matmul(out, 1, f, lhs, View::row_major(&scratch.cols, k, n), false);
            }
        }
        for (o, (row, &b)) in dst
            .data_mut()
            .chunks_exact_mut(n)
            .zip(&self.bias)
            .enumerate()
        {
            for (s, v) in row.iter_mut().enumerate() {
                let x = scratch.out[s * f + o] + b;
                *v = if relu { x.max(0.0) } else { x };
            }
        }
    }

    /// `cols` = the unfolded input, `taps` rows of `oh·ow` values, `ld` apart.
    fn unfold(&self, src: &Act, oh: usize, ow: usize, ld: usize, scratch: &mut Scratch) {
        let cols = grown(&mut scratch.cols, self.taps() * ld);
        let phases = &mut scratch.phases;
        im2col(
            src,
            self.size,
            self.stride,
            self.pad,
            oh,
            ow,
            ld,
            cols,
            phases,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::testutil::uniform;

    /// Direct convolution as dlib defines it, the reference for im2col + GEMM.
    fn direct(conv: &Conv, src: &Act) -> Act {
        let (oh, ow) = (conv.out_side(src.h), conv.out_side(src.w));
        let mut out = Act::default();
        out.reshape(conv.filters, oh, ow);
        let k = conv.size;
        for o in 0..conv.filters {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = 0f64;
                    for c in 0..conv.inputs {
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy = (oy * conv.stride + ky) as isize - conv.pad as isize;
                                let ix = (ox * conv.stride + kx) as isize - conv.pad as isize;
                                if iy < 0 || ix < 0 || iy >= src.h as isize || ix >= src.w as isize
                                {
                                    continue;
                                }
                                let v = src.data()[(c * src.h + iy as usize) * src.w + ix as usize];
                                let wgt = conv.weights[((o * conv.inputs + c) * k + ky) * k + kx];
                                acc += f64::from(v) * f64::from(wgt);
                            }
                        }
                    }
                    out.data_mut()[(o * oh + oy) * ow + ox] =
                        (acc + f64::from(conv.bias[o])) as f32;
                }
            }
        }
        out
    }

    #[test]
    fn im2col_gemm_equals_direct_convolution() {
        // (inputs, filters, size, stride, side): the network's kinds of layer at small sizes,
        // including the 4 -> 1 and 8 -> 3 stride-2 cases and the 7x7 stem.
        let cases = [
            (3, 4, 7, 2, 20),
            (5, 6, 3, 1, 9),
            (4, 3, 3, 2, 8),
            (4, 3, 3, 2, 4),
            (2, 2, 3, 1, 1),
            (3, 64, 3, 1, 1),
            (4, 64, 3, 2, 5),
            (5, 128, 3, 1, 4),
            (3, 5, 3, 2, 17),
        ];
        for (seed, (inputs, filters, size, stride, side)) in cases.into_iter().enumerate() {
            let pad = if stride == 1 { size / 2 } else { 0 };
            let n = filters * inputs * size * size;
            let seed = seed as u32;
            let conv = Conv::folded(
                inputs,
                filters,
                size,
                stride,
                pad,
                uniform(n, seed),
                uniform(filters, seed + 100),
                &uniform(filters, seed + 200),
                &uniform(filters, seed + 300),
            );
            let src = Act::new(
                inputs,
                side,
                side,
                uniform(inputs * side * side, seed + 400),
            );
            let want = direct(&conv, &src);
            let conv = if filters % FILTER_MAJOR_MIN == 0 {
                conv.filter_major()
            } else {
                conv
            };
            let (mut got, mut scratch) = (Act::default(), Scratch::default());
            conv.forward(&src, &mut got, &mut scratch, false);
            assert_eq!((got.c, got.h, got.w), (want.c, want.h, want.w));
            for (a, b) in got.data().iter().zip(want.data()) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b} in case {seed}");
            }
            conv.forward(&src, &mut got, &mut scratch, true);
            for (a, b) in got.data().iter().zip(want.data()) {
                assert!((a - b.max(0.0)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn folding_scales_filters_and_shifts_biases() {
        let conv = Conv::folded(
            1,
            2,
            1,
            1,
            0,
            vec![2.0, 3.0],
            vec![1.0, -1.0],
            &[0.5, 2.0],
            &[0.25, 1.0],
        );
        assert_eq!(conv.weights, vec![1.0, 6.0]);
        assert_eq!(conv.bias, vec![0.75, -1.0]);
    }
}
