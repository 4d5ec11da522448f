//! The one matrix product the encoder needs, as a safe call over the `gemm` crate.
//!
//! `gemm` picks its kernel once per process at run time (AVX-512 with the `x86-v4` feature,
//! else AVX2/FMA, else portable code), so one build runs on any x86-64 at the best speed the CPU
//! allows. Its entry point takes raw pointers and strides; this wrapper checks every length
//! before the call, which is what makes that call sound.

/// `dst[m×n] = lhs[m×k] · rhs[k×n]`, all row-major and contiguous, on the calling thread.
///
/// # Panics
/// If a slice's length does not match its dimensions (a bug in the caller, never input data).
pub fn matmul(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
    assert_eq!(dst.len(), m * n, "dst is not m×n");
    assert_eq!(lhs.len(), m * k, "lhs is not m×k");
    assert_eq!(rhs.len(), k * n, "rhs is not k×n");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        dst.fill(0.0);
        return;
    }
    let (n_i, k_i) = (n as isize, k as isize);
    // SAFETY: the asserts above make every element `gemm` addresses lie inside its slice: dst
    // rows are n apart (row stride n, column stride 1) over m rows, lhs rows k apart over m rows
    // and k columns, rhs rows n apart over k rows and n columns. `dst` is a unique borrow, so it
    // aliases neither input. With `read_dst == false` gemm never reads dst's old values (which
    // are initialised anyway), and it runs on this thread only (`Parallelism::None`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n_i,
            false,
            lhs.as_ptr(),
            1,
            k_i,
            rhs.as_ptr(),
            1,
            n_i,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_schoolbook_product() {
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (32, 49, 147), (17, 1, 300)] {
            let lhs: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
            let rhs: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 13) as f32 - 6.0).collect();
            let mut dst = vec![f32::NAN; m * n];
            matmul(&mut dst, &lhs, &rhs, m, n, k);
            for i in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|p| lhs[i * k + p] * rhs[p * n + j]).sum();
                    assert_eq!(dst[i * n + j], want, "({m},{n},{k}) at ({i},{j})");
                }
            }
        }
    }
}
