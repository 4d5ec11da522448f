//! The machine's f32 FMA peak: the ceiling for the batch product and the encoder, so that their
//! figures can be given as a share of it.
//!
//! Twelve independent multiply-add chains in registers (more than the FMA units' latency times
//! their count, so the units, not the chains, are the limit), with 256-bit (AVX2/FMA) and 512-bit
//! (AVX-512) vectors, on one thread and on every core. Criterion's throughput is in elements:
//! here, floating-point operations (an FMA on 8 lanes counts 16).
//! `cargo bench -p facegate-core --bench fma`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::hint::black_box;

/// Iterations per call: 12 FMAs each.
const ROUNDS: usize = 1 << 22;
const CHAINS: usize = 12;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn chains_avx2(rounds: usize, x: f32, y: f32) -> f32 {
    use std::arch::x86_64::*;
    let (x, y) = (_mm256_set1_ps(x), _mm256_set1_ps(y));
    let mut acc = [_mm256_setzero_ps(); CHAINS];
    for _ in 0..rounds {
        for a in &mut acc {
            *a = _mm256_fmadd_ps(*a, x, y);
        }
    }
    let mut out = [0f32; 8];
    let sum = acc
        .iter()
        .fold(_mm256_setzero_ps(), |s, a| _mm256_add_ps(s, *a));
    // SAFETY: `out` has room for the 8 lanes; storeu has no alignment requirement.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
    out.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn chains_avx512(rounds: usize, x: f32, y: f32) -> f32 {
    use std::arch::x86_64::*;
    let (x, y) = (_mm512_set1_ps(x), _mm512_set1_ps(y));
    let mut acc = [_mm512_setzero_ps(); CHAINS];
    for _ in 0..rounds {
        for a in &mut acc {
            *a = _mm512_fmadd_ps(*a, x, y);
        }
    }
    let sum = acc
        .iter()
        .fold(_mm512_setzero_ps(), |s, a| _mm512_add_ps(s, *a));
    _mm512_reduce_add_ps(sum)
}

#[cfg(target_arch = "x86_64")]
fn peak(c: &mut Criterion) {
    // (name, lanes, kernel, whether this CPU runs it)
    type Kernel = fn(usize, f32, f32) -> f32;
    let avx2: Kernel = |r, x, y| {
        // SAFETY: only benchmarked when the CPU has AVX2 and FMA (checked below).
        unsafe { chains_avx2(r, x, y) }
    };
    let avx512: Kernel = |r, x, y| {
        // SAFETY: only benchmarked when the CPU has AVX-512F (checked below).
        unsafe { chains_avx512(r, x, y) }
    };
    let paths = [
        (
            "avx2",
            8,
            avx2,
            is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        ),
        ("avx512", 16, avx512, is_x86_feature_detected!("avx512f")),
    ];
    let cores = rayon::current_num_threads();
    let mut group = c.benchmark_group("fma_peak");
    group.sample_size(10);
    for (name, lanes, kernel, supported) in paths {
        if !supported {
            continue;
        }
        let flop = (ROUNDS * CHAINS * lanes * 2) as u64;
        // x just under 1 and y small keep every chain finite and out of denormals.
        let run = move || kernel(black_box(ROUNDS), black_box(0.999_999), black_box(1e-3));
        group.throughput(Throughput::Elements(flop));
        group.bench_function(format!("{name}/1_thread"), |b| b.iter(run));
        group.throughput(Throughput::Elements(flop * cores as u64));
        group.bench_function(format!("{name}/all_cores"), |b| {
            b.iter(|| (0..cores).into_par_iter().map(|_| run()).sum::<f32>())
        });
    }
    group.finish();
}

#[cfg(not(target_arch = "x86_64"))]
fn peak(_: &mut Criterion) {}

criterion_group!(benches, peak);
criterion_main!(benches);
