//! Time the SGD step's matrix products one at a time (faer, single-threaded), or the square
//! product that stands for the core's peak. Used by `benches/compare.sh`, which prints them
//! beside OpenBLAS's (benches/reference/products.py) so a slow shape is named.
//!
//!   cargo run --release --example products -- peak [f64|f32]
//!   cargo run --release --example products -- SIZE [f64|f32]
//!
//! `peak` prints `peak_gflops <value>`: the best of a 2048² and a 3072² product. SIZE
//! (small, medium, large or d,d1,m,B) prints `product <name> <ms> <GFLOP/s>` for each of
//! forward, similarity, softmax_grad, update: the best of three timings, each the mean of
//! enough products for about 0.2 s.

use std::time::Instant;

use decouple::sim::linalg::Real;
use decouple::sim::perf::{square_gflops, GemmBound, Size, PRODUCTS};

fn each<T: Real>(size: Size) {
    let mut ops = GemmBound::<T>::new(size);
    ops.step();
    for name in PRODUCTS {
        let flops = size.product_flops(name) as f64;
        let reps = (0.2 * 40e9 / flops).clamp(1.0, 1000.0) as usize;
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let start = Instant::now();
            for _ in 0..reps {
                ops.product(name);
            }
            best = best.min(start.elapsed().as_secs_f64() / reps as f64);
        }
        println!("product {name} {:.3} {:.1}", best * 1e3, flops / best / 1e9);
    }
}

fn peak<T: Real>() -> f64 {
    square_gflops::<T>(2048, 3).max(square_gflops::<T>(3072, 1))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: products peak|SIZE [f64|f32]";
    let what = args.first().expect(usage).as_str();
    let f32 = match args.get(1).map_or("f64", |s| s.as_str()) {
        "f64" => false,
        "f32" => true,
        other => panic!("precision is f64 or f32, not {other}"),
    };
    if what == "peak" {
        let g = if f32 { peak::<f32>() } else { peak::<f64>() };
        println!("peak_gflops {g:.1}");
        return;
    }
    let size = Size::parse(what).expect(usage);
    if f32 {
        each::<f32>(size)
    } else {
        each::<f64>(size)
    }
}
