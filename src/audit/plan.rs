//! The audit's plan: every simulation the claims need, and running them side by side.

use std::path::Path;

use serde::Serialize;

use crate::audit::spec::{invalid, AuditFile, SweepSpec, Variant};
use crate::config::{AugmentationKind, Config, Settings, SizeRule};
use crate::error::Result;
use crate::exec::{Job, Keep, Outcome};
use crate::sim::summary::Summary;
use crate::sim::train::executor::RunOutput;

/// Which series a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// The paired main runs.
    Main,
    /// RandomMask at other d.
    AugSweep,
    /// No augmentation at other d.
    NaSweep,
    /// RandomMask, long runs for the time window.
    TimeWindow,
    /// RandomMask at one d over m.
    MSweep,
    /// RandomMask over d with d1 = d^1.5 (the theorem's poly(d) regime).
    PolySweep,
    /// RandomMask at one d over τ (and variants of κ, λ).
    TauSweep,
}

/// One planned simulation.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    /// Its series.
    pub series: Series,
    /// Whether it uses RandomMask.
    pub augmented: bool,
    /// Its checked settings (seed included).
    pub settings: Settings,
    /// The family of d1 it belongs to (d1 = c·d^γ), by which its regime's hypotheses are
    /// judged.
    pub d1_rule: SizeRule,
}

fn derived(cfg: &Config, d: usize, spec: &SweepSpec, name: String) -> Config {
    let mut c = cfg.clone();
    c.name = name;
    c.model.d = d;
    c.model.d1 = spec.d1_rule().at(d);
    c.network.m = spec.m_per_d * d;
    if let Some(t) = spec.steps_at(d, c.train.lr) {
        c.train.steps = t;
    }
    c
}

/// A finished simulation.
#[derive(Debug, Clone)]
pub struct FinishedRun {
    /// What was planned.
    pub plan: PlannedRun,
    /// What it measured.
    pub output: RunOutput,
    /// Its summary (computed once: the claims read it many times).
    pub summary: Summary,
    /// The summary of the same run seen at step 0 ([`RunOutput::at_initialisation`]).
    pub initial: Summary,
}

impl FinishedRun {
    /// A finished run with its summaries.
    pub fn new(plan: PlannedRun, output: RunOutput) -> Self {
        let summary = output.summary();
        let initial = output.at_initialisation().summary();
        FinishedRun {
            plan,
            output,
            summary,
            initial,
        }
    }
}

/// The runs planned so far, each checked as it is added.
struct Planner<'a> {
    audit: &'a AuditFile,
    runs: Vec<PlannedRun>,
}

impl Planner<'_> {
    /// Add `cfg` at `seed` to `series`, with the audit's precision and probe sizes.
    fn push(&mut self, series: Series, augmented: bool, cfg: &Config, seed: u64, d1_rule: SizeRule) -> Result<()> {
        let a = self.audit;
        let mut c = cfg.clone();
        c.seed = seed;
        if let Some(p) = a.precision {
            c.train.precision = p;
        }
        // The corollary's sample sizes: n_train = ⌈c d ln d⌉, n_test fixed.
        c.probe.n_train = a.probes.n_train(c.model.d);
        c.probe.n_test = a.probes.n_test;
        let settings = c.check()?;
        self.runs.push(PlannedRun {
            series,
            augmented,
            settings,
            d1_rule,
        });
        Ok(())
    }

    /// The sweeps over d: RandomMask, no augmentation, and RandomMask with d1 = d^1.5.
    fn sweeps_over_d(&mut self, aug: &Config, na: &Config) -> Result<()> {
        let a = self.audit;
        for (spec, base, series, augmented) in [
            (&a.aug_sweep, aug, Series::AugSweep, true),
            (&a.na_sweep, na, Series::NaSweep, false),
            (&a.poly_sweep, aug, Series::PolySweep, true),
        ] {
            let seeds = spec.seeds.clone().unwrap_or_else(|| a.seeds.clone());
            for &d in &spec.d {
                let cfg = derived(
                    base,
                    d,
                    spec,
                    format!("{}_{}_d{d}", base.name, format!("{series:?}").to_lowercase()),
                );
                for &seed in &seeds {
                    self.push(series, augmented, &cfg, seed, spec.d1_rule())?;
                }
            }
        }
        Ok(())
    }

    /// The time window: every η runs the same η·t (steps × main η / η).
    fn time_window(&mut self, aug: &Config) -> Result<()> {
        let a = self.audit;
        let tw = &a.time_window;
        let lrs = if a.time_window_lr.is_empty() {
            vec![aug.train.lr]
        } else {
            a.time_window_lr.clone()
        };
        for &lr in &lrs {
            for &d in &tw.d {
                let mut cfg = derived(aug, d, tw, format!("{}_timewindow_d{d}_lr{lr}", aug.name));
                cfg.train.steps = (cfg.train.steps as f64 * aug.train.lr / lr).round() as usize;
                cfg.train.log_every = ((cfg.train.log_every as f64 * aug.train.lr / lr).round() as usize).max(1);
                cfg.train.lr = lr;
                for &seed in tw.seeds.as_ref().unwrap_or(&a.seeds) {
                    self.push(Series::TimeWindow, true, &cfg, seed, tw.d1_rule())?;
                }
            }
        }
        Ok(())
    }

    /// The sweep over τ at one d: the main (κ, λ) at every τ (the slope); the variants at
    /// the middle τ (α/τ only).
    fn tau_sweep(&mut self, aug: &Config) -> Result<()> {
        let a = self.audit;
        let ts = &a.tau_sweep;
        let base_variant = Variant {
            kappa: aug.network.kappa,
            weight_decay: aug.train.weight_decay,
        };
        let middle = ts.tau[ts.tau.len() / 2];
        let runs_of = |v: &Variant| -> Vec<f64> {
            if *v == base_variant {
                ts.tau.clone()
            } else {
                vec![middle]
            }
        };
        for variant in std::iter::once(base_variant).chain(ts.variants.iter().copied()) {
            for tau in runs_of(&variant) {
                let spec = SweepSpec {
                    d: vec![ts.d],
                    d1_factor: ts.d1_factor,
                    d1_power: ts.d1_power,
                    m_per_d: ts.m_per_d,
                    steps: None,
                    steps_per_d: Some(ts.steps_per_d),
                    seeds: None,
                };
                let mut cfg = derived(
                    aug,
                    ts.d,
                    &spec,
                    format!(
                        "{}_tausweep_d{}_tau{tau}_kappa{}_wd{}",
                        aug.name, ts.d, variant.kappa, variant.weight_decay
                    ),
                );
                if ts.sigma0_with_sqrt_tau {
                    // σ0 as the experiment gives it at this d1, times √(τ/τ_main).
                    let sigma0 = cfg.network.sigma0.unwrap_or(1.0 / (cfg.model.d1 as f64).sqrt());
                    cfg.network.sigma0 = Some(sigma0 * (tau / aug.train.tau).sqrt());
                }
                cfg.train.tau = tau;
                cfg.network.kappa = variant.kappa;
                cfg.train.weight_decay = variant.weight_decay;
                for &seed in ts.seeds.as_ref().unwrap_or(&a.seeds) {
                    self.push(Series::TauSweep, true, &cfg, seed, spec.d1_rule())?;
                }
            }
        }
        Ok(())
    }

    /// The sweep over m = k·d at one d.
    fn m_sweep(&mut self, aug: &Config) -> Result<()> {
        let a = self.audit;
        let ms = &a.m_sweep;
        for &k in &ms.m_per_d {
            let spec = SweepSpec {
                d: vec![ms.d],
                d1_factor: ms.d1_factor,
                d1_power: ms.d1_power,
                m_per_d: k,
                steps: ms.steps,
                steps_per_d: None,
                seeds: None,
            };
            let cfg = derived(aug, ms.d, &spec, format!("{}_msweep_d{}_m{k}d", aug.name, ms.d));
            for &seed in ms.seeds.as_ref().unwrap_or(&a.seeds) {
                self.push(Series::MSweep, true, &cfg, seed, spec.d1_rule())?;
            }
        }
        Ok(())
    }
}

/// Every simulation the audit needs, in a fixed order: the paired main runs, the sweeps
/// over d, the time window, the sweep over τ and the sweep over m.
pub fn plan(a: &AuditFile) -> Result<Vec<PlannedRun>> {
    let aug = a.experiment(&a.main.aug)?;
    let na = a.experiment(&a.main.no_aug)?;
    let mut p = Planner {
        audit: a,
        runs: Vec::new(),
    };
    let rule = a.main.d1_rule();
    for (key, cfg) in [("main.aug", &aug), ("main.no_aug", &na)] {
        if cfg.model.d1 != rule.at(cfg.model.d) {
            return Err(invalid(
                key,
                format!(
                    "d1 = {} at d = {} (the [main] rule d1 = {} d^{} gives {})",
                    cfg.model.d1,
                    cfg.model.d,
                    a.main.d1_factor,
                    a.main.d1_power,
                    rule.at(cfg.model.d)
                ),
                "the experiment files' d1 must follow [main] d1_factor and d1_power",
            ));
        }
    }
    let aug_seeds = a.main.aug_seeds.clone().unwrap_or_else(|| a.seeds.clone());
    for &seed in &aug_seeds {
        p.push(Series::Main, true, &aug, seed, rule)?;
        if a.seeds.contains(&seed) {
            p.push(Series::Main, false, &na, seed, rule)?;
        }
    }
    p.sweeps_over_d(&aug, &na)?;
    p.time_window(&aug)?;
    p.tau_sweep(&aug)?;
    p.m_sweep(&aug)?;
    check_arms(&p.runs)?;
    Ok(p.runs)
}

/// The aug file must use RandomMask and the no_aug file no augmentation.
fn check_arms(runs: &[PlannedRun]) -> Result<()> {
    for r in runs {
        let kind = r.settings.augmentation.kind;
        let want = if r.augmented {
            AugmentationKind::RandomMask
        } else {
            AugmentationKind::None
        };
        if kind != want {
            return Err(invalid(
                "main.aug / main.no_aug",
                format!("{kind:?}"),
                "the aug file must use random_mask and the no_aug file none",
            ));
        }
    }
    Ok(())
}

/// The planned simulations as jobs of the launcher: each kept whole under `store`
/// (`store/runs/<hash>/output.bin`, so that an audit killed mid-way resumes where it
/// stopped) or, without a store, in memory only.
pub fn jobs(planned: &[PlannedRun], store: Option<&Path>) -> Result<Vec<Job>> {
    let keep = store.map_or(Keep::Memory, |d| Keep::Full(d.to_path_buf()));
    planned
        .iter()
        .map(|p| Job::train(p.settings.clone(), keep.clone()))
        .collect()
}

/// The finished runs from the launcher's outcomes of [`jobs`] (in plan order).
pub fn finished(planned: Vec<PlannedRun>, outcomes: Vec<Outcome>) -> Result<Vec<FinishedRun>> {
    planned
        .into_iter()
        .zip(outcomes)
        .map(|(plan, o)| match o {
            Outcome::Run(out) => Ok(FinishedRun::new(plan, *out)),
            _ => Err(crate::error::Error::Sweep(format!(
                "audit run {} came back without its output",
                plan.settings.name
            ))),
        })
        .collect()
}
