//! Faults, as a user meets them: a sweep and an audit killed with `kill -9` (then resumed), two
//! processes on one output folder, corrupt and truncated run records, shards merged before
//! all have finished, a run too large for the machine's memory. (A panic inside one
//! simulation of a parallel batch is tested in `src/exec/sweep/exec.rs`.) Each test
//! prints how many faults it injected (`cargo test --release --test faults -- --nocapture`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use decouple::exec::progress::{silent, ProgressEvent};
use decouple::exec::sweep::{self, SweepOptions, SweepSpec};

const BIN: &str = env!("CARGO_BIN_EXE_decouple");

/// 12 runs of a fraction of a second each.
const SWEEP: &str = r#"
name = "faults"
seeds = 3
[base]
name = "b"
seed = 3
[base.model]
d = 8
d1 = 40
[base.network]
m = 24
[base.augmentation]
kind = "random_mask"
[base.train]
steps = 150
batch = 64
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 50
[base.metrics]
eval_samples = 200
[base.probe]
n_train = 200
n_test = 200
[axes]
"augmentation.kind" = ["none", "random_mask"]
"network.m" = [16, 24]
"#;

fn sweep_file(dir: &Path) -> PathBuf {
    let p = dir.join("faults.toml");
    std::fs::write(&p, SWEEP).unwrap();
    p
}

/// The same sweep with runs about ten times longer (seconds in all).
fn slow_sweep_file(dir: &Path) -> PathBuf {
    let p = dir.join("faults.toml");
    std::fs::write(&p, SWEEP.replace("steps = 150", "steps = 1500")).unwrap();
    p
}

fn decouple(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tables(dir: &Path) -> Vec<Vec<u8>> {
    ["sweep.csv", "sweep_summary.csv", "sweep.json"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display())))
        .collect()
}

fn records(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("runs"))
        .map(|rd| {
            rd.filter(|e| e.as_ref().unwrap().path().join("record.json").exists())
                .count()
        })
        .unwrap_or(0)
}

/// The reference: the same sweep run whole, undisturbed (library call, one job).
fn reference(tmp: &Path, file: &Path) -> PathBuf {
    let spec = SweepSpec::from_file(file).unwrap();
    let opts = SweepOptions {
        jobs: 1,
        shard: None,
        replace: false,
    };
    sweep::run_sweep(&spec, &tmp.join("reference"), &opts, &silent)
        .unwrap()
        .dir
}

#[test]
fn kill_9_mid_sweep_then_resume_gives_the_same_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let out = tmp.path().join("killed");
    let dir = out.join("faults");
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    let mut kills = 0;
    // Kill the sweep with SIGKILL each time one more record has appeared, until a
    // resume runs to the end.
    loop {
        let before = records(&dir);
        let mut child = Command::new(BIN)
            .args(["sweep", f, "--out", o, "--jobs", "2", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if records(&dir) > before && start.elapsed() > Duration::from_millis(20 * kills as u64) {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        match finished {
            Some(status) => {
                let err = child.wait_with_output().unwrap();
                assert!(status.success(), "{}", text(&err.stderr));
                if kills > 0 {
                    assert!(
                        text(&err.stderr).contains("removed the stale lock"),
                        "{}",
                        text(&err.stderr)
                    );
                }
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                assert!(dir.join(".lock").exists(), "a killed sweep leaves its lock");
            }
        }
        assert!(kills < 40, "the sweep never finished");
    }
    assert!(kills >= 2, "the sweep finished before it could be killed twice");
    assert!(!dir.join(".lock").exists());
    let reference = reference(tmp.path(), &file);
    assert_eq!(tables(&dir), tables(&reference), "resumed after {kills} kills");
    println!("kill -9 faults injected: {kills}; tables byte-identical after resume");
}

fn full_records(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("runs"))
        .map(|rd| {
            rd.filter(|e| e.as_ref().unwrap().path().join("output.bin").exists())
                .count()
        })
        .unwrap_or(0)
}

/// The audit's tables (every CSV under `dir`, by relative path).
fn audit_tables(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec!["claims.csv".to_string(), "checks.csv".into(), "runs.csv".into()];
    let mut evidence: Vec<String> = std::fs::read_dir(dir.join("evidence"))
        .unwrap()
        .map(|e| format!("evidence/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    evidence.sort();
    files.extend(evidence);
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()));
            (f, bytes)
        })
        .collect()
}

/// The tiny audit killed with SIGKILL mid-way (each time one more of its simulations has
/// been recorded), then run again until it finishes: it resumes from the recorded
/// simulations and writes the same tables, byte for byte, as an audit run whole.
#[test]
fn kill_9_mid_audit_then_resume_gives_the_same_tables() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audit_tiny.toml");
    let tmp = tempfile::tempdir().unwrap();
    let run = |out: &Path| {
        Command::new(BIN)
            .args([
                "audit",
                "--file",
                file,
                "--jobs",
                "2",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let killed = tmp.path().join("killed");
    let mut kills = 0;
    loop {
        let before = full_records(&killed);
        let mut child = run(&killed);
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if full_records(&killed) > before + 2 {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        match finished {
            Some(status) => {
                let out = child.wait_with_output().unwrap();
                // The tiny audit's verdicts differ from the quick audit's expectations.
                assert_eq!(status.code(), Some(3), "{}", text(&out.stderr));
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
        assert!(kills < 100, "the audit never finished");
    }
    assert!(kills >= 2, "the audit finished before it could be killed twice");
    let whole = tmp.path().join("whole");
    let status = run(&whole).wait().unwrap();
    assert_eq!(status.code(), Some(3));
    assert_eq!(
        audit_tables(&killed),
        audit_tables(&whole),
        "resumed after {kills} kills"
    );
    println!("kill -9 faults injected into an audit: {kills}; tables byte-identical after resume");
}

#[test]
fn a_second_process_on_the_same_folder_is_refused_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let file = slow_sweep_file(tmp.path());
    let out = tmp.path().join("shared");
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    let one = tmp.path().join("one");
    let shard = decouple(&["sweep", f, "--out", one.to_str().unwrap(), "--shard", "1/12", "--quiet"]);
    assert!(shard.status.success(), "{}", text(&shard.stderr));
    let mut first = Command::new(BIN)
        .args(["sweep", f, "--out", o, "--jobs", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = out.join("faults").join(".lock");
    while !lock.exists() {
        assert!(first.try_wait().unwrap().is_none(), "the first sweep ended early");
        std::thread::sleep(Duration::from_millis(2));
    }
    let second = decouple(&["sweep", f, "--out", o, "--jobs", "1", "--quiet"]);
    let err = text(&second.stderr);
    assert!(!second.status.success());
    assert!(err.contains(&format!("in use by pid {}", first.id())), "{err}");
    assert!(err.contains(".lock") && !err.contains("panicked"), "{err}");
    // A merge into the same folder is refused the same way.
    let merge = decouple(&["merge", one.join("faults").to_str().unwrap(), "--out", o, "--partial"]);
    assert!(!merge.status.success());
    assert!(text(&merge.stderr).contains("in use by pid"), "{}", text(&merge.stderr));
    assert!(first.wait().unwrap().success());
    assert!(!lock.exists());
    println!("second-writer faults injected: 2 (sweep, merge), both refused naming the holder");
}

#[test]
fn corrupt_and_truncated_records_are_reported_and_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let reference = reference(tmp.path(), &file);
    let spec = SweepSpec::from_file(&file).unwrap();
    let tasks = spec.tasks().unwrap();
    let rec = |k: usize| reference.join("runs").join(&tasks[k].hash).join("record.json");
    let good = std::fs::read(rec(0)).unwrap();
    let faults: Vec<(usize, Vec<u8>)> = vec![
        (1, good[..good.len() / 2].to_vec()),         // truncated mid-write
        (2, Vec::new()),                              // empty
        (3, b"\xff\xfe not json \x00".to_vec()),      // garbage, not UTF-8
        (4, good.clone()),                            // another run's record
        (5, b"{\"hash\": 3}".to_vec()),               // JSON of the wrong shape
        (6, good.iter().map(|b| b ^ 0x20).collect()), // flipped bits
    ];
    for (k, bytes) in &faults {
        std::fs::write(rec(*k), bytes).unwrap();
    }
    // A record that is a folder cannot even be read.
    std::fs::remove_file(rec(7)).unwrap();
    std::fs::create_dir(rec(7)).unwrap();
    let injected = faults.len() + 1;
    let before = tables(&reference);
    std::fs::remove_file(reference.join("sweep.csv")).unwrap();
    let seen = Mutex::new(Vec::new());
    let observe = |e: ProgressEvent<'_>| {
        if let ProgressEvent::RecordCorrupt { path, reason } = e {
            seen.lock().unwrap().push(format!("{}: {reason}", path.display()));
        }
    };
    let opts = SweepOptions {
        jobs: 2,
        shard: None,
        replace: false,
    };
    let res = sweep::run_sweep(&spec, &tmp.path().join("reference"), &opts, &observe);
    // The folder in place of a record cannot be replaced by a file: that one is an error
    // naming the file, the others are recomputed.
    let err = res.unwrap_err().to_string();
    assert!(err.contains(&tasks[7].hash) && err.contains("record.json"), "{err}");
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), injected, "{seen:#?}");
    for (k, _) in &faults {
        assert!(seen.iter().any(|l| l.contains(&tasks[*k].hash)), "{seen:#?}");
    }
    std::fs::remove_dir(rec(7)).unwrap();
    let again = sweep::run_sweep(&spec, &tmp.path().join("reference"), &opts, &silent).unwrap();
    assert_eq!(again.corrupt, 0);
    assert_eq!(tables(&reference), before);
    println!("corrupt-record faults injected: {injected}; all reported, recomputed, tables identical");
}

#[test]
fn merging_incomplete_shards_lists_the_missing_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let f = file.to_str().unwrap();
    let mut dirs = Vec::new();
    for k in [1, 3] {
        let out = tmp.path().join(format!("shard{k}"));
        let o = decouple(&[
            "sweep",
            f,
            "--out",
            out.to_str().unwrap(),
            "--shard",
            &format!("{k}/3"),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        dirs.push(out.join("faults").to_str().unwrap().to_string());
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = decouple(&args);
    let err = text(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("4 of 12 runs are missing"), "{err}");
    assert!(
        err.contains("cell 0 (augmentation.kind=none network.m=16) seed 2 of 3"),
        "{err}"
    );
    assert!(!merged.join("faults").join("sweep.csv").exists());
    args.push("--partial");
    let o = decouple(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stderr)
            .lines()
            .filter(|l| l.starts_with("missing: cell"))
            .count(),
        4
    );
    let csv = std::fs::read_to_string(merged.join("faults").join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8);
    // Shard 2 killed before its end: no sweep.csv, one of its four runs unrecorded. Its
    // recorded runs are taken; the one missing run is named.
    let out2 = tmp.path().join("shard2");
    let o = decouple(&["sweep", f, "--out", out2.to_str().unwrap(), "--shard", "2/3", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let dir2 = out2.join("faults");
    std::fs::remove_file(dir2.join("sweep.csv")).unwrap();
    let spec = SweepSpec::from_file(&file).unwrap();
    let lost = &spec.tasks().unwrap()[4]; // task 4 is in shard 2 (4 mod 3 = 1)
    std::fs::remove_file(dir2.join("runs").join(&lost.hash).join("record.json")).unwrap();
    let merged2 = tmp.path().join("merged2");
    let all = [dirs[0].as_str(), dir2.to_str().unwrap(), dirs[1].as_str()];
    let mut args = vec!["merge"];
    args.extend(all);
    args.extend(["--out", merged2.to_str().unwrap()]);
    let o = decouple(&args);
    let err = text(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("1 of 12 runs are missing") && err.contains(&lost.hash),
        "{err}"
    );
    // Once shard 2 is resumed to its end, the merge is complete and equals the whole sweep.
    let o = decouple(&["sweep", f, "--out", out2.to_str().unwrap(), "--shard", "2/3", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = decouple(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let reference = reference(tmp.path(), &file);
    assert_eq!(tables(&merged2.join("faults")), tables(&reference));
    println!("incomplete-merge faults injected: 2 (a shard missing; a shard killed before its end)");
}

#[test]
fn a_run_too_large_for_memory_is_refused_before_it_allocates() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("huge.toml");
    let text_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/theorem_aug.toml"))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("d1 ") {
                "d1 = 100000000".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&exp, text_in).unwrap();
    let o = decouple(&[
        "run",
        exp.to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
        "--quiet",
    ]);
    let err = text(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("needs about") && err.contains("TiB"), "{err}");
    assert!(
        err.contains("is available") && err.contains("model.d1 = 100000000"),
        "{err}"
    );
    assert!(err.contains("huge.toml") && !err.contains("panicked"), "{err}");
}
