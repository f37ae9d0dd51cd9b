//! Criterion benchmarks of the bare faer products of one SGD step (via
//! `decouple::sim::linalg::gemm`, single-threaded): the lower bound the step should approach.
//! Throughput `Elements` = FLOPs (criterion's "elem/s" reads as FLOP/s).
//!
//!   cargo bench --bench gemm

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use decouple::sim::perf::{GemmBound, SIZES};

fn bench_gemm(c: &mut Criterion) {
    for size in SIZES {
        let mut g = c.benchmark_group(format!("gemm/{}", size.name));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(if size.name == "large" { 6 } else { 2 }));
        let mut ops = GemmBound::new(size);
        g.throughput(Throughput::Elements(size.step_flops()));
        g.bench_function("all_step_products", |b| b.iter(|| ops.step()));
        g.throughput(Throughput::Elements(size.forward_flops()));
        g.bench_function("forward_WX1_WX2", |b| b.iter(|| ops.forward()));
        g.throughput(Throughput::Elements(size.loss_flops()));
        g.bench_function("loss_F2tF1_F2Pt", |b| b.iter(|| ops.loss()));
        g.throughput(Throughput::Elements(size.update_flops()));
        g.bench_function("update_GX1t", |b| b.iter(|| ops.update()));
        g.finish();
    }
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
