//! dlib's singular value decomposition (`svd4` in `dlib/matrix/matrix_la.h`, the path dlib takes
//! when built without LAPACK, as the dlib-bin wheels are), line for line.
//!
//! A textbook SVD would give the same factors to a few ulps, but the transforms built from it
//! place pixel samples that are rounded to integers, and a sample on a half-pixel tie moves with
//! the last bit. Same operations in the same order give the same bits, so ties fall the same way
//! as in dlib. The Householder bidiagonalisation and QR sweeps are kept in dlib's order, with its
//! variable reuse, because that reuse is part of the arithmetic (`x` is both the norm bound and
//! a rotation temporary, `g` carries between the loops).

/// `a = u · diag(q) · vᵀ` for an `M`×`N` matrix, `M ≥ N`: `u` is `M`×`N` (dlib's
/// `SVD_SKINNY_U`), `q` the `N` singular values (not sorted), `v` `N`×`N`.
pub(crate) struct Svd<const M: usize, const N: usize> {
    pub u: [[f64; N]; M],
    pub q: [f64; N],
    pub v: [[f64; N]; N],
}

/// dlib's sweep limit per singular value; past it dlib gives up and returns what it has.
const MAX_SWEEPS: u32 = 300;

// dlib's names and index loops, kept so the port reads line by line against the original.
#[allow(clippy::many_single_char_names, clippy::needless_range_loop)]
pub(crate) fn svd<const M: usize, const N: usize>(a: &[[f64; N]; M]) -> Svd<M, N> {
    const { assert!(M >= N && N > 0) };
    let tol = f64::MIN_POSITIVE / f64::EPSILON;
    let mut u = *a;
    let mut q = [0.0; N];
    let mut e = [0.0; N];
    let mut v = [[0.0; N]; N];
    let (mut c, mut f, mut h, mut s, mut y, mut z);
    let mut l = 0;
    let mut g = 0.0;
    let mut x: f64 = 0.0;

    // Householder's reduction to bidiagonal form.
    for i in 0..N {
        e[i] = g;
        s = 0.0;
        l = i + 1;
        for row in u.iter().skip(i) {
            s += row[i] * row[i];
        }
        if s < tol {
            g = 0.0;
        } else {
            f = u[i][i];
            g = if f < 0.0 { s.sqrt() } else { -s.sqrt() };
            h = f * g - s;
            u[i][i] = f - g;
            for j in l..N {
                s = 0.0;
                for row in u.iter().skip(i) {
                    s += row[i] * row[j];
                }
                f = s / h;
                for row in u.iter_mut().skip(i) {
                    row[j] += f * row[i];
                }
            }
        }
        q[i] = g;
        s = 0.0;
        for j in l..N {
            s += u[i][j] * u[i][j];
        }
        // With l == N the sum is empty and zero, so `u[i][i + 1]` below is never past the end.
        if s < tol {
            g = 0.0;
        } else {
            f = u[i][i + 1];
            g = if f < 0.0 { s.sqrt() } else { -s.sqrt() };
            h = f * g - s;
            u[i][i + 1] = f - g;
            for j in l..N {
                e[j] = u[i][j] / h;
            }
            for j in l..M {
                s = 0.0;
                for k in l..N {
                    s += u[j][k] * u[i][k];
                }
                for k in l..N {
                    u[j][k] += s * e[k];
                }
            }
        }
        y = q[i].abs() + e[i].abs();
        if y > x {
            x = y;
        }
    }

    // Accumulation of right-hand transformations (g is 0 on entry: the last row had no tail).
    for i in (0..N).rev() {
        if g != 0.0 {
            h = u[i][i + 1] * g;
            for j in l..N {
                v[j][i] = u[i][j] / h;
            }
            for j in l..N {
                s = 0.0;
                for k in l..N {
                    s += u[i][k] * v[k][j];
                }
                for k in l..N {
                    v[k][j] += s * v[k][i];
                }
            }
        }
        for j in l..N {
            v[j][i] = 0.0;
            v[i][j] = 0.0;
        }
        v[i][i] = 1.0;
        g = e[i];
        l = i;
    }

    // Accumulation of left-hand transformations (skinny u: nothing to pad).
    for i in (0..N).rev() {
        l = i + 1;
        g = q[i];
        for j in l..N {
            u[i][j] = 0.0;
        }
        if g != 0.0 {
            h = u[i][i] * g;
            for j in l..N {
                s = 0.0;
                for k in l..M {
                    s += u[k][i] * u[k][j];
                }
                f = s / h;
                for row in u.iter_mut().skip(i) {
                    row[j] += f * row[i];
                }
            }
            for row in u.iter_mut().skip(i) {
                row[i] /= g;
            }
        } else {
            for row in u.iter_mut().skip(i) {
                row[i] = 0.0;
            }
        }
        u[i][i] += 1.0;
    }

    // Diagonalisation of the bidiagonal form.
    let eps = f64::EPSILON * x;
    'values: for k in (0..N).rev() {
        let mut sweeps = 0;
        loop {
            // Test for splitting. e[0] is always 0, so the search stops at l = 0 at the latest
            // (dlib reads q[l - 1] first only for l > 0; `l == 0` keeps a NaN from reading q[-1]).
            let mut l = k;
            let cancel = loop {
                if l == 0 || e[l].abs() <= eps {
                    break false;
                }
                if q[l - 1].abs() <= eps {
                    break true;
                }
                l -= 1;
            };
            if cancel {
                // Cancellation of e[l].
                c = 0.0;
                s = 1.0;
                let l1 = l - 1;
                for i in l..=k {
                    f = s * e[i];
                    e[i] *= c;
                    if f.abs() <= eps {
                        break;
                    }
                    g = q[i];
                    h = (f * f + g * g).sqrt();
                    q[i] = h;
                    c = g / h;
                    s = -f / h;
                    for row in u.iter_mut() {
                        y = row[l1];
                        z = row[i];
                        row[l1] = y * c + z * s;
                        row[i] = -y * s + z * c;
                    }
                }
            }
            // Test for convergence.
            z = q[k];
            if l == k {
                break;
            }
            sweeps += 1;
            if sweeps > MAX_SWEEPS {
                break 'values;
            }
            // Shift from the bottom 2×2 minor.
            x = q[l];
            y = q[k - 1];
            g = e[k - 1];
            h = e[k];
            f = ((y - z) * (y + z) + (g - h) * (g + h)) / (2.0 * h * y);
            g = (f * f + 1.0).sqrt();
            f = ((x - z) * (x + z) + h * (y / (if f < 0.0 { f - g } else { f + g }) - h)) / x;
            // Next QR transformation.
            c = 1.0;
            s = 1.0;
            for i in l + 1..=k {
                g = e[i];
                y = q[i];
                h = s * g;
                g *= c;
                z = (f * f + h * h).sqrt();
                e[i - 1] = z;
                c = f / z;
                s = h / z;
                f = x * c + g * s;
                g = -x * s + g * c;
                h = y * s;
                y *= c;
                for row in v.iter_mut() {
                    x = row[i - 1];
                    z = row[i];
                    row[i - 1] = x * c + z * s;
                    row[i] = -x * s + z * c;
                }
                z = (f * f + h * h).sqrt();
                q[i - 1] = z;
                if z != 0.0 {
                    c = f / z;
                    s = h / z;
                }
                f = c * g + s * y;
                x = -s * g + c * y;
                for row in u.iter_mut() {
                    y = row[i - 1];
                    z = row[i];
                    row[i - 1] = y * c + z * s;
                    row[i] = -y * s + z * c;
                }
            }
            e[l] = 0.0;
            e[k] = f;
            q[k] = x;
        }
        // Convergence: make q[k] non-negative.
        if z < 0.0 {
            q[k] = -z;
            for row in v.iter_mut() {
                row[k] = -row[k];
            }
        }
    }
    Svd { u, q, v }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct<const M: usize, const N: usize>(d: &Svd<M, N>) -> [[f64; N]; M] {
        let mut out = [[0.0; N]; M];
        for (r, row) in out.iter_mut().enumerate() {
            for (c, value) in row.iter_mut().enumerate() {
                *value = (0..N).map(|k| d.u[r][k] * d.q[k] * d.v[c][k]).sum();
            }
        }
        out
    }

    #[test]
    fn factors_reconstruct_the_matrix() {
        let a = [[2.0, -1.0, 0.5], [0.25, 3.0, 1.0], [1.0, 1.0, 1.0]];
        let d = svd(&a);
        for (got, want) in reconstruct(&d).iter().flatten().zip(a.iter().flatten()) {
            assert!((got - want).abs() < 1e-14, "{got} vs {want}");
        }
        assert!(d.q.iter().all(|&s| s >= 0.0));
        let b = [[0.3, 0.7], [-0.2, 0.1]];
        let d = svd(&b);
        for (got, want) in reconstruct(&d).iter().flatten().zip(b.iter().flatten()) {
            assert!((got - want).abs() < 1e-15);
        }
    }

    #[test]
    fn rank_deficient_and_zero_matrices() {
        let d = svd(&[[1.0, 2.0], [2.0, 4.0]]);
        let mut q = d.q;
        q.sort_by(f64::total_cmp);
        assert!(q[0].abs() < 1e-15 && (q[1] - 5.0).abs() < 1e-14);
        let d = svd(&[[0.0; 3]; 3]);
        assert_eq!(d.q, [0.0; 3]);
    }
}
