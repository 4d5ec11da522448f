//! Template protection speed per core: seal, open, unwrap, and loading 100k sealed templates
//! into a gallery on all cores. `cargo bench -p facegate-core --bench protect`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use facegate_core::matching::{Gallery, Metric};
use facegate_core::protect::{
    DataKey, MasterKey, SealContext, WrappedItem, open, open_wrapped_into_gallery, seal,
};
use std::hint::black_box;

const CTX: SealContext<'static> = SealContext {
    deployment: b"lobby",
    subject: b"guest",
    template: 7,
};

fn one_template(c: &mut Criterion) {
    let template: Vec<f32> = (0..128).map(|i| i as f32 / 640.0).collect();
    let key = DataKey::generate().unwrap();
    let master = MasterKey::generate().unwrap();
    let sealed = seal(&template, &key, &CTX).unwrap();
    let wrapped = master.wrap(&key, b"guest").unwrap();
    let mut group = c.benchmark_group("one_template");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seal", |b| {
        b.iter(|| black_box(seal(&template, &key, &CTX).unwrap()))
    });
    group.bench_function("open", |b| {
        b.iter(|| black_box(open(&sealed, &key, &CTX).unwrap()))
    });
    group.bench_function("unwrap_key", |b| {
        b.iter(|| black_box(master.unwrap(&wrapped, b"guest").unwrap()))
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let n = 100_000;
    let master = MasterKey::generate().unwrap();
    let subjects: Vec<String> = (0..n).map(|i| format!("subject-{i}")).collect();
    let rows: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            let key = DataKey::generate().unwrap();
            let ctx = SealContext {
                subject: subjects[i].as_bytes(),
                template: i as u64,
                ..CTX
            };
            let template = [i as f32 / n as f32; 128];
            (
                seal(&template, &key, &ctx).unwrap(),
                master.wrap(&key, subjects[i].as_bytes()).unwrap(),
            )
        })
        .collect();
    let items: Vec<WrappedItem<'_>> = rows
        .iter()
        .enumerate()
        .map(|(i, (sealed, wrapped))| WrappedItem {
            id: i as u64,
            sealed,
            wrapped_key: wrapped,
            context: SealContext {
                subject: subjects[i].as_bytes(),
                template: i as u64,
                ..CTX
            },
        })
        .collect();
    let mut group = c.benchmark_group("open_wrapped_into_gallery");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(n as u64));
    group.bench_function("100k", |b| {
        b.iter(|| {
            let mut gallery = Gallery::new(128, Metric::Euclidean, false).unwrap();
            open_wrapped_into_gallery(&mut gallery, &master, &items).unwrap();
            black_box(gallery.len())
        })
    });
    group.finish();
}

criterion_group!(benches, one_template, load);
criterion_main!(benches);
