//! The machine's memory read bandwidth: the ceiling for any scan of a gallery too large for cache.
//!
//! Reads a 1 GiB buffer with a vectorisable sum, on one thread and on all cores (rayon), and
//! reports bytes per second. `cargo bench -p facegate-core --bench bandwidth`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::hint::black_box;

const BYTES: usize = 1 << 30;

fn sum(words: &[u64]) -> u64 {
    // Eight lanes so the compiler keeps eight independent wrapping adds in flight.
    let mut acc = [0u64; 8];
    for chunk in words.chunks_exact(8) {
        for i in 0..8 {
            acc[i] = acc[i].wrapping_add(chunk[i]);
        }
    }
    acc.iter().fold(0, |a, b| a.wrapping_add(*b))
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
