//! The claim-by-claim audit: one test per claim of the paper (docs/THEORY.md §3), at quick
//! scale, generated from the library's one list of claims (`decouple::for_each_claim!`).
//!
//! The audit runs once per test binary (the first test to need it starts it; the others
//! wait), with its simulations side by side on the available cores. Each test asserts
//! that the claim's verdict equals the expectation recorded in
//! `experiments/audit_quick.toml`, so a change that flips a verdict — either way — fails
//! here and must be looked at. The message shows every check of the claim.

use std::sync::OnceLock;

use decouple::audit::{self, AuditFile, AuditReport};
use decouple::exec::Launcher;

mod common;

fn quick() -> &'static AuditReport {
    static AUDIT: OnceLock<AuditReport> = OnceLock::new();
    AUDIT.get_or_init(|| common::quick_audit(None, "audit_quick"))
}

fn check(id: &str) {
    let r = quick()
        .results
        .iter()
        .find(|r| r.claim.id() == id)
        .expect("claim is registered");
    let mut msg = format!(
        "{id}: verdict `{}` but audit_quick.toml expects `{}`\n",
        r.verdict.as_str(),
        r.expected.as_str()
    );
    for c in &r.checks {
        msg.push_str(&format!(
            "  [{}] {}: {} = {:.4} {} {:.4} (interval [{:.4}, {:.4}] at {:.4} each side; p {:.3e}; untrained control {:.4} {}) {}\n",
            c.verdict,
            c.check,
            c.statistic,
            c.value,
            c.direction,
            c.threshold,
            c.ends().0,
            c.ends().1,
            c.interval.confidence().unwrap_or(f64::NAN),
            c.p_value.unwrap_or(f64::NAN),
            c.control_value(),
            c.control_verdict(),
            c.note
        ));
    }
    assert!(r.verdict == r.expected, "{msg}");
}

macro_rules! claim_tests {
    ($($name:ident, $id:literal, $ty:path;)*) => {
        $(
            #[test]
            fn $name() {
                check($id);
            }
        )*
    };
}

decouple::for_each_claim!(claim_tests);

/// Every audit file names exactly the registered claims, each with exactly the thresholds
/// its typed struct reads (checked by `AuditFile::from_file`; no simulation runs).
#[test]
fn registry_and_audit_files_agree() {
    let ids: Vec<&str> = decouple::audit::claims::CLAIMS.iter().map(|c| c.id()).collect();
    assert_eq!(ids, decouple::audit::claims::LISTED_IDS);
    for file in [
        "experiments/audit_quick.toml",
        "experiments/audit_full.toml",
        "tests/fixtures/audit_tiny.toml",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let a = AuditFile::from_file(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let named: Vec<&str> = a.claims.keys().map(String::as_str).collect();
        let mut registered = ids.clone();
        registered.sort_unstable();
        assert_eq!(named, registered, "{file} names other claims than the registry");
    }
}

/// A number rounded to 3 significant digits (relative), as text; NaN and ±inf as is, and
/// -0 as 0.
fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{v:.2e}");
    let r: f64 = s.parse().unwrap();
    if r == 0.0 {
        "0".into()
    } else {
        s
    }
}

/// Every number in a CSV text rounded to 3 significant digits (integers and text cells
/// unchanged): faer picks AVX-512 or AVX2 kernels at run time, so the last bits differ
/// across CPUs, while 3 significant digits show a small quantity's change in a diff.
fn rounded_csv(text: &str) -> String {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut w = csv::Writer::from_writer(Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        let cells: Vec<String> = rec
            .iter()
            .map(|c| match c.parse::<f64>() {
                Ok(v) if c.contains('.') || c.contains('e') || c.contains("NaN") || c.contains("inf") => sig3(v),
                _ => c.to_string(),
            })
            .collect();
        w.write_record(&cells).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Every check of every claim at the fixed seeds of audit_quick.toml — statistic, interval,
/// threshold, verdict and untrained-network control — with numbers at 3 significant digits;
/// and each claim's verdict. A changed verdict or a moved statistic shows in the diff.
#[test]
fn checks_snapshot() {
    let report = quick();
    let mut w = csv::Writer::from_writer(Vec::new());
    // Without the expectation column: editing an expectation must not need a new snapshot.
    w.write_record([
        "claim",
        "check",
        "value",
        "ci_low",
        "ci_high",
        "direction",
        "threshold",
        "verdict",
        "control_value",
        "control_verdict",
        "oracle_verdict",
        "random_verdict",
        "layer",
    ])
    .unwrap();
    for r in &report.results {
        for c in &r.checks {
            w.write_record([
                r.claim.id().to_string(),
                c.check.clone(),
                format!("{:?}", c.value),
                format!("{:?}", c.ends().0),
                format!("{:?}", c.ends().1),
                c.direction.to_string(),
                format!("{:?}", c.threshold),
                c.verdict.to_string(),
                format!("{:?}", c.control_value()),
                c.control_verdict().to_string(),
                c.controls.oracle.map_or("n/a".into(), |k| k.verdict.to_string()),
                c.controls.random.map_or("n/a".into(), |k| k.verdict.to_string()),
                c.layer.as_str().to_string(),
            ])
            .unwrap();
        }
        w.write_record([
            r.claim.id().to_string(),
            "(claim)".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            r.verdict.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            r.layer.as_str().to_string(),
        ])
        .unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    snapshot_settings().bind(|| insta::assert_snapshot!("checks_quick", rounded_csv(&text)));
}

/// What the evidence layers promise (docs/THEORY.md §3.1): every trained-network check
/// whose control applies has its untrained, oracle and random values; no reproduced
/// statistical check has a zero-width interval; every bounded statistic's interval lies in
/// its support (fractions and accuracies in [0, 1]); a claim's verdict comes from its
/// checks about the paper only; and the oracle refutes no check counted about the paper
/// of a RandomMask claim.
#[test]
fn evidence_layers_hold_their_promises() {
    use decouple::audit::claims::Kind;
    use decouple::audit::{Layer, Verdict};
    for r in &quick().results {
        for c in &r.checks {
            let at = format!("{} {}", r.claim.id(), c.check);
            if r.claim.kind() == Kind::TrainedNetwork && c.control_applies {
                let k = &c.controls;
                assert!(
                    k.untrained.is_some() && k.oracle.is_some() && k.random.is_some(),
                    "{at}: controls"
                );
            }
            if c.reproduced() && c.interval.confidence().is_some() {
                let (lo, hi) = c.ends();
                assert!(lo < hi, "{at}: reproduced with the zero-width interval [{lo}, {hi}]");
            }
            if let Some((s0, s1)) = c.support {
                let (lo, hi) = c.ends();
                assert!(
                    lo.is_nan() || (lo >= s0 && hi <= s1),
                    "{at}: [{lo}, {hi}] leaves [{s0}, {s1}]"
                );
            }
            if r.claim.id().starts_with("aug.") && c.layer == Layer::Paper {
                assert!(
                    c.controls.oracle.is_none_or(|o| o.verdict != Verdict::Refuted),
                    "{at}: the oracle is refuted, yet the check counts about the paper"
                );
            }
        }
        let paper: Vec<Verdict> = r.checks.iter().filter(|c| c.about_paper()).map(|c| c.verdict).collect();
        let expected = if paper.is_empty() {
            Verdict::Inconclusive
        } else {
            Verdict::combine(paper)
        };
        assert_eq!(r.verdict, expected, "{}", r.claim.id());
    }
}

/// The report's per-theorem tables at quick scale, at 3 significant digits.
#[test]
fn report_tables_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let written = audit::write_report_tables(dir.path(), quick()).unwrap();
    for p in written {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if name == "claims" {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("report_quick_{name}"), rounded_csv(&text)));
    }
}

/// The audit machinery on a tiny audit file: same file twice, with 1 and 2 jobs, gives
/// byte-identical claims.csv and evidence; the CLI exits 3 when a verdict differs from its
/// expectation (the tiny audit's verdicts do not match the quick audit's expectations).
#[test]
fn tiny_audit_is_deterministic_and_the_cli_flags_unexpected_verdicts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audit_tiny.toml");
    let dir = tempfile::tempdir().unwrap();
    for (jobs, sub) in [(1, "a"), (2, "b")] {
        let a = AuditFile::from_file(path.as_ref()).unwrap();
        let report = audit::run_audit(a, &Launcher::new(jobs), None).unwrap();
        audit::write_audit(&dir.path().join(sub), &report).unwrap();
    }
    for f in [
        "claims.csv",
        "checks.csv",
        "runs.csv",
        "evidence/aug.decoupling.csv",
        "evidence/contrast.aug_beats_na.csv",
    ] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between runs with 1 and 2 jobs");
    }
    let header = std::fs::read_to_string(dir.path().join("a/claims.csv")).unwrap();
    let header = header.lines().next().unwrap();
    for col in [
        "id",
        "section",
        "statement",
        "statistic",
        "threshold",
        "ci_low",
        "ci_high",
        "control_verdict",
        "verdict",
        "expected",
        "seeds",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "claims.csv lacks column {col}: {header}"
        );
    }
    let out = dir.path().join("cli");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_decouple"))
        .args([
            "audit",
            "--file",
            path,
            "--quiet",
            "--jobs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("contrast.aug_beats_na"), "table printed: {stdout}");
    assert_eq!(o.status.code(), Some(3), "exit 3 on unexpected verdicts: {stderr}");
    assert!(
        !stderr.contains("backtrace"),
        "an expected outcome prints no backtrace: {stderr}"
    );
    assert!(stderr.contains("differ from the audit file's expectation"), "{stderr}");
}
