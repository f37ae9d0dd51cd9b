//! `decouple run --seeds K --jobs N`: the tables of every seed do not depend on the number
//! of jobs, and each seed's tables equal a single run with that seed.

mod common;

use std::path::Path;
use std::process::Command;

fn run(cfg: &Path, out: &Path, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_decouple"))
        .args(["run", cfg.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn two_jobs_give_the_same_tables_as_one_job_and_as_single_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("small.toml");
    std::fs::write(&cfg, common::small_config("random_mask")).unwrap();
    let (one, two, single) = (
        dir.path().join("one"),
        dir.path().join("two"),
        dir.path().join("single"),
    );
    run(&cfg, &one, &["--seeds", "3", "--jobs", "1"]);
    run(&cfg, &two, &["--seeds", "3", "--jobs", "2"]);
    run(&cfg, &single, &["--seed", "12"]);
    for seed in [11, 12, 13] {
        let sub = format!("small_random_mask/seed_{seed}");
        for f in ["metrics.csv", "neurons.csv", "alpha.csv", "probes.csv"] {
            let a = std::fs::read(one.join(&sub).join(f)).unwrap();
            let b = std::fs::read(two.join(&sub).join(f)).unwrap();
            assert!(a == b, "seed {seed}: {f} differs between --jobs 1 and --jobs 2");
        }
        assert_eq!(
            common::summary_without_wall_time(&one.join(&sub).join("summary.csv")),
            common::summary_without_wall_time(&two.join(&sub).join("summary.csv"))
        );
    }
    // With K = 1 the layout is OUT/<name>/, and seed 12 of the multi-seed run is that run.
    for f in ["metrics.csv", "neurons.csv", "alpha.csv", "probes.csv"] {
        let a = std::fs::read(single.join("small_random_mask").join(f)).unwrap();
        let b = std::fs::read(one.join("small_random_mask/seed_12").join(f)).unwrap();
        assert!(a == b, "{f}: seed 12 of --seeds 3 differs from --seed 12");
    }
}
