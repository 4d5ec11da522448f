//! The one matrix product the encoder needs, as a safe call over the `gemm` crate.
//!
//! `gemm` picks its kernel once per process at run time (AVX-512 with the `x86-v4` feature,
//! else AVX2/FMA, else portable code), so one build runs on any x86-64 at the best speed the CPU
//! allows. Its entry point takes raw pointers and strides; this wrapper checks that every
//! element a view addresses lies inside its slice, which is what makes that call sound.

/// A matrix over a slice: element (i, j) is `data[i·rs + j·cs]`. Strides let one buffer be
/// read transposed, or a subset of its rows be read, without copying.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// A contiguous row-major `rows`×`cols` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }
}

/// Whether every element of a `rows`×`cols` matrix with these strides lies in `len` elements.
fn fits(len: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * rs + (cols - 1) * cs < len
}

/// `dst[m×n] (+)= lhs[m×k] · rhs[k×n]` on the calling thread, `dst` element (i, j) at
/// `dst[i·rs + j·cs]`. With `accumulate` the product is added to what `dst` holds (a bias
/// written there beforehand), else it replaces it.
///
/// # Panics
/// If the shapes disagree or a view reaches past its slice (a bug in the caller, never input
/// data).
pub fn matmul(dst: &mut [f32], rs: usize, cs: usize, lhs: View, rhs: View, accumulate: bool) {
    let (m, n, k) = (lhs.rows, rhs.cols, lhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert!(fits(dst.len(), m, n, rs, cs), "dst is smaller than m×n");
    assert!(
        fits(lhs.data.len(), m, k, lhs.rs, lhs.cs),
        "lhs is smaller than m×k"
    );
    assert!(
        fits(rhs.data.len(), k, n, rhs.rs, rhs.cs),
        "rhs is smaller than k×n"
    );
    if m == 0 || n == 0 || (k == 0 && accumulate) {
        return;
    }
    if k == 0 {
        for i in 0..m {
            (0..n).for_each(|j| dst[i * rs + j * cs] = 0.0);
        }
        return;
    }
    let s = |v: usize| v as isize;
    // SAFETY: the asserts above make every element `gemm` addresses lie inside its slice: it
    // reads lhs (i, p) at i·rs + p·cs for i < m, p < k, rhs likewise over k×n, and writes dst
    // over m×n, all with the non-negative strides given. `dst` is a unique borrow, so it aliases
    // neither input. Without `accumulate` gemm never reads dst's old values (which are
    // initialised anyway), and it runs on this thread only (`Parallelism::None`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            s(cs),
            s(rs),
            accumulate,
            lhs.data.as_ptr(),
            s(lhs.cs),
            s(lhs.rs),
            rhs.data.as_ptr(),
            s(rhs.cs),
            s(rhs.rs),
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The kernel family gemm runs in this build on this CPU, by gemm 0.19's own rule
/// (`init_gemm_fn` in gemm-common): AVX-512 when compiled in and present, else AVX2/FMA when it
/// can detect them, else portable. gemm does not report its choice, so this repeats the rule.
pub fn simd_path() -> &'static str {
    #[cfg(all(feature = "simd", any(target_arch = "x86", target_arch = "x86_64")))]
    {
        if cfg!(feature = "avx512") && std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512";
        }
        if std::arch::is_x86_feature_detected!("fma") {
            return "avx2-fma";
        }
    }
    "portable"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names the path the encoder's tests ran on; with `FACEGATE_EXPECT_SIMD` set (as CI sets
    /// it for each feature set; empty means no expectation) it fails when another one ran.
    #[test]
    fn reports_the_simd_path() {
        let path = simd_path();
        eprintln!("gemm kernels: {path}");
        if let Ok(want) = std::env::var("FACEGATE_EXPECT_SIMD")
            && !want.is_empty()
        {
            assert_eq!(path, want, "the tests ran on another SIMD path");
        }
    }

    #[test]
    fn matches_the_schoolbook_product() {
        for (m, n, k) in [
            (1, 1, 1),
            (3, 5, 7),
            (32, 49, 147),
            (17, 1, 300),
            (64, 9, 40),
        ] {
            let lhs: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
            let rhs: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 13) as f32 - 6.0).collect();
            let want = |i: usize, j: usize| -> f32 {
                (0..k).map(|p| lhs[i * k + p] * rhs[p * n + j]).sum()
            };
            let mut dst = vec![f32::NAN; m * n];
            matmul(
                &mut dst,
                n,
                1,
                View::row_major(&lhs, m, k),
                View::row_major(&rhs, k, n),
                false,
            );
            // The same product, column-major, on top of ones.
            let mut cm = vec![1.0; m * n];
            let lhs_t: Vec<f32> = (0..k * m).map(|i| lhs[(i % m) * k + i / m]).collect();
            let lhs_view = View {
                data: &lhs_t,
                rows: m,
                cols: k,
                rs: 1,
                cs: m,
            };
            matmul(&mut cm, 1, m, lhs_view, View::row_major(&rhs, k, n), true);
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(dst[i * n + j], want(i, j), "({m},{n},{k}) at ({i},{j})");
                    assert_eq!(
                        cm[j * m + i],
                        want(i, j) + 1.0,
                        "({m},{n},{k}) at ({i},{j})"
                    );
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "lhs is smaller")]
    fn a_view_past_its_slice_is_refused() {
        let (lhs, rhs, mut dst) = ([0.0; 5], [0.0; 6], [0.0; 6]);
        matmul(
            &mut dst,
            3,
            1,
            View::row_major(&lhs, 2, 3),
            View::row_major(&rhs, 3, 3),
            false,
        );
    }
}
