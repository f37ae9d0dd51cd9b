//! `decouple compare A B`: two experiments' runs compared seed by seed (B − A per metric,
//! mean and 95% t-interval of the per-seed differences), from their folders.

use std::path::PathBuf;

use anyhow::Result;

use decouple::io::write_atomic;
use decouple::report::compare::{paired, read_runs};

/// Arguments of `decouple compare`.
#[derive(clap::Args)]
pub struct CompareArgs {
    /// Experiment A: a run folder, or the folder of `decouple run --seeds K` (seed_*/ inside).
    pub a: PathBuf,
    /// Experiment B, the same way; the seeds both have are paired.
    pub b: PathBuf,
    /// Also write the table as CSV here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else {
        format!("{v:.4}")
    }
}

/// Run it.
pub fn main(args: &CompareArgs) -> Result<()> {
    let (a, b) = (read_runs(&args.a)?, read_runs(&args.b)?);
    let rows = paired(&a, &b)?;
    println!(
        "B − A, paired by seed: A = {}, B = {} ({} pairs; 95% Student-t interval of the per-seed differences)",
        args.a.display(),
        args.b.display(),
        rows.first().map_or(0, |r| r.pairs)
    );
    println!(
        "{:<40} {:>5} {:>10} {:>10} {:>10}  95% interval",
        "metric", "pairs", "mean A", "mean B", "B − A"
    );
    let mut csv = String::from("metric,pairs,mean_a,mean_b,diff,ci95_lo,ci95_hi\n");
    for r in &rows {
        println!(
            "{:<40} {:>5} {:>10} {:>10} {:>10}  [{}, {}]",
            r.metric,
            r.pairs,
            num(r.mean_a),
            num(r.mean_b),
            num(r.diff),
            num(r.lo),
            num(r.hi)
        );
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            r.metric, r.pairs, r.mean_a, r.mean_b, r.diff, r.lo, r.hi
        ));
    }
    if let Some(p) = &args.out {
        write_atomic(p, csv.as_bytes())?;
        println!("-> {}", p.display());
    }
    Ok(())
}
