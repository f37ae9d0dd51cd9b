//! Cross-module tests of the simulation pipeline: the analytic gradient against finite
//! differences, determinism, pairing of the two arms, and bad input.

mod common;

use decouple::config::Config;
use decouple::sim::loss::{self, LossWorkspace};
use decouple::sim::network::Network;
use decouple::sim::rng::{stream, Purpose};
use decouple::sim::train::executor::{self, Silent};
use decouple::sim::train::solver::Trainer;
use decouple::{io, Error};
use faer::{Accum, Mat};
use rand_distr::{Distribution, StandardNormal};

/// L(W) with the second views' features F2 held fixed (StopGrad) and the bias fixed.
fn loss_at(w: &Mat<f64>, x1: &Mat<f64>, f2: &Mat<f64>, bias: &[f64], tau: f64) -> f64 {
    let net = Network { w: w.clone() };
    let f1 = net.features(x1.as_ref(), bias);
    let mut ws = LossWorkspace::new(w.nrows(), x1.ncols());
    loss::loss_and_feature_grad(f1.as_ref(), f2.as_ref(), tau, &mut ws)
}

#[test]
fn analytic_gradient_matches_central_differences_with_stopgrad() {
    let (m, d1, b, tau) = (5, 12, 7, 0.5);
    let mut rng = stream(99, Purpose::Init);
    // Filled in an explicit loop order (Mat::from_fn's order is not part of faer's API).
    let mut gauss = |r: usize, c: usize, s: f64| {
        let mut a = Mat::<f64>::zeros(r, c);
        for j in 0..c {
            for i in 0..r {
                let e: f64 = StandardNormal.sample(&mut rng);
                a[(i, j)] = s * e;
            }
        }
        a
    };
    let w = gauss(m, d1, 0.6);
    let x1 = gauss(d1, b, 1.0);
    let x2 = gauss(d1, b, 1.0);
    let net = Network { w: w.clone() };
    let norms = net.row_norms();
    let mut bias = vec![0.0; m];
    Network::biases_from_norms(&norms, 0.5, 1.0, &mut bias);
    // The second view's features, computed once at W and then held fixed (StopGrad).
    let f2 = net.features(x2.as_ref(), &bias);

    let mut u1 = Mat::zeros(m, b);
    net.preactivations_into(x1.as_ref(), u1.as_mut());
    let mut f1 = Mat::zeros(m, b);
    Network::activate_into(&u1, &bias, &mut f1);
    let active = (0..b)
        .flat_map(|p| (0..m).map(move |i| (i, p)))
        .filter(|&(i, p)| u1[(i, p)].abs() > bias[i])
        .count();
    assert!(
        active > m * b / 3,
        "instance must exercise the threshold's active region ({active})"
    );
    let mut ws = LossWorkspace::new(m, b);
    loss::loss_and_feature_grad(f1.as_ref(), f2.as_ref(), tau, &mut ws);
    loss::gate_by_threshold(&mut ws.g, &u1, &bias);
    let mut grad = Mat::zeros(m, d1);
    loss::accumulate_weight_grad(grad.as_mut(), Accum::Replace, ws.g.as_ref(), x1.as_ref(), 1.0);

    // The trainer uses the fused loss-and-gate; it must give the same G as the two steps.
    let mut fused = LossWorkspace::new(m, b);
    loss::loss_and_gated_grad(f1.as_ref(), f2.as_ref(), tau, &mut fused);
    for p in 0..b {
        for i in 0..m {
            assert_eq!(fused.g[(i, p)], ws.g[(i, p)], "fused gate differs at ({i}, {p})");
        }
    }

    let h = 1e-6;
    let (mut diff2, mut norm2) = (0.0f64, 0.0f64);
    for i in 0..m {
        for k in 0..d1 {
            let mut wp = w.clone();
            wp[(i, k)] += h;
            let mut wm = w.clone();
            wm[(i, k)] -= h;
            let num = (loss_at(&wp, &x1, &f2, &bias, tau) - loss_at(&wm, &x1, &f2, &bias, tau)) / (2.0 * h);
            diff2 += (num - grad[(i, k)]).powi(2);
            norm2 += grad[(i, k)].powi(2);
        }
    }
    let rel = (diff2 / norm2).sqrt();
    // Central differences have O(h²) truncation and O(ε/h) rounding error: ~1e-10 here.
    // 1e-6 leaves room for a kink of the threshold crossed inside ±h, and still fails on
    // any missing term (e.g. forgetting StopGrad doubles part of the gradient).
    assert!(rel < 1e-6, "relative gradient error {rel:e}");
    assert!(norm2 > 1e-8, "gradient must not vanish on this instance");
}

#[test]
fn same_config_and_seed_give_byte_identical_tables() {
    let s = common::settings(&common::small_config("random_mask"));
    let dir = tempfile::tempdir().unwrap();
    for run in ["a", "b"] {
        let out = executor::run(&s, &mut Silent).unwrap();
        io::write_run(&dir.path().join(run), &out, None, &[]).unwrap();
    }
    for f in ["metrics.csv", "neurons.csv", "alpha.csv", "probes.csv"] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between identical runs");
    }
    assert_eq!(
        common::summary_without_wall_time(&dir.path().join("a/summary.csv")),
        common::summary_without_wall_time(&dir.path().join("b/summary.csv"))
    );
}

#[test]
fn the_two_arms_share_dictionary_init_and_data() {
    let a = Trainer::new(&common::settings(&common::small_config("random_mask")));
    let n = Trainer::new(&common::settings(&common::small_config("none")));
    assert!(a.model().dict.matrix() == n.model().dict.matrix());
    assert_eq!(a.network(), n.network());
    let ea = executor::eval_batch(&a);
    let en = executor::eval_batch(&n);
    assert!(ea.x == en.x);
    // A different seed changes all of them.
    let mut other = common::settings(&common::small_config("none"));
    other.seed += 1;
    let o = Trainer::new(&other);
    assert!(o.model().dict.matrix() != n.model().dict.matrix());
}

#[test]
fn divergence_stops_the_run_naming_the_step() {
    let text = common::small_config("none").replace("lr = 1.0", "lr = 1e300");
    let s = common::settings(&text);
    match executor::run(&s, &mut Silent) {
        Err(Error::Diverged { step, .. }) => assert!((1..=40).contains(&step), "step {step}"),
        other => panic!("expected divergence, got {:?}", other.map(|o| o.final_loss)),
    }
}

#[test]
fn cli_reports_bad_input_clearly_and_writes_nothing() {
    let exe = env!("CARGO_BIN_EXE_decouple");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            common::small_config("none").replace("tau = 0.1", "tau = 0.1\ntemprature = 1"),
            "temprature",
        ),
        (common::small_config("none").replace("d1 = 60", "d1 = 5"), "model.d1"),
        (
            common::small_config("none").replace("kind = \"none\"", "kind = \"crop\""),
            "crop",
        ),
    ];
    for (k, (text, needle)) in cases.iter().enumerate() {
        let cfg = dir.path().join(format!("bad{k}.toml"));
        std::fs::write(&cfg, text).unwrap();
        let out_dir = dir.path().join(format!("out{k}"));
        let o = std::process::Command::new(exe)
            .args([
                "run",
                cfg.to_str().unwrap(),
                "--quiet",
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "case {k} should fail");
        assert!(err.contains(needle), "case {k}: stderr lacks {needle:?}: {err}");
        let written = std::fs::read_dir(&out_dir).map(|r| r.count()).unwrap_or(0);
        assert_eq!(written, 0, "case {k} left files in {}", out_dir.display());
    }
    let o = std::process::Command::new(exe)
        .args(["run", "/no/such/file.toml", "--quiet"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/no/such/file.toml"));
}

#[test]
fn atomic_write_leaves_only_the_complete_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sub/table.csv");
    io::write_atomic(&p, b"a,b\n1,2\n").unwrap();
    io::write_atomic(&p, b"a,b\n3,4\n").unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "a,b\n3,4\n");
    let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temporary files left behind: {names:?}");
    // A folder that cannot be created gives an error naming the path.
    let blocked = dir.path().join("sub/table.csv/inner.csv");
    let err = io::write_atomic(&blocked, b"x").unwrap_err().to_string();
    assert!(err.contains("inner.csv"), "{err}");
}

#[test]
fn config_files_in_experiments_parse_and_check() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("theorem_") {
            Config::from_file(&p)
                .unwrap()
                .check()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

/// The header of an NPY file and its values (row-major).
fn read_npy(path: &std::path::Path) -> (String, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "{}", path.display());
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + len) % 64, 0);
    let header = String::from_utf8(bytes[10..10 + len].to_vec()).unwrap();
    let values = bytes[10 + len..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (header, values)
}

#[test]
fn save_weights_writes_the_arrays_and_none_writes_the_tables_only() {
    let dir = tempfile::tempdir().unwrap();
    let with = |v: &str| {
        common::small_config("random_mask").replace(
            "eval_samples = 200",
            &format!("eval_samples = 200\nsave_weights = \"{v}\""),
        )
    };
    // The default: the six tables, nothing else, and no arrays kept in memory.
    let none = executor::run(&common::settings(&common::small_config("random_mask")), &mut Silent).unwrap();
    assert!(none.arrays.is_none());
    io::write_run(&dir.path().join("none"), &none, None, &[]).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.path().join("none"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<_> = io::RUN_FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);

    let logged = executor::run(&common::settings(&with("logged")), &mut Silent).unwrap();
    let out = dir.path().join("logged");
    io::write_run(&out, &logged, None, &[]).unwrap();
    let (m, d1, d) = (30, 60, 10);
    let (h, w) = read_npy(&out.join("W.npy"));
    assert!(h.contains("'shape': (30, 60), }"), "{h}");
    assert_eq!(w[d1 + 2], logged.network.w[(1, 2)]);
    assert_eq!(w.len(), m * d1);
    let (h, b) = read_npy(&out.join("b.npy"));
    assert!(h.contains("'shape': (30,), }"), "{h}");
    assert_eq!(b, logged.bias);
    let (h, dict) = read_npy(&out.join("M.npy"));
    assert!(h.contains("'shape': (60, 10), }"), "{h}");
    assert_eq!(dict[d + 3], logged.arrays.as_ref().unwrap().dictionary[(1, 3)]);
    // W0 is the untrained network: the step-0 snapshot; the last snapshot is the trained W.
    assert_eq!(read_npy(&out.join("W0.npy")).1, read_npy(&out.join("W_step0.npy")).1);
    assert_ne!(read_npy(&out.join("W0.npy")).1, w);
    for step in [10, 20, 30] {
        assert!(out.join(format!("W_step{step}.npy")).exists());
        assert!(out.join(format!("b_step{step}.npy")).exists());
    }
    assert_eq!(read_npy(&out.join("W_step40.npy")).1, w);
    assert_eq!(read_npy(&out.join("b_step40.npy")).1, b);
    // The tables are those of the same run without arrays (only the settings' key differs).
    for name in ["metrics.csv", "neurons.csv", "alpha.csv", "probes.csv"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(dir.path().join("none").join(name)).unwrap(),
            "{name}"
        );
    }

    let fin = executor::run(&common::settings(&with("final")), &mut Silent).unwrap();
    assert!(fin.arrays.as_ref().unwrap().snapshots.is_empty());
    assert_eq!(io::array_files(&fin).len(), 4);
    let text = with("sometimes");
    let err = Config::from_toml_str(&text, std::path::Path::new("x.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("save_weights") && err.contains("logged"), "{err}");
}

#[test]
fn a_diverged_run_keeps_its_log_writes_a_marker_and_fails_naming_the_step() {
    let exe = env!("CARGO_BIN_EXE_decouple");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("huge_lr.toml");
    std::fs::write(
        &cfg,
        common::small_config("random_mask").replace("lr = 1.0", "lr = 1e6"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = std::process::Command::new(exe)
        .args(["run", cfg.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "a diverging run must fail: {err}");
    let run = out.join("small_random_mask");
    let marker = std::fs::read_to_string(run.join("DIVERGED")).expect("a DIVERGED marker");
    let step: usize = marker
        .strip_prefix("training diverged at step ")
        .and_then(|r| r.split(':').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no step in {marker:?}"));
    assert!((1..=40).contains(&step), "{marker}");
    assert!(marker.contains("train.lr"), "{marker}");
    assert!(err.contains(&format!("step {step}")), "{err}");
    // metrics.csv: step 0 and every logged step before the divergence, nothing after.
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let steps: Vec<usize> = metrics
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<usize> = (0..step).step_by(10).collect();
    assert_eq!(steps, expected, "{metrics}");
    assert!(run.join("manifest.json").exists());
    assert!(!run.join("summary.csv").exists());
    // The library carries the same log in its error.
    let s = common::settings(&common::small_config("random_mask").replace("lr = 1.0", "lr = 1e6"));
    let e = executor::run(&s, &mut Silent).unwrap_err();
    let d = executor::diverged_run(&e).expect("the divergence carries the log");
    assert_eq!(d.step, step);
    assert_eq!(d.log.iter().map(|r| r.step).collect::<Vec<_>>(), expected);
}
