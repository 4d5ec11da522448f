//! The machine's memory read bandwidth: the ceiling for any scan of a gallery too large for cache.
//!
//! Reads a 1 GiB buffer with a vectorisable sum, on one thread and on all cores (rayon), and
//! reports bytes per second. `cargo bench -p facegate-core --bench bandwidth`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::hint::black_box;

const BYTES: usize = 1 << 30;

/// Eight independent wrapping adds in flight, in plain Rust.
fn sum_portable(words: &[u64]) -> u64 {
    let mut acc = [0u64; 8];
    for chunk in words.chunks_exact(8) {
        for i in 0..8 {
            acc[i] = acc[i].wrapping_add(chunk[i]);
        }
    }
    acc.iter().fold(0, |a, b| a.wrapping_add(*b))
}

/// 512-bit loads into four accumulators, so the read, not the adds, is the limit (the matching
/// kernels read the same way).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn sum_avx512(words: &[u64]) -> u64 {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_setzero_si512(); 4];
    for chunk in words.as_chunks::<32>().0 {
        for (i, lane) in chunk.as_chunks::<8>().0.iter().enumerate() {
            // SAFETY: a [u64; 8] is 64 readable bytes; loadu has no alignment requirement.
            let v = unsafe { _mm512_loadu_si512(lane.as_ptr().cast()) };
            acc[i] = _mm512_add_epi64(acc[i], v);
        }
    }
    let all = _mm512_add_epi64(
        _mm512_add_epi64(acc[0], acc[1]),
        _mm512_add_epi64(acc[2], acc[3]),
    );
    _mm512_reduce_add_epi64(all) as u64
}

fn sum(words: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F, the only feature the function enables.
        return unsafe { sum_avx512(words) };
    }
    sum_portable(words)
}

fn bandwidth(c: &mut Criterion) {
    let words: Vec<u64> = (0..BYTES / 8).map(|i| i as u64).collect();
    let mut group = c.benchmark_group("memory_read");
    group
        .sample_size(10)
        .throughput(Throughput::Bytes(BYTES as u64));
    group.bench_function("1_thread", |b| b.iter(|| black_box(sum(black_box(&words)))));
    group.bench_function("all_cores", |b| {
        b.iter(|| {
            black_box(&words)
                .par_chunks(1 << 20)
                .map(sum)
                .reduce(|| 0, u64::wrapping_add)
        })
    });
    group.finish();
}

criterion_group!(benches, bandwidth);
criterion_main!(benches);
