//! The command line as a new user drives it: overrides and dry runs, folders that never mix
//! runs, exit codes, the summary over seeds and the paired comparison.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_decouple");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn decouple(args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(ROOT).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_dry_run_with_an_override_prints_the_resolved_settings_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = decouple(&[
        "run",
        "experiments/theorem_aug.toml",
        "--set",
        "train.steps=50",
        "--dry-run",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("\"steps\": 50") && t.contains("50 steps"), "{t}");
    assert!(!out.exists(), "a dry run writes nothing");
    // A bad key is refused before any run starts, naming the override; nothing is written.
    let o = decouple(&[
        "run",
        "experiments/theorem_aug.toml",
        "experiments/theorem_no_aug.toml",
        "--set",
        "train.stepz=50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("--set train.stepz=50") && !text(&o).contains("backtrace"),
        "{}",
        text(&o)
    );
    assert!(!out.exists());
    // Usage errors exit 2.
    let o = decouple(&[
        "sweep",
        "experiments/scaling_d_quick.toml",
        "--shard",
        "5/2",
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // The audit and the report plan with overrides and write nothing either.
    let o = decouple(&[
        "audit",
        "--file",
        "tests/fixtures/audit_tiny.toml",
        "--set",
        "train.steps=20",
        "--dry-run",
    ]);
    assert!(
        o.status.success() && text(&o).contains("47 simulations"),
        "{}",
        text(&o)
    );
    let o = decouple(&[
        "report",
        "--scale",
        "quick",
        "--dry-run",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn a_second_run_with_another_seed_does_not_replace_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    let file = "tests/fixtures/tiny_aug.toml";
    let run = |extra: &[&str]| {
        let mut a = vec!["run", file, "--out", out, "--quiet"];
        a.extend_from_slice(extra);
        decouple(&a)
    };
    assert!(run(&[]).status.success());
    let first = std::fs::read(tmp.path().join("tiny_aug/alpha.csv")).unwrap();
    assert!(run(&[]).status.success(), "the same run again rewrites the same bytes");
    let o = run(&["--seed", "7"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("holds another run: seed 1"), "{}", text(&o));
    assert_eq!(std::fs::read(tmp.path().join("tiny_aug/alpha.csv")).unwrap(), first);
    let o = run(&["--seeds", "2"]);
    assert!(text(&o).contains("single run's files"), "{}", text(&o));
    let o = run(&["--seed", "7", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(std::fs::read(tmp.path().join("tiny_aug/alpha.csv")).unwrap(), first);
}

#[test]
fn seeds_are_summarised_and_compared_paired_by_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap();
    let o = decouple(&[
        "run",
        "tests/fixtures/tiny_aug.toml",
        "tests/fixtures/tiny_no_aug.toml",
        "--seeds",
        "3",
        "--out",
        out,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let summary = std::fs::read_to_string(tmp.path().join("tiny_aug/summary_over_seeds.csv")).unwrap();
    let acc = summary
        .lines()
        .find(|l| l.starts_with("probe_classification_acc,"))
        .unwrap();
    let cells: Vec<f64> = acc.split(',').skip(1).map(|c| c.parse().unwrap()).collect();
    assert_eq!(cells[0], 3.0);
    assert!(cells[2] >= 0.0 && cells[3] <= 1.0, "inside [0, 1]: {acc}");
    let a = tmp.path().join("tiny_no_aug");
    let b = tmp.path().join("tiny_aug");
    let csv = tmp.path().join("cmp.csv");
    let o = decouple(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("3 pairs"), "{}", text(&o));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(rows.lines().any(|l| l.starts_with("align_median,3,")), "{rows}");
}

#[test]
fn another_sweep_of_the_same_name_is_refused_then_replaced_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = |steps: usize| {
        let p = tmp.path().join(format!("s{steps}.toml"));
        let base = Path::new(ROOT).join("tests/fixtures/tiny_aug.toml");
        std::fs::write(
            &p,
            format!(
                "name = \"same\"\nseeds = 1\nbase = {:?}\n[axes]\n\"train.steps\" = [{steps}]\n",
                base.to_str().unwrap()
            ),
        )
        .unwrap();
        p
    };
    let out = tmp.path().join("out");
    let run = |p: &Path, force: bool| {
        let mut a = vec!["sweep", p.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
        if force {
            a.push("--force");
        }
        decouple(&a)
    };
    assert!(run(&sweep(10), false).status.success());
    let o = run(&sweep(12), false);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("holds the tables of another sweep"), "{}", text(&o));
    let o = run(&sweep(12), true);
    assert!(o.status.success(), "{}", text(&o));
}
