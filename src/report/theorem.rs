//! The figures of the theorem's quantities in the claims section, drawn from the audit's
//! evidence (the data of [`super::figures`]): α against τ, neurons per atom against
//! m/d, the decomposition along training with the window, and the probes' error against d
//! with the floor fit and the diagnostic probes (docs/THEORY.md §4.10, §4.11).

use std::path::Path;

use crate::audit::claims::aug::{
    alpha_median, formation_step, neurons_per_atom, SparseDecomposition, TimeWindow, TimeWindowThresholds, FLOOR_KS,
};
use crate::audit::claims::thresholds_of;
use crate::audit::{AuditReport, FinishedRun, Series};
use crate::error::Result;
use crate::report::figures::{
    alpha_vs_tau, decomposition_along_training, per_atom_vs_m, probe_error_vs_d, FloorCurve, LineFit, ProbePanel,
    ProbeSeries, TauPoint, WindowRun,
};
use crate::sim::probes::{ProbeFeatures, ProbeTask};
use crate::sim::summary::Metric;

/// The check `name` of claim `id`.
fn check<'a>(report: &'a AuditReport, id: &str, name: &str) -> Option<&'a crate::audit::Check> {
    report
        .results
        .iter()
        .find(|r| r.claim.id() == id)
        .and_then(|r| r.checks.iter().find(|c| c.check == name))
}

/// Draw the four figures into `dir` and return the markdown that shows them (paths
/// relative to `rel`, the report's folder). A figure with nothing to draw is left out with
/// a sentence saying so.
pub(super) fn theorem_figures(report: &AuditReport, dir: &Path, rel: &dyn Fn(&Path) -> String) -> Result<String> {
    let ev = &report.evidence;
    let mut md = String::from("\n### The theorem's quantities, as figures\n\n");
    let mut show = |file: &str, caption: &str, drawn: Result<()>| {
        let path = dir.join(file);
        match drawn {
            Ok(()) => md.push_str(&format!("![{caption}]({})\n\n*{caption}*\n\n", rel(&path))),
            Err(e) => md.push_str(&format!("*{caption}: not drawn ({e}).*\n\n")),
        }
    };

    // α against τ.
    let aligned_min = thresholds_of::<SparseDecomposition>(&report.audit)?.aligned_min;
    let points: Vec<TauPoint> = ev
        .series(Series::TauSweep)
        .iter()
        .map(|r| {
            let s = &r.plan.settings;
            TauPoint {
                label: format!("κ {}, λ {}", s.network.kappa, s.train.weight_decay),
                tau: s.train.tau,
                alpha: alpha_median(r, aligned_min),
            }
        })
        .filter(|p| p.alpha.is_finite())
        .collect();
    show(
        "alpha_vs_tau.svg",
        "The median main coefficient α of the aligned neurons against τ (one dot per seed; the main bias rule and weight decay at three τ, variants at the middle τ); the theorem's α ∈ [τ/d^c, τ] read as α ∝ τ (docs/THEORY.md §4.11)",
        alpha_vs_tau(&points, &dir.join("alpha_vs_tau.svg")),
    );

    let (pts, fit) = per_atom_points(report)?;
    show(
        "per_atom_vs_m.svg",
        "Neurons per atom, Σ_i |N_i| / d, against m/d at one d (the fit's interval is the audit check's); the theorem's o(m/d) is a slope below 1",
        per_atom_vs_m(&pts, fit, &dir.join("per_atom_vs_m.svg")),
    );

    // The decomposition along training.
    let th: TimeWindowThresholds = thresholds_of::<TimeWindow>(&report.audit)?;
    let runs: Vec<WindowRun> = ev
        .series(Series::TimeWindow)
        .iter()
        .map(|r| window_run(r, &th))
        .collect();
    show(
        "decomposition_along_training.svg",
        "The decomposition's checks along training at one d (median alignment, median share of ‖w_i‖² on span(M), atoms covered), with formation (dotted) and the window [t_f, t_f d^0.98] (shaded) per run",
        decomposition_along_training(
            &runs,
            &[(0, th.align_min), (1, th.share_min), (2, 1.0)],
            &dir.join("decomposition_along_training.svg"),
        ),
    );

    let panels = probe_panels(report);
    show(
        "probe_error_vs_d.svg",
        "The probes' error against d (n_train = c d ln d), with the floor fit a + b d^-k of the trained features (95% interval of a over the k the data allow) and the diagnostic probes on the same runs",
        probe_error_vs_d(&panels, &dir.join("probe_error_vs_d.svg")),
    );
    Ok(md)
}

/// The points of the neurons-per-atom figure (m/d, Σ_i |N_i| / d) and the line of the
/// audit's check through them (its interval, not the fit's own).
/// The points (m/d, neurons per atom) and the fitted line, if any.
type PerAtom = (Vec<(f64, f64)>, Option<LineFit>);

fn per_atom_points(report: &AuditReport) -> Result<PerAtom> {
    let ev = &report.evidence;
    let pts: Vec<(f64, f64)> = ev
        .series(Series::MSweep)
        .iter()
        .map(|r| {
            let s = &r.plan.settings;
            (s.network.m as f64 / s.model.d as f64, neurons_per_atom(r))
        })
        .filter(|p| p.1 > 0.0)
        .collect();
    let fit = (pts.len() >= 3).then(|| {
        let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().map(|p| (p.0.ln(), p.1.ln())).unzip();
        let f = crate::stats::slope_fit(&x, &y, 0.95);
        let (lo, hi) = check(report, "aug.coverage", "per_atom_sublinear_in_m")
            .ok_or_else(|| {
                crate::error::Error::Sweep(
                    "the figure of neurons per atom shows the interval of aug.coverage's check \
                     per_atom_sublinear_in_m, which the audit no longer has"
                        .into(),
                )
            })?
            .ends();
        Ok::<_, crate::error::Error>(LineFit {
            slope: f.slope,
            intercept: f.intercept,
            lo,
            hi,
        })
    });
    let fit = fit.transpose()?;
    Ok((pts, fit))
}

/// The two panels of the probes' error against d (regression, classification).
fn probe_panels(report: &AuditReport) -> Vec<ProbePanel> {
    let ev = &report.evidence;
    let mut sweep = ev.series(Series::AugSweep);
    sweep.extend(ev.main(true));
    let poly = ev.series(Series::PolySweep);
    [ProbeTask::Regression, ProbeTask::Classification]
        .into_iter()
        .map(|task| {
            let err = |f: ProbeFeatures, r: &FinishedRun| {
                let v = r.summary.get(Metric::probe(f, task));
                if task == ProbeTask::Regression {
                    v
                } else {
                    1.0 - v
                }
            };
            let series = |label: &str, runs: &[&FinishedRun], f: ProbeFeatures| ProbeSeries {
                label: label.into(),
                points: runs
                    .iter()
                    .map(|r| (r.plan.settings.model.d as f64, err(f, r)))
                    .collect(),
                sets_range: f != ProbeFeatures::OracleZ,
            };
            let d: Vec<f64> = sweep.iter().map(|r| r.plan.settings.model.d as f64).collect();
            let y: Vec<f64> = sweep.iter().map(|r| err(ProbeFeatures::Trained, r)).collect();
            let fit = crate::stats::floor_fit(&d, &y, &FLOOR_KS, 0.95).map(|f| FloorCurve {
                a: f.a,
                b: f.b,
                k: f.k,
                a_lo: f.a_lo,
                a_hi: f.a_hi,
            });
            ProbePanel {
                title: match task {
                    ProbeTask::Regression => "ridge probe: test MSE / Var(y)".into(),
                    ProbeTask::Classification => "logistic probe: error 1 - accuracy".into(),
                },
                series: vec![
                    series("trained, d1 = 8d", &sweep, ProbeFeatures::Trained),
                    series("trained, d1 = d^1.5", &poly, ProbeFeatures::Trained),
                    series("f(Mz), noise-free input", &sweep, ProbeFeatures::NoiseFree),
                    series(
                        "oracle network (atoms, bias rule)",
                        &sweep,
                        ProbeFeatures::OracleNetwork,
                    ),
                    series("oracle z", &sweep, ProbeFeatures::OracleZ),
                ],
                fit,
            }
        })
        .collect()
}

/// One time-window run as the figure draws it.
fn window_run(r: &FinishedRun, th: &TimeWindowThresholds) -> WindowRun {
    let s = &r.plan.settings;
    let d = s.model.d;
    let log = &r.output.log;
    let formation = formation_step(log, d, th).map(|t| t as f64);
    WindowRun {
        label: format!("η {}, seed {}", s.train.lr, s.seed),
        steps: log.iter().map(|l| l.step as f64).collect(),
        align_median: log.iter().map(|l| l.features.align_median).collect(),
        share: log.iter().map(|l| l.features.sparse_share_median).collect(),
        covered: log.iter().map(|l| l.features.atoms_covered as f64 / d as f64).collect(),
        formation,
        window_end: formation.map_or(f64::NAN, |t| t * (d as f64).powf(th.window_exponent)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditFile;

    #[test]
    fn the_tiny_audit_gives_the_figures_of_its_series() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audit_tiny.toml");
        let audit = AuditFile::from_file(path.as_ref()).unwrap();
        let report = crate::audit::run_audit(audit, &crate::exec::Launcher::new(2), None).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let md = theorem_figures(&report, tmp.path(), &|p| p.display().to_string()).unwrap();
        // The window and the probes always have something to draw; the others may not at
        // this size (no aligned neuron, no main atom), and then say so.
        for f in ["decomposition_along_training.svg", "probe_error_vs_d.svg"] {
            let svg = std::fs::read_to_string(tmp.path().join(f)).unwrap();
            assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{f}");
            assert!(md.contains(f), "{md}");
        }
        for f in ["alpha_vs_tau.svg", "per_atom_vs_m.svg"] {
            assert!(
                tmp.path().join(f).exists() || md.contains("not drawn"),
                "{f} neither drawn nor explained: {md}"
            );
        }
    }
}
