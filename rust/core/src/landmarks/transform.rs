//! dlib's 2-D point transforms (`dlib/geometry/point_transforms.h`) with dlib's arithmetic.
//!
//! Every sum runs in the order dlib's expression templates evaluate it: a matrix product
//! element is `a0·b0 + a1·b1 + …` from the left, a matrix divided by a scalar is multiplied by
//! the scalar's reciprocal (dlib's `operator/` on a floating matrix), a vector divided by a
//! scalar is divided. None of it is fused into multiply-adds, as in the dlib-bin build.

use crate::svd::svd;

/// A 2-D point in double precision (dlib's `dpoint`).
pub type DPoint = [f64; 2];

/// dlib's `point_transform_affine`: `p ↦ m·p + b`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    pub m: [[f64; 2]; 2],
    pub b: [f64; 2],
}

impl Affine {
    /// `m·p + b`, each row summed left to right, then the offset added.
    #[inline]
    pub fn apply(&self, p: DPoint) -> DPoint {
        let [[a, b], [c, d]] = self.m;
        [
            (a * p[0] + b * p[1]) + self.b[0],
            (c * p[0] + d * p[1]) + self.b[1],
        ]
    }
}

/// Matrix product with dlib's element order.
fn mul<const R: usize, const K: usize, const C: usize>(
    a: &[[f64; K]; R],
    b: &[[f64; C]; K],
) -> [[f64; C]; R] {
    let mut out = [[0.0; C]; R];
    for (r, row) in out.iter_mut().enumerate() {
        for (c, value) in row.iter_mut().enumerate() {
            let mut sum = a[r][0] * b[0][c];
            for i in 1..K {
                sum += a[r][i] * b[i][c];
            }
            *value = sum;
        }
    }
    out
}

fn transpose<const R: usize, const C: usize>(a: &[[f64; C]; R]) -> [[f64; R]; C] {
    let mut out = [[0.0; R]; C];
    for (r, row) in a.iter().enumerate() {
        for (c, &value) in row.iter().enumerate() {
            out[c][r] = value;
        }
    }
    out
}

fn det2(m: &[[f64; 2]; 2]) -> f64 {
    m[0][0] * m[1][1] - m[0][1] * m[1][0]
}

/// dlib's `find_similarity_transform(from, to)`: the least-squares rotation, uniform scale and
/// translation taking `from` to `to` (Umeyama), through dlib's 2×2 SVD. At least two points;
/// callers pass the slices dlib passes, of equal length.
pub fn similarity(from: &[DPoint], to: &[DPoint]) -> Affine {
    debug_assert!(from.len() == to.len() && from.len() >= 2);
    let n = from.len() as f64;
    let mut mean_from = [0.0; 2];
    let mut mean_to = [0.0; 2];
    for (f, t) in from.iter().zip(to) {
        for k in 0..2 {
            mean_from[k] += f[k];
            mean_to[k] += t[k];
        }
    }
    for k in 0..2 {
        mean_from[k] /= n;
        mean_to[k] /= n;
    }
    // dlib also sums the spread of `to`, which it never uses.
    let mut sigma_from = 0.0;
    let mut cov = [[0.0; 2]; 2];
    for (f, t) in from.iter().zip(to) {
        let df = [f[0] - mean_from[0], f[1] - mean_from[1]];
        let dt = [t[0] - mean_to[0], t[1] - mean_to[1]];
        sigma_from += df[0] * df[0] + df[1] * df[1];
        for (r, row) in cov.iter_mut().enumerate() {
            for (c, value) in row.iter_mut().enumerate() {
                *value += dt[r] * df[c];
            }
        }
    }
    sigma_from /= n;
    let inv_n = 1.0 / n;
    for value in cov.iter_mut().flatten() {
        *value *= inv_n;
    }

    let d = svd(&cov);
    let mut s = [[1.0, 0.0], [0.0, 1.0]];
    let det_cov = det2(&cov);
    if det_cov < 0.0 || (det_cov == 0.0 && det2(&d.u) * det2(&d.v) < 0.0) {
        if d.q[1] < d.q[0] {
            s[1][1] = -1.0;
        } else {
            s[0][0] = -1.0;
        }
    }
    let r = mul(&mul(&d.u, &s), &transpose(&d.v));
    let mut c = 1.0;
    if sigma_from != 0.0 {
        // trace(diagm(q)·s), summed from zero as dlib's sum() does.
        let ds = mul(&[[d.q[0], 0.0], [0.0, d.q[1]]], &s);
        c = 1.0 / sigma_from * (0.0 + ds[0][0] + ds[1][1]);
    }
    // dlib moves the scalar out of the product: t = mean_to - (r·mean_from)·c.
    let rm = mul(&r, &[[mean_from[0]], [mean_from[1]]]);
    let b = [mean_to[0] - rm[0][0] * c, mean_to[1] - rm[1][0] * c];
    let m = [[r[0][0] * c, r[0][1] * c], [r[1][0] * c, r[1][1] * c]];
    Affine { m, b }
}

/// dlib's `pinv` of a 3×3 matrix: `v · diag(1/w) · uᵀ`, singular values below
/// `ε · 3 · max(w)` treated as zero.
fn pinv3(p: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let d = svd(p);
    // dlib's max(): the first element of largest magnitude.
    let mut max = d.q[0];
    for &w in &d.q {
        if w.abs() > max.abs() {
            max = w;
        }
    }
    let eps = f64::EPSILON * 3.0 * max;
    let inv = d.q.map(|w| {
        let w = if w >= eps || w <= -eps { w } else { 0.0 };
        if w != 0.0 { 1.0 / w } else { 0.0 }
    });
    let mut scaled = d.v;
    for row in scaled.iter_mut() {
        for (value, &k) in row.iter_mut().zip(&inv) {
            *value *= k;
        }
    }
    mul(&scaled, &transpose(&d.u))
}

/// dlib's `find_affine_transform(from, to)` for exactly three point pairs (every call this
/// crate makes): `[m | b] = Q · pinv(P)` with `P` the homogeneous `from` points.
pub fn affine3(from: &[DPoint; 3], to: &[DPoint; 3]) -> Affine {
    let mut p = [[1.0; 3]; 3];
    let mut q = [[0.0; 3]; 2];
    for (i, (f, t)) in from.iter().zip(to).enumerate() {
        p[0][i] = f[0];
        p[1][i] = f[1];
        q[0][i] = t[0];
        q[1][i] = t[1];
    }
    let m = mul(&q, &pinv3(&p));
    Affine {
        m: [[m[0][0], m[0][1]], [m[1][0], m[1][1]]],
        b: [m[0][2], m[1][2]],
    }
}

/// dlib's `rotate_point(center, p, angle)`: `p` turned by `angle` radians about `center`.
#[inline]
pub fn rotate_point(center: DPoint, p: DPoint, angle: f64) -> DPoint {
    let (sin, cos) = (angle.sin(), angle.cos());
    let (x, y) = (p[0] - center[0], p[1] - center[1]);
    [
        (cos * x - sin * y) + center[0],
        (sin * x + cos * y) + center[1],
    ]
}

/// dlib's conversion of a double coordinate to an integer one: `floor(v + 0.5)`, in double
/// (so 0.49999999999999994 rounds up, as it does in dlib). Saturates beyond the i64 range,
/// where dlib's cast is undefined.
#[inline]
pub fn round_coordinate(v: f64) -> i64 {
    (v + 0.5).floor() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn similarity_recovers_a_rotation_scale_and_shift() {
        let (angle, scale, shift) = (0.3f64, 2.5, [4.0, -7.0]);
        let from = [[0.0, 0.0], [1.0, 0.0], [0.3, 2.0], [-1.0, 0.5]];
        let to: Vec<DPoint> = from
            .iter()
            .map(|p| {
                let [x, y] = rotate_point([0.0, 0.0], *p, angle);
                [scale * x + shift[0], scale * y + shift[1]]
            })
            .collect();
        let t = similarity(&from, &to);
        assert!(close(t.m[0][0], scale * angle.cos()) && close(t.m[1][0], scale * angle.sin()));
        assert!(close(t.b[0], shift[0]) && close(t.b[1], shift[1]));
        // A reflection is never chosen: the best proper rotation is.
        let mirrored: Vec<DPoint> = from.iter().map(|p| [-p[0], p[1]]).collect();
        assert!(det2(&similarity(&from, &mirrored).m) > 0.0);
    }

    #[test]
    fn affine3_maps_the_three_points() {
        let from = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        let to = [[10.0, 20.0], [110.0, 20.0], [110.0, 220.0]];
        let t = affine3(&from, &to);
        for (f, want) in from.iter().zip(&to) {
            let got = t.apply(*f);
            assert!(close(got[0], want[0]) && close(got[1], want[1]), "{got:?}");
        }
        assert!(close(t.m[0][1], 0.0) && close(t.m[1][0], 0.0));
    }

    #[test]
    fn coordinates_round_half_up_in_double() {
        assert_eq!(round_coordinate(2.5), 3);
        assert_eq!(round_coordinate(-2.5), -2);
        assert_eq!(round_coordinate(-0.5000000000000001), -1);
        assert_eq!(round_coordinate(0.49999999999999994), 1);
        assert_eq!(round_coordinate(f64::INFINITY), i64::MAX);
    }
}
