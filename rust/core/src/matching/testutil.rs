//! Deterministic pseudo-random data for the core's unit tests (no dependency, no seeds to manage).

/// xorshift32 values uniform in [-0.5, 0.5).
pub fn uniform(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f64 / (u32::MAX as f64 + 1.0) - 0.5) as f32
        })
        .collect()
}

/// Squared Euclidean distance in f64, the reference the kernels are checked against.
pub fn l2sq_f64(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum()
}
