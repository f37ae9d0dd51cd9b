//! The ablations: one experiment file each under `experiments/ablations/`, run with the
//! report's seeds and paired with the baseline by seed; their table, one sentence each
//! under a fixed rule, and the figures of one paired run (RandomMask against no
//! augmentation).

use std::path::{Path, PathBuf};

use crate::config::{Config, Override, Settings};
use crate::error::Result;
use crate::exec::progress::ProgressEvent;
use crate::exec::record::RunRecord;
use crate::exec::{Job, Keep, Outcome};
use crate::io::write_atomic;
use crate::report::figures;
use crate::report::{Ctx, Section};
use crate::sim::summary::Metric;
use crate::stats::mean_ci95;

/// An ablation: id, experiment file under `experiments/ablations/`, what it asks.
pub const ABLATIONS: [(&str, &str, &str); 11] = [
    (
        "baseline",
        "baseline.toml",
        "RandomMask q = 1/2 (the paper's; the reference every row is paired with)",
    ),
    (
        "none",
        "none.toml",
        "no augmentation, identical views (the paper's other arm)",
    ),
    (
        "keep_prob_0.1",
        "keep_prob_0_1.toml",
        "RandomMask with keep probability q = 0.1",
    ),
    (
        "keep_prob_0.3",
        "keep_prob_0_3.toml",
        "RandomMask with keep probability q = 0.3",
    ),
    (
        "keep_prob_0.7",
        "keep_prob_0_7.toml",
        "RandomMask with keep probability q = 0.7",
    ),
    (
        "independent_mask",
        "independent_mask.toml",
        "two independent masks instead of complementary ones",
    ),
    (
        "gaussian_noise",
        "gaussian_noise.toml",
        "additive Gaussian noise (std σ_ξ) per view instead of a mask",
    ),
    (
        "block_mask",
        "block_mask.toml",
        "a contiguous (crop-like) block of q·d1 coordinates vs the rest",
    ),
    (
        "identity_dictionary",
        "identity_dictionary.toml",
        "coordinate-aligned dictionary M = [I; 0] with RandomMask (the paper predicts failure)",
    ),
    (
        "linear_kappa0",
        "linear_kappa0.toml",
        "zero-bias linear network (κ = 0) with RandomMask",
    ),
    (
        "gaussian_code",
        "gaussian_code.toml",
        "nonzero z_j ~ N(0,1) instead of ±1, with RandomMask",
    ),
];

fn load(experiments: &Path, file: &str, seed: u64, sets: &[Override]) -> Result<Settings> {
    let mut cfg = Config::from_file_with(&experiments.join("ablations").join(file), sets)?;
    cfg.seed = seed;
    cfg.check()
}

const ABLATION_METRICS: [(Metric, &str); 7] = [
    (Metric::AlignMedian, "median alignment"),
    (Metric::AtomsCovered, "atoms covered"),
    (Metric::OneMinusNoiseCos, "1 - cos(f(x), f(xi))"),
    (Metric::SupportMedian, "median |N_i|"),
    (Metric::ProbeRegressionRelMse, "probe rel. MSE"),
    (Metric::ProbeClassificationAcc, "probe accuracy"),
    (Metric::FinalLoss, "final loss"),
];

fn mean_of(recs: &[&RunRecord], k: Metric) -> f64 {
    mean_ci95(&recs.iter().map(|r| r.metric(k)).collect::<Vec<_>>()).1
}

/// The verdict rule (fixed before looking at the results): "learned" means median
/// alignment > 0.5 and at least 90% of the atoms covered; probes are compared with the
/// baseline's relative MSE with a ±0.05 band.
fn verdict(align: f64, covered: f64, d: f64, mse: f64, mse0: f64) -> &'static str {
    let learned = align > 0.5 && covered >= 0.9 * d;
    match (learned, mse - mse0) {
        (false, _) => "no sparse features at this size (median alignment ≤ 0.5 or under 90% of the atoms covered)",
        (true, x) if x < -0.05 => "sparse features learned; probes better than the baseline",
        (true, x) if x > 0.05 => "sparse features learned, but probes worse than the baseline",
        _ => "sparse features learned; probes on par with the baseline",
    }
}

/// The ablations' runs, each ablation's seeds together, read back from their records.
struct Runs {
    /// Settings, in [`ABLATIONS`] order, seeds inner.
    settings: Vec<Settings>,
    /// Their records, same order.
    records: Vec<RunRecord>,
    /// The seeds.
    seeds: Vec<u64>,
}

impl Runs {
    /// The records of ablation `a`.
    fn group(&self, a: usize) -> Vec<&RunRecord> {
        let ns = self.seeds.len();
        self.records[a * ns..(a + 1) * ns].iter().collect()
    }
}

/// The ablations, planned: every file under `experiments/ablations/` of [`ABLATIONS`] with
/// the report's seeds (seeds inner), recorded under `out/ablations/`.
pub(super) struct AblationsPlan {
    settings: Vec<Settings>,
    seeds: Vec<u64>,
    dir: PathBuf,
    /// One job per settings.
    pub(super) jobs: Vec<Job>,
}

/// Plan the ablations.
pub(super) fn plan(ctx: &Ctx<'_>) -> Result<AblationsPlan> {
    let seeds = ctx.seeds();
    let dir = ctx.out.join("ablations");
    let mut settings = Vec::new();
    let mut sources = Vec::new();
    for (_, file, _) in ABLATIONS {
        let source = crate::io::ExperimentSource::of(&ctx.experiments.join("ablations").join(file))?;
        for &s in &seeds {
            settings.push(load(ctx.experiments, file, s, ctx.sets)?);
            sources.push(vec![source.clone()]);
        }
    }
    let jobs = settings
        .iter()
        .zip(sources)
        .map(|(s, src)| Ok(Job::train(s.clone(), Keep::Record(dir.clone()))?.with_sources(src)))
        .collect::<Result<Vec<_>>>()?;
    (ctx.progress)(ProgressEvent::Planned {
        name: "ablations",
        runs: jobs.len(),
    });
    Ok(AblationsPlan {
        settings,
        seeds,
        dir,
        jobs,
    })
}

impl AblationsPlan {
    /// The ablations (a table and one sentence each) and the figures of one paired run
    /// (baseline against no augmentation), from the outcomes of [`Self::jobs`].
    pub(super) fn render(self, ctx: &Ctx<'_>, outcomes: &[Outcome]) -> Result<(Section, Section)> {
        let records = outcomes
            .iter()
            .map(|o| o.record().cloned().expect("an ablation job keeps its record"))
            .collect();
        let runs = Runs {
            settings: self.settings,
            records,
            seeds: self.seeds,
        };
        write_atomic(&ctx.out.join("ablations.csv"), ablations_csv(&runs).as_bytes())?;
        let abl = ablations_markdown(ctx, &runs);
        let runs_md = paired_run_markdown(ctx, &self.dir, &runs)?;
        Ok((
            Section {
                title: "One paired run: RandomMask against no augmentation".into(),
                markdown: runs_md,
            },
            Section {
                title: "Ablations".into(),
                markdown: abl,
            },
        ))
    }
}

/// `ablations.csv`: one row per run.
fn ablations_csv(runs: &Runs) -> String {
    let mut csv = String::from("ablation,file,seed");
    for (k, _) in ABLATION_METRICS {
        csv.push_str(&format!(",{k}"));
    }
    csv.push_str(",config_hash\n");
    for (a, (id, file, _)) in ABLATIONS.iter().enumerate() {
        for r in runs.group(a) {
            csv.push_str(&format!("{id},{file},{}", r.seed));
            for (k, _) in ABLATION_METRICS {
                csv.push_str(&format!(",{}", r.metric(k)));
            }
            csv.push_str(&format!(",{}\n", r.hash));
        }
    }
    csv
}

/// The baseline's means the sentences compare with: alignment, atoms covered, 1 − cos,
/// probe relative MSE.
struct Baseline {
    align: f64,
    covered: f64,
    one_minus_cos: f64,
    mse: f64,
}

impl Baseline {
    fn of(g: &[&RunRecord]) -> Self {
        Self {
            align: mean_of(g, Metric::AlignMedian),
            covered: mean_of(g, Metric::AtomsCovered),
            one_minus_cos: mean_of(g, Metric::OneMinusNoiseCos),
            mse: mean_of(g, Metric::ProbeRegressionRelMse),
        }
    }
}

/// The table row of one ablation (means over its seeds).
fn table_row(id: &str, file: &str, g: &[&RunRecord], d: f64) -> String {
    let mut md = format!("| {id} | `{file}` |");
    for (k, _) in ABLATION_METRICS {
        let v = mean_of(g, k);
        if k == Metric::AtomsCovered {
            md.push_str(&format!(" {v:.1}/{d} |"));
        } else {
            md.push_str(&format!(" {v:.3} |"));
        }
    }
    md.push('\n');
    md
}

/// The sentence under the table for ablation `a` (the baseline is `a == 0`).
fn sentence(a: usize, id: &str, what: &str, g: &[&RunRecord], d: f64, b: &Baseline) -> String {
    let x = Baseline::of(g);
    let (al, co, omc, mse) = (x.align, x.covered, x.one_minus_cos, x.mse);
    let (a0, c0, x0, m0) = (b.align, b.covered, b.one_minus_cos, b.mse);
    if a == 0 {
        format!(
            "- **{id}** ({what}): median alignment {al:.2}, {co:.0}/{d} atoms covered, 1 - cos {omc:.2}, probe rel. MSE {mse:.2}: {}.\n",
            verdict(al, co, d, mse, m0)
        )
    } else {
        format!(
            "- **{id}** ({what}): median alignment {al:.2} (baseline {a0:.2}), {co:.0}/{d} atoms covered ({c0:.0}), \
             1 - cos {omc:.2} ({x0:.2}), probe rel. MSE {mse:.2} ({m0:.2}): {}.\n",
            verdict(al, co, d, mse, m0)
        )
    }
}

/// The ablation table and the sentences under it.
fn table_and_sentences(runs: &Runs) -> (String, String) {
    let d = runs.settings[0].model.d as f64;
    let base = Baseline::of(&runs.group(0));
    let mut md = String::from("| ablation | file |");
    for (_, label) in ABLATION_METRICS {
        md.push_str(&format!(" {label} |"));
    }
    md.push('\n');
    md.push_str(&"|---".repeat(2 + ABLATION_METRICS.len()));
    md.push_str("|\n");
    let mut sentences = String::new();
    for (a, (id, file, what)) in ABLATIONS.iter().enumerate() {
        let g = runs.group(a);
        md.push_str(&table_row(id, file, &g, d));
        sentences.push_str(&sentence(a, id, what, &g, d, &base));
    }
    (md, sentences)
}

/// The ablations section's text.
fn ablations_markdown(ctx: &Ctx<'_>, runs: &Runs) -> String {
    let (md, sentences) = table_and_sentences(runs);
    let manifest: Vec<String> = ABLATIONS
        .iter()
        .enumerate()
        .flat_map(|(a, (id, _, _))| {
            runs.group(a)
                .into_iter()
                .map(move |r| format!("{id} seed {}: `ablations/runs/{}/`", r.seed, r.hash))
                .collect::<Vec<_>>()
        })
        .collect();
    let s0 = &runs.settings[0];
    format!(
        "Each row is one experiment file under `experiments/ablations/`, run with seed(s) {seeds:?}, paired \
         with the baseline by seed (same dictionary, initial weights and data stream wherever the \
         setting allows). Sizes: d = {d}, d1 = {d1}, m = {m}, B = {b}, T = {t}, η = {lr}, τ = {tau}. \
         Values are means over the seeds. The sentence under each row applies one fixed rule \
         (\"learned\" = median alignment > 0.5 and ≥ 90% atoms covered; probes compared with the \
         baseline's relative MSE with a ±0.05 band); nothing was tuned per row.\n\n{md}\n{sentences}\n\
         Table: `ablations.csv` (one row per run). Regenerate: `{cmd}`, or one row with \
         `decouple run experiments/ablations/<file> --seed S`.\n\nRuns behind it:\n\n{list}\n",
        seeds = runs.seeds,
        d = s0.model.d as f64,
        d1 = s0.model.d1,
        m = s0.network.m,
        b = s0.train.batch,
        t = s0.train.steps,
        lr = s0.train.lr,
        tau = s0.train.tau,
        cmd = ctx.command(),
        list = manifest.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n"),
    )
}

/// The figures of one paired run (the baseline, RandomMask, and the no-augmentation arm,
/// first seed) and their section's text.
fn paired_run_markdown(ctx: &Ctx<'_>, dir: &Path, runs: &Runs) -> Result<String> {
    let figs = ctx.out.join("figures");
    let pair = vec![
        (
            "RandomMask (baseline)".to_string(),
            dir.join("runs").join(&runs.group(0)[0].hash),
        ),
        (
            "no augmentation".to_string(),
            dir.join("runs").join(&runs.group(1)[0].hash),
        ),
    ];
    let sets = figures::load::labelled_runs(&pair)?;
    figures::heatmap(&sets, &figs.join("heatmap_random_mask_vs_none.svg"))?;
    figures::curves(&sets, &figs.join("curves_random_mask_vs_none.svg"))?;
    figures::alignment_histogram(&sets, &figs.join("alignment_hist_random_mask_vs_none.svg"))?;
    let s0 = &runs.settings[0];
    Ok(format!(
        "The baseline (RandomMask) and no-augmentation runs of the ablation table, seed {seed} \
         (d = {d}, d1 = {d1}, m = {m}, T = {t}).\n\n\
         ![heatmap](figures/heatmap_random_mask_vs_none.svg)\n\n\
         *|cos(w_i, M_j)| = |⟨w_i, M_j⟩| / ‖w_i‖ for every neuron (rows, sorted by best atom, then by \
         alignment) and atom (columns). A neuron that learned one atom is a single dark cell in its row; \
         the staircase under RandomMask is the sparse, atom-aligned solution, the pale rows without \
         augmentation are dense, noise-dominated neurons.*\n\n\
         ![training curves](figures/curves_random_mask_vs_none.svg)\n\n\
         *Loss (mean over each logging window), median alignment and mean cos(f(x), f(ξ)) against the SGD step.*\n\n\
         ![alignment histogram](figures/alignment_hist_random_mask_vs_none.svg)\n\n\
         *Distribution of the neurons' alignments max_j |cos(w_i, M_j)| at the end of training.*\n\n\
         Regenerate: `{cmd}`, or for one run `decouple plot RUN_DIR`. Runs: `{r0}/`, `{r1}/`.\n",
        seed = runs.group(0)[0].seed,
        d = s0.model.d as f64,
        d1 = s0.model.d1,
        m = s0.network.m,
        t = s0.train.steps,
        cmd = ctx.command(),
        r0 = ctx.rel(&pair[0].1),
        r1 = ctx.rel(&pair[1].1),
    ))
}
