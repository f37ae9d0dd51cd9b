//! Criterion benchmarks of the SGD step (issue #5): one full step (f64 and f32) and its phases (f64), at the
//! three sizes of `decouple::sim::perf`. Throughput is reported as `Elements`, which here means
//! FLOPs of the phase's matrix products (so criterion's "elem/s" reads as FLOP/s); for the
//! sampling and mask phases, which do no products, it is the number of input coordinates
//! d1·B drawn or masked ("elem/s" = coordinates per second).
//!
//!   cargo bench --bench step                 # all sizes
//!   cargo bench --bench step -- small        # one size
//!   cargo bench --bench step -- --save-baseline main / --baseline main

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use faer::Mat;

use decouple::sim::augment;
use decouple::sim::data::SparseCodes;
use decouple::sim::perf::{Size, SIZES};
use decouple::sim::rng::{stream, Purpose};
use decouple::sim::train::solver::Trainer;

fn config(c: &mut Criterion, size: Size) -> BenchmarkGroup<'_, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(format!("step/{}", size.name));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(if size.name == "large" { 6 } else { 2 }));
    g
}

fn bench_step(c: &mut Criterion) {
    for size in SIZES {
        let settings = size.settings("random_mask", 1);
        let d1b = (size.d1 * size.batch) as u64;
        let mut g = config(c, size);

        let mut t = Trainer::new(&settings);
        t.step().unwrap();
        g.throughput(Throughput::Elements(size.step_flops()));
        g.bench_function("full_step", |b| b.iter(|| black_box(t.step().unwrap())));

        // The same step in f32 (`[train] precision = "f32"`).
        let mut t32 = Trainer::<f32>::build(&settings);
        t32.step().unwrap();
        g.bench_function("full_step_f32", |b| b.iter(|| black_box(t32.step().unwrap())));

        // Sampling alone: x = Mz + ξ for a batch (Data stream).
        let model = t.model().clone();
        let mut x = Mat::<f64>::zeros(size.d1, size.batch);
        let mut z = SparseCodes::with_capacity(size.batch, size.d);
        let mut rng = stream(1, Purpose::Data);
        g.throughput(Throughput::Elements(d1b));
        g.bench_function("sample", |b| {
            b.iter(|| model.sample_into(&mut rng, &mut x, None, &mut z))
        });

        // The two RandomMask views of a batch (Masks stream).
        let aug = augment::from_config(&settings.augmentation, settings.model.sigma_xi);
        let (mut v1, mut v2) = (
            Mat::<f64>::zeros(size.d1, size.batch),
            Mat::<f64>::zeros(size.d1, size.batch),
        );
        let mut mrng = stream(1, Purpose::Masks);
        g.bench_function("views", |b| b.iter(|| aug.views(&x, &mut v1, &mut v2, &mut mrng)));

        // What the step does: sample and views fused, one sample at a time.
        g.bench_function("sample_and_views_fused", |b| b.iter(|| t.draw_inputs()));

        g.throughput(Throughput::Elements(size.forward_flops()));
        g.bench_function("forward", |b| b.iter(|| t.forward()));

        g.throughput(Throughput::Elements(size.loss_flops()));
        g.bench_function("loss_and_grad", |b| b.iter(|| black_box(t.loss_and_grad())));

        g.throughput(Throughput::Elements(size.update_flops()));
        g.bench_function("update", |b| b.iter(|| t.apply_update()));

        g.throughput(Throughput::Elements((size.m * size.d1) as u64));
        g.bench_function("norms_and_bias", |b| b.iter(|| t.begin_step().unwrap()));
        g.finish();
    }
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
