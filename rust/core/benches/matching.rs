//! Core matching speed without Python: exact scan, compressed scan and batched search over a
//! synthetic gallery of 1M templates. `cargo bench -p facegate-core --bench matching`.
//! The Python benches (benches/) compare against numpy and faiss in the same run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use facegate_core::matching::{Gallery, MatrixRef, Metric, SearchParams};
use std::hint::black_box;

const DIM: usize = 128;

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
        })
        .collect()
}

fn gallery(n: usize, quantized: bool) -> Gallery {
    let mut g = Gallery::new(DIM, Metric::Euclidean, quantized).expect("valid dim");
    let ids: Vec<u64> = (0..n as u64).collect();
    let rows = values(n * DIM, 1);
    g.add(&ids, MatrixRef::new(&rows, DIM).expect("whole rows"))
        .expect("valid rows");
    g
}

fn search(c: &mut Criterion) {
    let n = 1_000_000;
    let exact = gallery(n, false);
    let compressed = gallery(n, true);
    let mut group = c.benchmark_group("search_1M");
    group.sample_size(10);
    for m in [1usize, 64] {
        let queries = values(m * DIM, 7);
        let q = MatrixRef::new(&queries, DIM).expect("whole rows");
        group.throughput(Throughput::Elements(m as u64));
        group.bench_with_input(BenchmarkId::new("exact_f32", m), &q, |b, q| {
            b.iter(|| black_box(exact.search(*q, &SearchParams::k(1)).expect("search")))
        });
        group.bench_with_input(BenchmarkId::new("int8_rerank", m), &q, |b, q| {
            b.iter(|| black_box(compressed.search(*q, &SearchParams::k(1)).expect("search")))
        });
    }
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
