//! The network's parameter-free layers, computed as dlib's CPU code does (`cpu_dlib.cpp`).

use super::act::Act;

/// Max pooling, `size`×`size` windows `stride` apart, no padding (dlib pads only stride-1
/// pools). Every window of this network lies inside the input. Each output row first takes the
/// maximum down its window's rows (a vectorisable pass) into `column`, then across each window.
pub fn max_pool(src: &Act, dst: &mut Act, size: usize, stride: usize, column: &mut Vec<f32>) {
    let (oh, ow) = (1 + (src.h - size) / stride, 1 + (src.w - size) / stride);
    dst.reshape(src.c, oh, ow);
    column.resize(src.w, 0.0);
    for (plane, out) in src
        .data()
        .chunks_exact(src.plane())
        .zip(dst.data_mut().chunks_exact_mut(oh * ow))
    {
        for (oy, out) in out.chunks_exact_mut(ow).enumerate() {
            let mut lines = plane[oy * stride * src.w..].chunks_exact(src.w).take(size);
            column.copy_from_slice(lines.next().expect("size >= 1"));
            for line in lines {
                column
                    .iter_mut()
                    .zip(line)
                    .for_each(|(m, &v)| *m = m.max(v));
            }
            for (ox, o) in out.iter_mut().enumerate() {
                let window = &column[ox * stride..ox * stride + size];
                *o = window.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            }
        }
    }
}

/// 2×2, stride-2 average pooling, the shortcut of a down block. dlib sums the window row by row
/// in float and divides by the count; this does the same, in the same order.
pub fn avg_pool_2x2(src: &Act, dst: &mut Act) {
    let (oh, ow) = (1 + (src.h - 2) / 2, 1 + (src.w - 2) / 2);
    dst.reshape(src.c, oh, ow);
    for (plane, out) in src
        .data()
        .chunks_exact(src.plane())
        .zip(dst.data_mut().chunks_exact_mut(oh * ow))
    {
        for oy in 0..oh {
            let top = &plane[2 * oy * src.w..];
            let bottom = &plane[(2 * oy + 1) * src.w..];
            for ox in 0..ow {
                let sum = top[2 * ox] + top[2 * ox + 1] + bottom[2 * ox] + bottom[2 * ox + 1];
                out[oy * ow + ox] = sum / 4.0;
            }
        }
    }
}

/// The mean of each channel (`avg_pool_everything`), summed row by row as dlib does.
pub fn global_mean(src: &Act, out: &mut [f32]) {
    let n = src.plane() as f32;
    for (plane, o) in src.data().chunks_exact(src.plane()).zip(out.iter_mut()) {
        *o = plane.iter().sum::<f32>() / n;
    }
}

/// `acc = max(0, acc + other)`, both of one shape: a plain block's addition and relu.
pub fn add_relu(acc: &mut Act, other: &Act) {
    assert_eq!((acc.c, acc.h, acc.w), (other.c, other.h, other.w));
    acc.data_mut()
        .iter_mut()
        .zip(other.data())
        .for_each(|(a, &b)| *a = (*a + b).max(0.0));
}

/// `dst = max(0, a + b)` where `a` and `b` may differ in shape: dlib's `add_prev` makes the
/// output as large as the larger of the two in every dimension and reads zeros beyond the end of
/// the smaller one (`cpu::add`). In this network the block branch is the smaller one in space
/// (3×3 against 4×4, 1×1 against 2×2) and the shortcut the smaller in channels (32 against 64).
pub fn add_relu_padded(a: &Act, b: &Act, dst: &mut Act) {
    let (c, h, w) = (a.c.max(b.c), a.h.max(b.h), a.w.max(b.w));
    dst.reshape(c, h, w);
    let out = dst.data_mut();
    let at = |t: &Act, k: usize, y: usize, x: usize| {
        if k < t.c && y < t.h && x < t.w {
            t.data()[(k * t.h + y) * t.w + x]
        } else {
            0.0
        }
    };
    for k in 0..c {
        for y in 0..h {
            for x in 0..w {
                out[(k * h + y) * w + x] = (at(a, k, y, x) + at(b, k, y, x)).max(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(c: usize, h: usize, w: usize, data: Vec<f32>) -> Act {
        Act::new(c, h, w, data)
    }

    #[test]
    fn padded_addition_reads_zeros_past_the_smaller_operand() {
        // a: 1 channel 1x1 = [-1]; b: 2 channels 2x2
        let a = act(1, 1, 1, vec![-1.0]);
        let b = act(2, 2, 2, vec![3.0, 1.0, 2.0, -4.0, 5.0, 6.0, 7.0, 8.0]);
        let mut dst = Act::default();
        add_relu_padded(&a, &b, &mut dst);
        assert_eq!((dst.c, dst.h, dst.w), (2, 2, 2));
        assert_eq!(dst.data(), vec![2.0, 1.0, 2.0, 0.0, 5.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn pools_match_their_definitions() {
        let src = act(1, 4, 4, (0..16).map(|v| v as f32).collect());
        let (mut max, mut avg) = (Act::default(), Act::default());
        max_pool(&src, &mut max, 3, 2, &mut Vec::new());
        assert_eq!((max.h, max.w, max.data().to_vec()), (1, 1, vec![10.0]));
        avg_pool_2x2(&src, &mut avg);
        assert_eq!(avg.data(), vec![2.5, 4.5, 10.5, 12.5]);
        let mut mean = [0f32];
        global_mean(&src, &mut mean);
        assert_eq!(mean, [7.5]);
    }
}
