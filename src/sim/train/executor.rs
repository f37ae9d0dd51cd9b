//! One experiment end to end: train, log the feature metrics, probe, summarise
//! (the executor role; the trainer is the solver, the data model the problem).

use std::time::Instant;

use faer::Mat;

use crate::config::Settings;
use crate::error::Result;
use crate::sim::data::Batch;
use crate::sim::metrics::{self, FeatureReport, FeatureSummary, NeuronRow};
use crate::sim::network::Network;
use crate::sim::probes::{self, ProbeData, ProbeRow};
use crate::sim::rng::{self, Purpose};
use crate::sim::train::solver::Trainer;

/// One row of `metrics.csv`: the step, the loss and the feature summary.
#[derive(Debug, Clone, PartialEq)]
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
    /// The trained network.
    pub network: Network,
    /// Its biases.
    pub bias: Vec<f64>,
    /// Wall time of the whole run in seconds.
    pub wall_seconds: f64,
}

impl RunOutput {
    /// Value of a probe (features, task), NaN if absent.
    pub fn probe(&self, features: &str, task: &str) -> f64 {
        self.probes
            .iter()
            .find(|r| r.features == features && r.task == task)
            .map_or(f64::NAN, |r| r.value)
    }

    /// The `metric,value` rows of `summary.csv` (wall time excluded so it can be compared).
    pub fn summary(&self) -> Vec<(String, f64)> {
        let f = &self.final_features.summary;
        let s = &self.settings;
        let mut rows: Vec<(String, f64)> = vec![
            ("align_median".into(), f.align_median),
            ("align_mean".into(), f.align_mean),
            ("frac_aligned".into(), f.frac_aligned),
            ("atoms_covered".into(), f.atoms_covered as f64),
            ("atoms_total".into(), s.model.d as f64),
            ("neurons_per_atom_min".into(), f.neurons_per_atom_min as f64),
            ("neurons_per_atom_median".into(), f.neurons_per_atom_median),
            ("neurons_per_atom_max".into(), f.neurons_per_atom_max as f64),
            ("support_median".into(), f.support_median),
            ("sparse_share_median".into(), f.sparse_share_median),
            ("final_loss".into(), self.final_loss),
            ("loss_at_chance".into(), s.train.tau * (s.train.batch as f64).ln()),
            ("noise_cos_mean".into(), f.noise_cos_mean),
            ("noise_cos_q10".into(), f.noise_cos_q10),
            ("zero_repr_frac".into(), f.zero_repr_frac),
            ("atom_best_cos_min".into(), f.atom_best_cos_min),
            ("atom_best_cos_median".into(), f.atom_best_cos_median),
            ("atom_best_cos_max".into(), f.atom_best_cos_max),
        ];
        for (feat, task, key) in [
            ("trained", "regression", "probe_regression_rel_mse"),
            ("trained", "classification", "probe_classification_acc"),
            ("untrained", "regression", "probe_untrained_regression_rel_mse"),
            ("untrained", "classification", "probe_untrained_classification_acc"),
            ("raw_x", "regression", "probe_raw_x_regression_rel_mse"),
            ("raw_x", "classification", "probe_raw_x_classification_acc"),
            ("oracle_z", "regression", "probe_oracle_z_regression_rel_mse"),
            ("oracle_z", "classification", "probe_oracle_z_classification_acc"),
        ] {
            rows.push((key.into(), self.probe(feat, task)));
        }
        rows
    }
}

/// The fixed test samples of the feature metrics (Eval stream).
pub fn eval_batch(trainer: &Trainer) -> Batch {
    let s = trainer.settings();
    trainer
        .model()
        .sample(s.metrics.eval_samples, &mut rng::stream(s.seed, Purpose::Eval))
}

fn log_row(trainer: &Trainer, eval: &Batch, step: usize, loss: f64) -> (LogRow, FeatureReport) {
    let bias = trainer.current_biases();
    let report = metrics::measure(
        trainer.network(),
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

/// Train for `settings.train.steps` steps with logging, then probe. Deterministic in the settings.
pub fn run(settings: &Settings, observer: &mut dyn Observer) -> Result<RunOutput> {
    faer::set_global_parallelism(faer::Par::Seq);
    let start = Instant::now();
    let mut trainer = Trainer::new(settings);
    let eval = eval_batch(&trainer);
    let init_net = trainer.network().clone();
    let init_bias = trainer.current_biases();

    let (row0, init_features) = log_row(&trainer, &eval, 0, f64::NAN);
    observer.on_log(&row0);
    let mut log = vec![row0];
    let mut window = 0.0;
    let mut window_len = 0usize;
    let mut final_loss = f64::NAN;
    let mut last_report = None;
    for t in 1..=settings.train.steps {
        let l = trainer.step()?;
        window += l;
        window_len += 1;
        observer.on_step(t, settings.train.steps, l);
        if t % settings.train.log_every == 0 || t == settings.train.steps {
            let mean_loss = window / window_len as f64;
            final_loss = mean_loss;
            window = 0.0;
            window_len = 0;
            let (row, report) = log_row(&trainer, &eval, t, mean_loss);
            observer.on_log(&row);
            log.push(row);
            last_report = Some(report);
        }
    }
    let final_features = last_report.expect("at least one step is logged");
    let bias = trainer.current_biases();
    let net = trainer.network().clone();
    let probes = run_probes(settings, &trainer, &net, &bias, &init_net, &init_bias)?;
    Ok(RunOutput {
        settings: settings.clone(),
        log,
        final_features,
        init_features,
        probes,
        final_loss,
        network: net,
        bias,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}

fn run_probes(
    settings: &Settings,
    trainer: &Trainer,
    net: &Network,
    bias: &[f64],
    init: &Network,
    init_bias: &[f64],
) -> Result<Vec<ProbeRow>> {
    let model = trainer.model();
    let data = ProbeData::sample(model, &settings.probe, &mut rng::stream(settings.seed, Purpose::Probes));
    let mut rows = Vec::new();
    let sets: [(&str, Mat<f64>, Mat<f64>); 4] = [
        (
            "trained",
            net.features(data.train.x.as_ref(), bias),
            net.features(data.test.x.as_ref(), bias),
        ),
        (
            "untrained",
            init.features(data.train.x.as_ref(), init_bias),
            init.features(data.test.x.as_ref(), init_bias),
        ),
        ("raw_x", data.train.x.clone(), data.test.x.clone()),
        (
            "oracle_z",
            probes::dense_codes(&data.train, settings.model.d),
            probes::dense_codes(&data.test, settings.model.d),
        ),
    ];
    for (name, tr, te) in &sets {
        rows.extend(probes::probe_features(
            name,
            &data,
            tr.as_ref(),
            te.as_ref(),
            &settings.probe,
        )?);
    }
    Ok(rows)
}

/// The neurons table of a run.
pub fn neuron_rows(out: &RunOutput) -> &[NeuronRow] {
    &out.final_features.neurons
}
