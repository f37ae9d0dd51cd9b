//! Sweeps (sharding, merging, resuming, bad input), figures and the peer variant's gradient.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use decouple::config::AugmentationKind;
use decouple::exec::progress::{silent, ProgressEvent};
use decouple::exec::sweep::{self, Shard, SweepOptions, SweepSpec, SweepTable};
use decouple::exec::{Job, Keep, Launcher};
use decouple::io;
use decouple::report::claims::{claims_table_markdown, claims_table_text, ClaimLine};
use decouple::report::figures;
use decouple::report::peer as peer_report;
use decouple::sim::rng::{stream, Purpose};
use decouple::sim::train::executor::{self, Silent};
use decouple::sim::train::peer;
use faer::Mat;
use rand_distr::{Distribution, StandardNormal};

const SWEEP: &str = r#"
name = "tiny"
seeds = 2
[base]
name = "ignored"
seed = 5
[base.model]
d = 8
d1 = 40
[base.network]
m = 24
[base.augmentation]
kind = "random_mask"
[base.train]
steps = 12
batch = 24
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 4
[base.metrics]
eval_samples = 60
[base.probe]
n_train = 60
n_test = 60

[axes]
"model.d" = [6, 8]
augmentation.kind = ["none", "random_mask"]

[derived]
"model.d1" = "5*d"
"network.m" = "3*d"
"#;

fn spec(text: &str) -> decouple::Result<SweepSpec> {
    SweepSpec::from_toml_str(text, Path::new("tiny_sweep.toml"))
}

fn opts(shard: Option<Shard>) -> SweepOptions {
    SweepOptions {
        jobs: 2,
        shard,
        replace: false,
    }
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn sharded_and_merged_equals_unsharded() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(SWEEP).unwrap();
    assert_eq!(s.tasks().unwrap().len(), 8);
    let whole = sweep::run_sweep(&s, &tmp.path().join("whole"), &opts(None), &silent).unwrap();
    assert_eq!((whole.ran, whole.rows), (8, 8));
    let mut shard_dirs = Vec::new();
    let mut rows = 0;
    for k in 1..=3 {
        let shard = Shard { k, n: 3 };
        let o = sweep::run_sweep(&s, &tmp.path().join(format!("shard{k}")), &opts(Some(shard)), &silent).unwrap();
        rows += o.rows;
        shard_dirs.push(o.dir);
    }
    assert_eq!(rows, 8, "the shards are disjoint and cover every task");
    // Merge in a scrambled order: the result is in canonical order regardless.
    shard_dirs.reverse();
    let merged = sweep::merge(&shard_dirs, &tmp.path().join("merged"), false)
        .unwrap()
        .dir;
    for f in ["sweep.csv", "sweep_summary.csv"] {
        assert_eq!(read(whole.dir.join(f)), read(merged.join(f)), "{f}");
    }
    // The merged folder resumes like the unsharded one: nothing left to run.
    let again = sweep::run_sweep(&s, &tmp.path().join("merged"), &opts(None), &silent).unwrap();
    assert_eq!((again.ran, again.skipped), (0, 8));
    // Merging two different sweeps is refused.
    let other = spec(&SWEEP.replace("seeds = 2", "seeds = 1")).unwrap();
    let o = sweep::run_sweep(
        &other,
        &tmp.path().join("other"),
        &opts(Some(Shard { k: 1, n: 4 })),
        &silent,
    )
    .unwrap();
    let err = sweep::merge(&[merged.clone(), o.dir], &tmp.path().join("bad"), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("different sweep"), "{err}");
    // The summary has a finite 95% interval for a metric that varies over the two seeds.
    let t = SweepTable::read(&merged).unwrap();
    assert_eq!(t.rows.len(), 8);
}

#[test]
fn resume_skips_finished_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(SWEEP).unwrap();
    let first = sweep::run_sweep(&s, tmp.path(), &opts(None), &silent).unwrap();
    assert_eq!((first.ran, first.skipped), (8, 0));
    let csv = read(first.dir.join("sweep.csv"));
    let summary = read(first.dir.join("sweep_summary.csv"));
    // Lose the aggregated outputs: rerunning rebuilds them from the records, simulating nothing.
    std::fs::remove_file(first.dir.join("sweep.csv")).unwrap();
    std::fs::remove_file(first.dir.join("sweep_summary.csv")).unwrap();
    let second = sweep::run_sweep(&s, tmp.path(), &opts(None), &silent).unwrap();
    assert_eq!((second.ran, second.skipped), (0, 8));
    assert_eq!(read(first.dir.join("sweep.csv")), csv);
    assert_eq!(read(first.dir.join("sweep_summary.csv")), summary);
    // An interrupted run leaves no record.json: exactly that run is redone, same bytes.
    let hash = &s.tasks().unwrap()[3].hash;
    std::fs::remove_file(first.dir.join("runs").join(hash).join("record.json")).unwrap();
    let third = sweep::run_sweep(&s, tmp.path(), &opts(None), &silent).unwrap();
    assert_eq!((third.ran, third.skipped), (1, 7));
    assert_eq!(read(first.dir.join("sweep.csv")), csv);
}

/// A record written under another results version (`exec::record::RESULTS_VERSION`) is
/// reported and recomputed; the others are resumed; `sweep.csv` keeps its bytes.
#[test]
fn a_record_of_another_results_version_is_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(SWEEP).unwrap();
    let first = sweep::run_sweep(&s, tmp.path(), &opts(None), &silent).unwrap();
    let csv = read(first.dir.join("sweep.csv"));
    let hash = &s.tasks().unwrap()[5].hash;
    let path = first.dir.join("runs").join(hash).join("record.json");
    let mut rec: serde_json::Value = serde_json::from_slice(&read(path.clone())).unwrap();
    assert_eq!(
        rec["results_version"],
        serde_json::json!(decouple::exec::record::RESULTS_VERSION)
    );
    rec["results_version"] = serde_json::json!(decouple::exec::record::RESULTS_VERSION + 1);
    std::fs::write(&path, serde_json::to_vec_pretty(&rec).unwrap()).unwrap();
    let seen = Mutex::new(Vec::new());
    let observe = |e: ProgressEvent<'_>| {
        if let ProgressEvent::RecordCorrupt { path, reason } = e {
            seen.lock().unwrap().push((path.to_path_buf(), reason.to_string()));
        }
    };
    let second = sweep::run_sweep(&s, tmp.path(), &opts(None), &observe).unwrap();
    assert_eq!((second.ran, second.skipped, second.corrupt), (1, 7, 1));
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, path);
    assert!(seen[0].1.contains("written by results version"), "{seen:?}");
    assert_eq!(read(first.dir.join("sweep.csv")), csv);
    // A record without the field (older than results versions) is recomputed too.
    rec.as_object_mut().unwrap().remove("results_version");
    std::fs::write(&path, serde_json::to_vec_pretty(&rec).unwrap()).unwrap();
    let third = sweep::run_sweep(&s, tmp.path(), &opts(None), &silent).unwrap();
    assert_eq!((third.ran, third.skipped, third.corrupt), (1, 7, 1));
    assert_eq!(read(first.dir.join("sweep.csv")), csv);
}

#[test]
fn progress_goes_to_the_observer() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(SWEEP).unwrap();
    let seen = Mutex::new(Vec::new());
    let observe = |e: ProgressEvent<'_>| {
        let line = match e {
            ProgressEvent::RunFinished { label, seed, .. } => format!("done {label} {seed}"),
            ProgressEvent::Advanced { done, total } => format!("advanced {done}/{total}"),
            other => format!("{other:?}"),
        };
        seen.lock().unwrap().push(line);
    };
    sweep::run_sweep(&s, tmp.path(), &opts(Some(Shard { k: 1, n: 4 })), &observe).unwrap();
    let mut lines = seen.lock().unwrap().clone();
    lines.sort();
    assert_eq!(
        lines,
        [
            "Launching { pending: 2, resumed: 0 }",
            "advanced 1/2",
            "advanced 2/2",
            "done augmentation.kind=none model.d=6 5",
            "done augmentation.kind=random_mask model.d=6 5",
        ]
    );
    // The same records resumed by the launcher: nothing runs, nothing but the launch is reported.
    seen.lock().unwrap().clear();
    let settings: Vec<_> = s
        .tasks()
        .unwrap()
        .iter()
        .step_by(4)
        .map(|t| t.settings.clone())
        .collect();
    let jobs: Vec<Job> = settings
        .into_iter()
        .map(|s| Job::train(s, Keep::Record(tmp.path().join("tiny"))).unwrap())
        .collect();
    let recs = Launcher::new(2).observe(&observe).launch(&jobs).unwrap();
    assert_eq!((recs.outcomes.len(), recs.resumed, recs.ran), (2, 2, 0));
    assert_eq!(*seen.lock().unwrap(), ["Launching { pending: 0, resumed: 2 }"]);
}

#[test]
fn one_claims_table_as_text_and_markdown() {
    use decouple::audit::claims::Kind;
    use decouple::audit::{Checker, Verdict};
    use decouple::stats::Direction;
    let row = decouple::audit::ClaimRow {
        id: "aug.coverage".into(),
        kind: Kind::TrainedNetwork.as_str().into(),
        section: "3.2".into(),
        statement: "every atom is learned".into(),
        statistic: "P(|cos| > 0.5)".into(),
        value: 0.25,
        direction: decouple::audit::check::Comparison::AtLeast,
        threshold: 0.95,
        ci_low: 0.125,
        ci_high: 0.375,
        confidence: 0.99,
        p_value: f64::NAN,
        control_value: 0.0,
        control_verdict: "refuted".into(),
        checks: "1 reproduced, 1 refuted".into(),
        not_reproduced: "atoms_covered (refuted)".into(),
        regimes: String::new(),
        verdict: Verdict::Refuted,
        layer: "about the paper".into(),
        layer_reason: String::new(),
        expected: Verdict::Reproduced,
        seeds: "1 2".into(),
        reason: String::new(),
    };
    let line = ClaimLine {
        kind: Kind::TrainedNetwork,
        row,
        other_failures: vec![Checker::exact("every_neuron", "x", 0.5, Direction::AtLeast, 0.9)],
    };
    let text = claims_table_text(std::slice::from_ref(&line));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Statements about trained networks (the theorems and corollaries) (about the paper: 1 refuted)"
    );
    assert!(lines[2].starts_with("  aug.coverage"), "{text}");
    for cell in [
        "0.250",
        "[0.125, 0.375]",
        "0 refuted",
        "refuted",
        "reproduced  <-- differs",
    ] {
        assert!(lines[2].contains(cell), "row lacks {cell}: {text}");
    }
    assert!(lines[3].contains("refuted: every_neuron 0.500 >= 0.900"), "{text}");
    let md = claims_table_markdown(&[line]);
    assert_eq!(
        md.lines().nth(4).unwrap(),
        "| `aug.coverage` | 3.2 | P(\\|cos\\| > 0.5) | 0.250 | [0.125, 0.375] | >= 0.950 | 0 refuted | 1 reproduced, 1 refuted | refuted | reproduced |"
    );
    assert!(md.starts_with("**Statements about trained networks"), "{md}");
}

#[test]
fn sweep_file_errors_are_clear() {
    let cases = [
        (
            SWEEP.replace("\"model.d\" = [6, 8]", "\"model.dd\" = [6, 8]"),
            "`model.dd` is not a config key",
        ),
        (
            SWEEP.replace("\"model.d\" = [6, 8]", "\"modle.d\" = [6, 8]"),
            "`modle.d` is not a config key",
        ),
        (SWEEP.replace("\"5*d\"", "\"5d\""), "bad expression \"5d\""),
        (
            SWEEP.replace("\"3*d\"", "\"log(d)\""),
            "expected NUMBER or [NUMBER*]d[^NUMBER]",
        ),
        (
            SWEEP.replace("\"model.d\" = [6, 8]", "\"model.d\" = []"),
            "non-empty list",
        ),
        (
            SWEEP.replace("\"model.d\" = [6, 8]", "\"seed\" = [1, 2]"),
            "cannot be swept",
        ),
        (
            SWEEP.replace("seeds = 2", "seeds = 2\nsteps = 3"),
            "unknown top-level key `steps`",
        ),
        (
            SWEEP.replace("\"model.d\" = [6, 8]", "\"model.d\" = [\"six\"]"),
            "axis `model.d` is invalid",
        ),
    ];
    for (text, want) in cases {
        let err = spec(&text).unwrap_err().to_string();
        assert!(err.contains(want), "want {want:?} in: {err}");
        assert!(err.contains("tiny_sweep.toml"), "names the file: {err}");
    }
    // A value that parses but fails the range checks is named with its cell.
    let s = spec(&SWEEP.replace("\"5*d\"", "\"0.5*d\"")).unwrap();
    let err = s.tasks().unwrap_err().to_string();
    assert!(err.contains("model.d1") && err.contains("cell"), "{err}");
    for bad in ["0/2", "3/2", "x", "1/0", "1-2"] {
        let err = bad.parse::<Shard>().unwrap_err().to_string();
        assert!(err.contains("bad shard spec") && err.contains("k/n"), "{err}");
    }
}

#[test]
fn plots_write_nonempty_svgs() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(SWEEP).unwrap();
    let tasks = s.tasks().unwrap();
    let mut runs = Vec::new();
    // The first task of each arm (tasks are ordered by cell, augmentation.kind outermost).
    let first = |k: AugmentationKind| tasks.iter().find(|t| t.settings.augmentation.kind == k).unwrap();
    for (label, t) in [
        ("none", first(AugmentationKind::None)),
        ("random_mask", first(AugmentationKind::RandomMask)),
    ] {
        let out = executor::run(&t.settings, &mut Silent).unwrap();
        let dir = tmp.path().join(label);
        io::write_run(&dir, &out, None, &[]).unwrap();
        runs.push((label.to_string(), dir));
    }
    let figs = tmp.path().join("figs");
    let mut files = figures::plot_run(&runs[1].1, &figs).unwrap();
    let pair = figs.join("pair_heatmap.svg");
    figures::heatmap(&figures::load::labelled_runs(&runs).unwrap(), &pair).unwrap();
    files.push(pair);
    // Both runs together: each line in its arm's colour, in the 3 panels and the legend.
    let dirs: Vec<PathBuf> = runs.iter().map(|r| r.1.clone()).collect();
    let both = figures::plot_runs(&dirs, &figs.join("both")).unwrap();
    let curves = std::fs::read_to_string(&both[1]).unwrap();
    for kind in [AugmentationKind::RandomMask, AugmentationKind::None] {
        let c = figures::arm_colour(kind);
        let stroke = format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        assert_eq!(curves.matches(&stroke).count(), 4, "{kind:?}: {stroke}");
    }
    files.extend(both);
    let o = sweep::run_sweep(&s, &tmp.path().join("sw"), &opts(None), &silent).unwrap();
    let table = SweepTable::read(&o.dir).unwrap();
    let f = figs.join("sweep.svg");
    figures::sweep_vs_d(
        &table,
        "augmentation.kind",
        "model.d",
        &decouple::report::scaling::SCALING_METRICS,
        &f,
    )
    .unwrap();
    files.push(f);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.len() > 1000 && text.contains("<svg"), "{}", f.display());
    }
    let err = figures::plot_run(tmp.path(), &figs).unwrap_err().to_string();
    assert!(err.contains("alpha.csv"), "{err}");
}

fn gauss(r: usize, c: usize, s: f64, seed: u64) -> Mat<f64> {
    let mut rng = stream(seed, Purpose::Init);
    let mut a = Mat::<f64>::zeros(r, c);
    for j in 0..c {
        for i in 0..r {
            let e: f64 = StandardNormal.sample(&mut rng);
            a[(i, j)] = s * e;
        }
    }
    a
}

#[test]
fn peer_nt_xent_gradient_matches_central_differences() {
    let (m, d1, b, tau) = (6, 9, 5, 0.3);
    let w = gauss(m, d1, 0.5, 1);
    let v1 = gauss(d1, b, 1.0, 2);
    let v2 = gauss(d1, b, 1.0, 3);
    // Biases of both signs: a negative one (the peer's β > 0) has no dead zone.
    let bias: Vec<f64> = (0..m).map(|i| -0.3 + 0.15 * i as f64).collect();
    let g = peer::nt_xent_loss_and_grad(&w, &bias, v1.as_ref(), v2.as_ref(), tau);
    let loss = |w: &Mat<f64>, bias: &[f64]| peer::nt_xent_loss_and_grad(w, bias, v1.as_ref(), v2.as_ref(), tau).loss;
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    for i in 0..m {
        for j in 0..d1 {
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[(i, j)] += h;
            wm[(i, j)] -= h;
            let fd = (loss(&wp, &bias) - loss(&wm, &bias)) / (2.0 * h);
            worst = worst.max((fd - g.dw[(i, j)]).abs() / (1e-6 + fd.abs().max(g.dw[(i, j)].abs())));
        }
        let (mut bp, mut bm) = (bias.clone(), bias.clone());
        bp[i] += h;
        bm[i] -= h;
        let fd = (loss(&w, &bp) - loss(&w, &bm)) / (2.0 * h);
        worst = worst.max((fd - g.db[i]).abs() / (1e-6 + fd.abs().max(g.db[i].abs())));
    }
    assert!(worst < 1e-4, "worst relative error {worst}");
    assert!(
        g.dw.norm_l2() > 1e-3 && g.db.iter().any(|v| v.abs() > 1e-6),
        "a nontrivial gradient"
    );
}

#[test]
fn peer_files_parse_and_a_short_run_learns_something() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/ablations");
    let (mut s, mut p) = peer::from_file(&root.join("peer_random_mask.toml")).unwrap();
    assert_eq!(
        (s.model.d, s.model.d1, s.network.m, s.train.batch, p.n_samples, p.epochs),
        (10, 50, 50, 128, 1000, 300)
    );
    p.epochs = 3;
    s.train.steps = 3 * peer::steps_per_epoch(&s, &p);
    let out = peer::run(&s, &p).unwrap();
    assert_eq!(out.epoch_loss.len(), 3);
    assert!(out.epoch_loss.iter().all(|l| l.is_finite()));
    s.train.steps += 1;
    let err = peer::run(&s, &p).unwrap_err().to_string();
    assert!(err.contains("train.steps"), "{err}");
}

#[test]
fn the_peers_exact_setting_parses_as_its_code_defines_it_and_runs() {
    use decouple::config::CodeKind;
    use decouple::report::peer::{exact_table, peer_arms, peer_jobs, read_peer_code, EXACT_FILES};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    for (arm, file) in EXACT_FILES {
        let (s, p) = peer::from_file(&root.join(file)).unwrap();
        assert_eq!(
            (s.model.d, s.model.d1, s.network.m, s.model.exact_k),
            (10, 50, 50, Some(2))
        );
        assert_eq!(s.model.code, CodeKind::Balanced);
        approx::assert_relative_eq!(s.model.sigma_xi, 10f64.ln().sqrt() / 10.0, max_relative = 1e-15);
        approx::assert_relative_eq!(s.network.sigma0, 1.0 / 500f64.sqrt(), max_relative = 1e-15);
        assert_eq!(
            (s.train.batch, s.train.lr, s.train.tau, s.train.weight_decay),
            (128, 0.05, 0.05, 0.0)
        );
        assert!(p.drop_last && p.n_samples == 1000 && p.epochs == 300);
        assert_eq!(
            peer::steps_per_epoch(&s, &p),
            7,
            "drop_last: 1000 = 7 x 128 + 104 dropped"
        );
        approx::assert_relative_eq!(p.bias_init_uniform.unwrap(), 1.0 / 50f64.sqrt(), max_relative = 1e-15);
        let kind = serde_json::to_value(s.augmentation.kind).unwrap();
        assert_eq!(kind, arm);
    }
    // Two epochs of both arms (a temporary copy of each file with epochs = 2), and the table.
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (_, file) in EXACT_FILES {
        let text = std::fs::read_to_string(root.join(file))
            .unwrap()
            .replace("steps = 2100", "steps = 14")
            .replace("epochs = 300", "epochs = 2");
        let p = tmp.path().join(Path::new(file).file_name().unwrap());
        std::fs::write(&p, text).unwrap();
        files.push(p);
    }
    let launched = Launcher::new(2)
        .launch(&peer_jobs(&files, &[1, 2], &[]).unwrap())
        .unwrap();
    let arms = peer_arms(&files, &[1, 2], &launched.all().unwrap());
    assert_eq!(arms.len(), 2);
    for a in &arms {
        assert_eq!(a.outs.len(), 2);
        assert!(a
            .outs
            .iter()
            .all(|o| o.epoch_loss.len() == 2 && o.epoch_loss[1].is_finite()));
        // Biases start uniform in ±1/√50: after two epochs some are still of each sign.
        assert!(a.outs[0].bias.iter().any(|&b| b < 0.0) && a.outs[0].bias.iter().any(|&b| b > 0.0));
    }
    let csv = tmp.path().join("peer_code.csv");
    std::fs::write(
        &csv,
        "arm,seed,atom_best_cos_max,atom_best_cos_median,atom_best_cos_min,final_loss,wall_seconds,peer_commit,torch\n\
         random_mask,1,0.9,0.8,0.7,3.1,200,abc1234,2.0\nrandom_mask,2,0.92,0.82,0.72,3.2,210,abc1234,2.0\n",
    )
    .unwrap();
    let code = read_peer_code(&csv).unwrap().unwrap();
    let named: Vec<(String, &peer_report::PeerArm)> = ["random_mask", "none"]
        .map(String::from)
        .into_iter()
        .zip(&arms)
        .collect();
    let md = exact_table(&named, Some(&code));
    assert!(md.contains("this crate (`"), "{md}");
    assert!(md.contains("the peer's own code (commit abc1234, torch 2.0;"), "{md}");
    assert!(md.contains("0.91 [") && md.contains("205.0 s"), "{md}");
    assert!(read_peer_code(&tmp.path().join("absent.csv")).unwrap().is_none());
    std::fs::write(&csv, "arm,seed\nnone,x\n").unwrap();
    let err = read_peer_code(&csv).unwrap_err().to_string();
    assert!(err.contains("peer_code.csv"), "{err}");
}
