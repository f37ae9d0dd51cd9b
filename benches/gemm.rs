//! Criterion benchmarks of the bare faer products of one SGD step (via
//! `decouple::sim::linalg::gemm`, single-threaded), in f64 and f32: the bound the step
//! should approach. Throughput `Elements` = FLOPs (criterion's "elem/s" reads as FLOP/s).
//!
//!   cargo bench --bench gemm
//!   cargo bench --bench gemm -- f32/medium      # one precision and size (a filter)

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use decouple::sim::linalg::Real;
use decouple::sim::perf::{GemmBound, PRODUCTS, SIZES};

fn bench_in<T: Real>(c: &mut Criterion) {
    for size in SIZES {
        let mut g = c.benchmark_group(format!("gemm/{}/{}", T::NAME, size.name));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(if size.name == "large" { 6 } else { 2 }));
        let mut ops = GemmBound::<T>::new(size);
        g.throughput(Throughput::Elements(size.step_flops()));
        g.bench_function("all_step_products", |b| b.iter(|| ops.step()));
        for name in PRODUCTS {
            g.throughput(Throughput::Elements(size.product_flops(name)));
            g.bench_function(name, |b| b.iter(|| ops.product(name)));
        }
        g.finish();
    }
}

fn bench_gemm(c: &mut Criterion) {
    bench_in::<f64>(c);
    bench_in::<f32>(c);
}

criterion_group!(benches, bench_gemm);
criterion_main!(benches);
