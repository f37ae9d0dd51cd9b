//! Time SGD steps (or the step's bare products) at one size and print milliseconds per step.
//! Used by `benches/compare.sh`, which alternates it with the numpy and JAX references.
//!
//!   cargo run --release --example steptime -- step|gemm SIZE [STEPS] [AUG] [PRECISION]
//!
//! SIZE is small, medium, large or d,d1,m,B; STEPS (default 10) are timed after 2 warm-up
//! steps; AUG is random_mask (default) or none; PRECISION f64 (default) or f32. Prints
//! `ms_per_step <value>` and, for `step`, `loss_bits <hex>` (the last step's loss, to
//! compare builds bit for bit).

use std::time::Instant;

use decouple::sim::linalg::Real;
use decouple::sim::perf::{GemmBound, Size};
use decouple::sim::train::solver::Trainer;

fn steps<T: Real>(size: Size, aug: &str, n: usize) -> (f64, f64) {
    let mut t = Trainer::<T>::build(&size.settings(aug, 1));
    for _ in 0..2 {
        t.step().expect("finite");
    }
    let start = Instant::now();
    let mut loss = f64::NAN;
    for _ in 0..n {
        loss = std::hint::black_box(t.step().expect("finite"));
    }
    (start.elapsed().as_secs_f64() * 1e3 / n as f64, loss)
}

fn gemms<T: Real>(size: Size, n: usize) -> f64 {
    let mut g = GemmBound::<T>::new(size);
    for _ in 0..2 {
        g.step();
    }
    let start = Instant::now();
    for _ in 0..n {
        g.step();
    }
    start.elapsed().as_secs_f64() * 1e3 / n as f64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: steptime step|gemm SIZE [STEPS] [AUG] [PRECISION]";
    let what = args.first().expect(usage).clone();
    let size = Size::parse(args.get(1).expect(usage)).expect("SIZE: small, medium, large or d,d1,m,B");
    let n: usize = args.get(2).map_or(10, |s| s.parse().expect("STEPS is a number"));
    let aug = args.get(3).map_or("random_mask", |s| s.as_str());
    let f32 = match args.get(4).map_or("f64", |s| s.as_str()) {
        "f64" => false,
        "f32" => true,
        other => panic!("PRECISION is f64 or f32, not {other}"),
    };
    match (what.as_str(), f32) {
        ("step", false) | ("step", true) => {
            let (ms, loss) = if f32 {
                steps::<f32>(size, aug, n)
            } else {
                steps::<f64>(size, aug, n)
            };
            println!("ms_per_step {ms:.3}");
            println!("loss_bits {:016x}", loss.to_bits());
        }
        ("gemm", _) => {
            let ms = if f32 {
                gemms::<f32>(size, n)
            } else {
                gemms::<f64>(size, n)
            };
            println!("ms_per_step {ms:.3}");
        }
        _ => panic!("{usage}"),
    }
}
