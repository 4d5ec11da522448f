//! dlib's face-recognition ResNet without Python: one chip on one thread, and a batch of 16 on
//! every core. `cargo bench -p facegate-core --bench encoder`. The Python benches
//! (benches/test_bench_encoder.py) compare against dlib's own encoder in the same run.
//!
//! The model file is found as the encoder's tests find it: `FACEGATE_DLIB_MODEL`, else the
//! `face_recognition_models` package in the workspace's `.venv`; without it the bench skips.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use facegate_core::encoder::{CHIP_BYTES, ENCODING_DIM, Network, Workspace, find_model};
use std::hint::black_box;

const BATCH: usize = 16;

/// Pseudo-random chips: the forward pass does the same work whatever the pixels are.
fn chips(n: usize) -> Vec<u8> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n * CHIP_BYTES)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 56) as u8
        })
        .collect()
}

fn encoder(c: &mut Criterion) {
    let Some(path) = find_model().filter(|path| path.is_file()) else {
        eprintln!(
            "skipped: set FACEGATE_DLIB_MODEL to dlib_face_recognition_resnet_model_v1.dat to run the encoder bench"
        );
        return;
    };
    let net = Network::from_file(&path).expect("the model file loads");
    let batch = chips(BATCH);
    let mut group = c.benchmark_group("encoder");
    group.sample_size(20);

    let chip = &batch[..CHIP_BYTES];
    let mut ws = Workspace::default();
    let mut out = [0f32; ENCODING_DIM];
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_chip_one_thread", |b| {
        b.iter(|| {
            net.encode_into(black_box(chip), &mut ws, &mut out);
            black_box(&out);
        })
    });

    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("batch_16_all_cores", |b| {
        b.iter(|| black_box(net.encode_batch(black_box(&batch)).expect("whole chips")))
    });
    group.finish();
}

criterion_group!(benches, encoder);
criterion_main!(benches);
