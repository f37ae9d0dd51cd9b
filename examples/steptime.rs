//! Time SGD steps (or the step's bare GEMMs) at one size and print milliseconds per step.
//! Used by `benches/compare.sh`, which alternates it with the numpy reference.
//!
//!   cargo run --release --example steptime -- step|gemm SIZE [STEPS] [AUG]
//!
//! SIZE is small, medium, large or d,d1,m,B; STEPS (default 10) are timed after 2 warm-up
//! steps; AUG is random_mask (default) or none. Prints `ms_per_step <value>`.

use std::time::Instant;

use decouple::sim::perf::{GemmBound, Size};
use decouple::sim::train::solver::Trainer;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: steptime step|gemm SIZE [STEPS] [AUG]";
    let what = args.first().expect(usage).clone();
    let size = Size::parse(args.get(1).expect(usage)).expect("SIZE: small, medium, large or d,d1,m,B");
    let steps: usize = args.get(2).map_or(10, |s| s.parse().expect("STEPS is a number"));
    let aug = args.get(3).map_or("random_mask", |s| s.as_str());
    let ms = match what.as_str() {
        "step" => {
            let mut t = Trainer::new(&size.settings(aug, 1));
            for _ in 0..2 {
                t.step().expect("finite");
            }
            let start = Instant::now();
            for _ in 0..steps {
                std::hint::black_box(t.step().expect("finite"));
            }
            start.elapsed().as_secs_f64() * 1e3 / steps as f64
        }
        "gemm" => {
            let mut g = GemmBound::new(size);
            for _ in 0..2 {
                g.step();
            }
            let start = Instant::now();
            for _ in 0..steps {
                g.step();
            }
            start.elapsed().as_secs_f64() * 1e3 / steps as f64
        }
        _ => panic!("{usage}"),
    };
    println!("ms_per_step {ms:.3}");
}
