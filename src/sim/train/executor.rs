//! One experiment end to end: train, log the feature metrics, probe, summarise
//! (the executor role; the trainer is the solver, the data model the problem).

use std::time::Instant;

use faer::Mat;

use crate::config::{Precision, SaveWeights, Settings};
use crate::error::{Error, Partial, Result};
use crate::sim::augment::{self, Augmentation};
use crate::sim::controls::{self, Controls, Measure};
use crate::sim::data::{Batch, SparseCoding};
use crate::sim::floor::{EvalBatches, LossEval};
use crate::sim::linalg::Real;
use crate::sim::metrics::{self, FeatureReport, FeatureSummary};
use crate::sim::network::Network;
use crate::sim::probes::{self, ProbeData, ProbeFeatures, ProbeRow, ProbeTask};
use crate::sim::rng::{self, Purpose};
use crate::sim::summary::{Metric, Summary};
use crate::sim::train::solver::Trainer;

/// One row of `metrics.csv`: the step, the loss and the feature summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogRow {
    /// Steps done.
    pub step: usize,
    /// Mean batch loss over the steps since the previous row (NaN at step 0).
    pub loss: f64,
    /// The feature summary at this step (its fields follow `step,loss` in the CSV).
    pub features: FeatureSummary,
}

/// Watches a run (progress bars, logs). All methods default to doing nothing.
pub trait Observer {
    /// After every SGD step.
    fn on_step(&mut self, _step: usize, _total: usize, _loss: f64) {}
    /// After each logged row.
    fn on_log(&mut self, _row: &LogRow) {}
}

/// An observer that does nothing.
pub struct Silent;
impl Observer for Silent {}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The resolved settings.
    pub settings: Settings,
    /// One row per logged step.
    pub log: Vec<LogRow>,
    /// The final features.
    pub final_features: FeatureReport,
    /// The features of the untrained network (step 0).
    pub init_features: FeatureReport,
    /// The probes.
    pub probes: Vec<ProbeRow>,
    /// Mean batch loss over the last `log_every` steps.
    pub final_loss: f64,
    /// The loss of the trained, the untrained and the oracle network on the run's
    /// evaluation batches ([`crate::sim::floor`]).
    pub loss_eval: LossEval,
    /// The trained network.
    pub network: Network,
    /// Its biases.
    pub bias: Vec<f64>,
    /// Wall time of the whole run in seconds.
    pub wall_seconds: f64,
    /// Of which inside the SGD steps (the rest: metrics, logging, probes, loss evaluation).
    pub step_seconds: f64,
    /// The arrays `[metrics] save_weights` asks for (`None` with `save_weights = "none"`,
    /// so that a run keeps no more memory than it needs).
    pub arrays: Option<Box<RunArrays>>,
    /// The oracle and the random network measured as the trained one is (the audit's
    /// controls, [`crate::sim::controls`]).
    pub controls: Controls,
}

/// The weight arrays of a run kept for its `.npy` files (`[metrics] save_weights`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunArrays {
    /// The dictionary M, d1×d.
    pub dictionary: Mat<f64>,
    /// The initial weights W0, m×d1.
    pub init_network: Network,
    /// W and b at every logged step (`save_weights = "logged"`; empty with `"final"`).
    pub snapshots: Vec<Snapshot>,
}

/// W and b at one logged step.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Steps done.
    pub step: usize,
    /// W, m×d1.
    pub network: Network,
    /// The biases b.
    pub bias: Vec<f64>,
}

/// What a run that diverged had measured, carried by its [`Error::Diverged`] (read it
/// with [`diverged_run`]).
#[derive(Debug, Clone)]
pub struct DivergedRun {
    /// The resolved settings.
    pub settings: Settings,
    /// The rows logged before the divergence (step 0 first).
    pub log: Vec<LogRow>,
    /// The SGD step (1-based) at which it diverged.
    pub step: usize,
    /// What was non-finite (`loss` or `weights`).
    pub what: &'static str,
    /// Wall time until the divergence in seconds.
    pub wall_seconds: f64,
}

/// The partial log of a run that diverged, if `error` is the divergence of a run of
/// [`run`].
pub fn diverged_run(error: &Error) -> Option<&DivergedRun> {
    match error {
        Error::Diverged { partial: Some(p), .. } => p.get::<DivergedRun>(),
        _ => None,
    }
}

impl RunOutput {
    /// Value of a probe, NaN if absent.
    pub fn probe(&self, features: ProbeFeatures, task: ProbeTask) -> f64 {
        self.probes
            .iter()
            .find(|r| r.features == features && r.task == task)
            .map_or(f64::NAN, |r| r.value)
    }

    /// The rows of `summary.csv`, in [`Metric::SUMMARY`] order (wall time excluded so it
    /// can be compared).
    pub fn summary(&self) -> Summary {
        Summary::new(
            Metric::SUMMARY
                .iter()
                .filter_map(|&m| self.summary_value(m).map(|v| (m, v)))
                .collect(),
        )
    }

    /// The value of `m` as a row of `summary.csv`, or `None` for the metrics that are not
    /// one (sweeps and the peer variant compute those). Every metric is named here, so a
    /// new one does not compile until it is placed.
    fn summary_value(&self, m: Metric) -> Option<f64> {
        let f = &self.final_features.summary;
        let s = &self.settings;
        let v = match m {
            Metric::AlignMedian => f.align_median,
            Metric::AlignMean => f.align_mean,
            Metric::FracAligned => f.frac_aligned,
            Metric::AtomsCovered => f.atoms_covered as f64,
            Metric::AtomsTotal => s.model.d as f64,
            Metric::NeuronsPerAtomMin => f.neurons_per_atom_min as f64,
            Metric::NeuronsPerAtomMedian => f.neurons_per_atom_median,
            Metric::NeuronsPerAtomMax => f.neurons_per_atom_max as f64,
            Metric::SupportMedian => f.support_median,
            Metric::SparseShareMedian => f.sparse_share_median,
            Metric::FinalLoss => self.final_loss,
            Metric::LossAtChance => s.train.tau * (s.train.batch as f64).ln(),
            Metric::EvalLoss => self.loss_eval.trained.all,
            Metric::EvalLossZZero => self.loss_eval.trained.z_zero,
            Metric::EvalLossZNonzero => self.loss_eval.trained.z_nonzero,
            Metric::EvalLossUntrained => self.loss_eval.untrained.all,
            Metric::LossFloor => self.loss_eval.floor.all,
            Metric::LossFloorZZero => self.loss_eval.floor.z_zero,
            Metric::LossFloorZNonzero => self.loss_eval.floor.z_nonzero,
            Metric::LossFloorScale => self.loss_eval.floor_scale,
            Metric::FracZZero => self.loss_eval.frac_z_zero,
            Metric::NoiseCosMean => f.noise_cos_mean,
            Metric::NoiseCosQ10 => f.noise_cos_q10,
            Metric::ZeroReprFrac => f.zero_repr_frac,
            Metric::AtomBestCosMin => f.atom_best_cos_min,
            Metric::AtomBestCosMedian => f.atom_best_cos_median,
            Metric::AtomBestCosMax => f.atom_best_cos_max,
            Metric::ProbeRegressionRelMse
            | Metric::ProbeClassificationAcc
            | Metric::ProbeUntrainedRegressionRelMse
            | Metric::ProbeUntrainedClassificationAcc
            | Metric::ProbeRawXRegressionRelMse
            | Metric::ProbeRawXClassificationAcc
            | Metric::ProbeOracleZRegressionRelMse
            | Metric::ProbeOracleZClassificationAcc
            | Metric::ProbeNoiseFreeRegressionRelMse
            | Metric::ProbeNoiseFreeClassificationAcc
            | Metric::ProbeOracleNetRegressionRelMse
            | Metric::ProbeOracleNetClassificationAcc => {
                let (features, task) = m.as_probe().expect("every probe metric reports a probe");
                self.probe(features, task)
            }
            Metric::BiasMean | Metric::OneMinusNoiseCos | Metric::StepsToAlign | Metric::WallSeconds => return None,
        };
        Some(v)
    }
}

/// The fixed test samples of the feature metrics (Eval stream).
pub fn eval_batch<T: Real>(trainer: &Trainer<T>) -> Batch {
    eval_samples(trainer.model(), trainer.settings())
}

/// The fixed test samples of the feature metrics of any run on `model` (Eval stream).
pub fn eval_samples(model: &SparseCoding, s: &Settings) -> Batch {
    model.sample(s.metrics.eval_samples, &mut rng::stream(s.seed, Purpose::Eval))
}

fn log_row<T: Real>(trainer: &Trainer<T>, eval: &Batch, step: usize, loss: f64) -> (LogRow, FeatureReport) {
    let bias = trainer.current_biases();
    let report = metrics::measure(
        &trainer.network(),
        &bias,
        &trainer.model().dict,
        eval,
        &trainer.settings().metrics,
    );
    (
        LogRow {
            step,
            loss,
            features: report.summary.clone(),
        },
        report,
    )
}

/// What the executor drives: one SGD step at a time of some solver (the paper's
/// [`Trainer`], or the peer variant's solver).
pub trait Solver {
    /// One SGD step; returns the batch loss (without the weight-decay term).
    fn step(&mut self) -> Result<f64>;
}

impl<T: Real> Solver for Trainer<T> {
    fn step(&mut self) -> Result<f64> {
        Trainer::step(self)
    }
}

/// The training loop shared by every solver: `steps` steps, the divergence guard (a
/// non-finite loss stops the run with an error naming the step), the observer's
/// `on_step`, and every `window` steps (and at the last) `on_window(solver, step, mean
/// loss of the window, observer)`. Returns the seconds spent inside the solver's steps.
pub fn drive<S: Solver>(
    solver: &mut S,
    steps: usize,
    window: usize,
    observer: &mut dyn Observer,
    mut on_window: impl FnMut(&S, usize, f64, &mut dyn Observer) -> Result<()>,
) -> Result<f64> {
    let (mut sum, mut len) = (0.0, 0usize);
    let mut in_steps = 0.0;
    for t in 1..=steps {
        let clock = Instant::now();
        let l = solver.step()?;
        in_steps += clock.elapsed().as_secs_f64();
        if !l.is_finite() {
            return Err(Error::Diverged {
                step: t,
                what: "loss",
                partial: None,
            });
        }
        sum += l;
        len += 1;
        observer.on_step(t, steps, l);
        if t % window == 0 || t == steps {
            on_window(solver, t, sum / len as f64, &mut *observer)?;
            sum = 0.0;
            len = 0;
        }
    }
    Ok(in_steps)
}

/// Train for `settings.train.steps` steps with logging, then probe. Deterministic in the
/// settings. The step runs in the settings' precision (`[train] precision`); everything
/// after it (metrics, probes, the loss evaluation) in f64.
pub fn run(settings: &Settings, observer: &mut dyn Observer) -> Result<RunOutput> {
    let aug = augment::from_config(&settings.augmentation, settings.model.sigma_xi);
    run_with(settings, aug, observer)
}

/// [`run`] with an augmentation of the caller's own in place of `settings.augmentation`
/// (which then only names the run): the training views, the bias rule's noise scale and
/// the loss evaluation's views all come from `aug`. See `examples/own_augmentation.rs`.
pub fn run_with(settings: &Settings, aug: Box<dyn Augmentation>, observer: &mut dyn Observer) -> Result<RunOutput> {
    match settings.train.precision {
        Precision::F64 => run_in::<f64>(settings, aug, observer),
        Precision::F32 => run_in::<f32>(settings, aug, observer),
    }
}

fn run_in<T: Real>(settings: &Settings, aug: Box<dyn Augmentation>, observer: &mut dyn Observer) -> Result<RunOutput> {
    let start = Instant::now();
    let model = SparseCoding::for_settings(settings);
    let mut trainer = Trainer::<T>::with_augmentation(settings, model, Network::for_settings_in(settings), aug);
    let eval = eval_batch(&trainer);
    let init_net = trainer.network().into_owned();
    let init_bias = trainer.current_biases();
    let keep_snapshots = settings.metrics.save_weights == SaveWeights::Logged;
    let mut snapshots = Vec::new();
    let mut snapshot = |trainer: &Trainer<T>, step: usize| {
        if keep_snapshots {
            snapshots.push(Snapshot {
                step,
                network: trainer.network().into_owned(),
                bias: trainer.current_biases(),
            });
        }
    };

    let (row0, init_features) = log_row(&trainer, &eval, 0, f64::NAN);
    observer.on_log(&row0);
    snapshot(&trainer, 0);
    let mut log = vec![row0];
    let mut final_loss = f64::NAN;
    let mut last_report = None;
    let driven = drive(
        &mut trainer,
        settings.train.steps,
        settings.train.log_every,
        observer,
        |trainer, t, mean_loss, observer| {
            final_loss = mean_loss;
            let (row, report) = log_row(trainer, &eval, t, mean_loss);
            observer.on_log(&row);
            log.push(row);
            snapshot(trainer, t);
            last_report = Some(report);
            Ok(())
        },
    );
    let step_seconds = driven.map_err(|e| with_partial_log(e, settings, &log, start))?;
    let final_features = last_report.expect("at least one step is logged");
    let bias = trainer.current_biases();
    let net = trainer.network().into_owned();
    let ends = Endpoints {
        net: &net,
        bias: &bias,
        init: &init_net,
        init_bias: &init_bias,
    };
    let probes = run_probes(settings, &trainer, &ends)?;
    let batches = EvalBatches::draw(trainer.model(), trainer.augmentation(), settings);
    let loss_eval = evaluate_losses(settings, &trainer, &ends, &batches);
    let measure = Measure {
        settings,
        dict: &trainer.model().dict,
        eval: &eval,
        batches: &batches,
        bias_scale: trainer.bias_scale(),
    };
    let controls = measure_controls(&measure, &trainer, &net, &probes, loss_eval.floor_scale)?;
    let arrays = arrays_of(settings, &trainer, init_net, snapshots);
    Ok(RunOutput {
        settings: settings.clone(),
        log,
        final_features,
        init_features,
        probes,
        final_loss,
        loss_eval,
        network: net,
        bias,
        wall_seconds: start.elapsed().as_secs_f64(),
        step_seconds,
        arrays,
        controls,
    })
}

/// The oracle and the random network of a run, measured as the trained one is (the
/// oracle's probes are the oracle-network probes already run).
fn measure_controls<T: Real>(
    measure: &Measure<'_>,
    trainer: &Trainer<T>,
    net: &Network,
    probes: &[ProbeRow],
    floor_scale: f64,
) -> Result<Controls> {
    let s = measure.settings;
    let find = |f: ProbeFeatures, t: ProbeTask| {
        probes
            .iter()
            .find(|r| r.features == f && r.task == t)
            .map_or(f64::NAN, |r| r.value)
    };
    let oracle = controls::oracle_network(&trainer.model().dict, s.network.m, floor_scale);
    let oracle_probes = (
        find(ProbeFeatures::OracleNetwork, ProbeTask::Regression),
        find(ProbeFeatures::OracleNetwork, ProbeTask::Classification),
    );
    let random = controls::random_network(s, &net.row_norms());
    let data = ProbeData::sample(trainer.model(), &s.probe, &mut rng::stream(s.seed, Purpose::Probes));
    let rb = measure.biases(&random);
    let rows = probes::probe_features(
        ProbeFeatures::Trained,
        &data,
        random.features(data.train.x.as_ref(), &rb).as_ref(),
        random.features(data.test.x.as_ref(), &rb).as_ref(),
        &s.probe,
    )?;
    let random_probes = (rows[0].value, rows.get(1).map_or(f64::NAN, |r| r.value));
    Ok(Controls {
        oracle: measure.view(&oracle, oracle_probes),
        random: measure.view(&random, random_probes),
    })
}

/// A divergence with what the run had logged before it ([`DivergedRun`]); any other
/// error as it is.
fn with_partial_log(e: Error, settings: &Settings, log: &[LogRow], start: Instant) -> Error {
    match e {
        Error::Diverged { step, what, .. } => Error::Diverged {
            step,
            what,
            partial: Some(Partial::new(DivergedRun {
                settings: settings.clone(),
                log: log.to_vec(),
                step,
                what,
                wall_seconds: start.elapsed().as_secs_f64(),
            })),
        },
        other => other,
    }
}

/// The arrays `[metrics] save_weights` asks for (none with `"none"`).
fn arrays_of<T: Real>(
    settings: &Settings,
    trainer: &Trainer<T>,
    init_network: Network,
    snapshots: Vec<Snapshot>,
) -> Option<Box<RunArrays>> {
    (!settings.metrics.save_weights.is_none()).then(|| {
        Box::new(RunArrays {
            dictionary: trainer.model().dict.matrix().to_owned(),
            init_network,
            snapshots,
        })
    })
}

/// The two ends of a run: the trained network and the untrained one, with their biases.
struct Endpoints<'a> {
    net: &'a Network,
    bias: &'a [f64],
    init: &'a Network,
    init_bias: &'a [f64],
}

/// The loss of the trained, the untrained and the oracle network on the run's evaluation
/// batches (docs/THEORY.md §4.8).
fn evaluate_losses<T: Real>(
    settings: &Settings,
    trainer: &Trainer<T>,
    e: &Endpoints<'_>,
    batches: &EvalBatches,
) -> LossEval {
    let tau = settings.train.tau;
    let (floor, floor_scale) = batches.floor(&trainer.model().dict, trainer.bias_scale(), tau);
    LossEval {
        trained: batches.loss(e.net, e.bias, tau),
        untrained: batches.loss(e.init, e.init_bias, tau),
        floor,
        floor_scale,
        frac_z_zero: batches.frac_z_zero(),
    }
}

fn run_probes<T: Real>(settings: &Settings, trainer: &Trainer<T>, e: &Endpoints<'_>) -> Result<Vec<ProbeRow>> {
    let (net, bias, init, init_bias) = (e.net, e.bias, e.init, e.init_bias);
    let model = trainer.model();
    let data = ProbeData::sample(model, &settings.probe, &mut rng::stream(settings.seed, Purpose::Probes));
    let mut rows = Vec::new();
    let clean = |b: &crate::sim::data::Batch| &b.x - &b.xi;
    // The oracle network: the atoms as neurons (unit norm), biases by the rule.
    let oracle_bias = vec![trainer.bias_scale(); settings.model.d];
    let oracle = |b: &crate::sim::data::Batch| {
        let u = model.dict.matrix().transpose() * b.x.as_ref();
        let mut f = Mat::<f64>::zeros(u.nrows(), u.ncols());
        Network::activate_into(&u, &oracle_bias, &mut f);
        f
    };
    let sets: [(ProbeFeatures, Mat<f64>, Mat<f64>); 6] = [
        (
            ProbeFeatures::Trained,
            net.features(data.train.x.as_ref(), bias),
            net.features(data.test.x.as_ref(), bias),
        ),
        (
            ProbeFeatures::Untrained,
            init.features(data.train.x.as_ref(), init_bias),
            init.features(data.test.x.as_ref(), init_bias),
        ),
        (ProbeFeatures::RawX, data.train.x.clone(), data.test.x.clone()),
        (
            ProbeFeatures::OracleZ,
            probes::dense_codes(&data.train, settings.model.d),
            probes::dense_codes(&data.test, settings.model.d),
        ),
        (
            ProbeFeatures::NoiseFree,
            net.features(clean(&data.train).as_ref(), bias),
            net.features(clean(&data.test).as_ref(), bias),
        ),
        (ProbeFeatures::OracleNetwork, oracle(&data.train), oracle(&data.test)),
    ];
    for (name, tr, te) in &sets {
        rows.extend(probes::probe_features(
            *name,
            &data,
            tr.as_ref(),
            te.as_ref(),
            &settings.probe,
        )?);
    }
    Ok(rows)
}

impl RunOutput {
    /// The same run seen as another network: its features, loss and probes in the places
    /// of the trained ones, and every logged row's features those of the (fixed) control
    /// network (the untrained view keeps only the first row, as it is the network at step
    /// 0). Every claim about a trained network is also judged on these views (its
    /// controls). `network` and `bias` stay the trained ones.
    pub fn seen_as(&self, view: crate::sim::controls::View) -> RunOutput {
        let mut out = self.clone();
        let (features, loss, probes) = match view {
            crate::sim::controls::View::Trained => return out,
            crate::sim::controls::View::Untrained => {
                out.log.truncate(1);
                let probes =
                    [ProbeTask::Regression, ProbeTask::Classification].map(|t| self.probe(ProbeFeatures::Untrained, t));
                (self.init_features.clone(), self.loss_eval.untrained, probes)
            }
            crate::sim::controls::View::Oracle | crate::sim::controls::View::Random => {
                let c = if view == crate::sim::controls::View::Oracle {
                    &self.controls.oracle
                } else {
                    &self.controls.random
                };
                for row in &mut out.log {
                    row.features = c.features.summary.clone();
                    row.loss = c.loss.all;
                }
                (c.features.clone(), c.loss, [c.probe_regression, c.probe_classification])
            }
        };
        out.final_features = features;
        out.final_loss = loss.all;
        out.loss_eval.trained = loss;
        for row in out.probes.iter_mut().filter(|r| r.features == ProbeFeatures::Trained) {
            row.value = match row.task {
                ProbeTask::Regression => probes[0],
                ProbeTask::Classification => probes[1],
            };
        }
        out
    }

    /// The same run seen at step 0 ([`RunOutput::seen_as`] the untrained network).
    pub fn at_initialisation(&self) -> RunOutput {
        self.seen_as(crate::sim::controls::View::Untrained)
    }
}
