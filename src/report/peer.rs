//! The peer simulation (Pokle et al., AISTATS 2022): its exact setting
//! (`experiments/peer/exact_*.toml`) over five seeds beside the peer's own code run at the
//! same setting (`experiments/peer/peer_code.csv`, written by `scripts/peer/run_peer.py`),
//! and this crate's earlier variant (SimCLR's NT-Xent with a trained bias, our choices of
//! k, noise and init). Every number is labelled by where it comes from.

use std::path::{Path, PathBuf};

use crate::config::{Override, Settings};
use crate::error::Result;
use crate::exec::progress::ProgressEvent;
use crate::exec::{Job, Outcome};
use crate::io::write_atomic;
use crate::report::format;
use crate::report::{Ctx, Section};
use crate::sim::summary::Metric;
use crate::sim::train::peer::{self, PeerOutput, PeerParams};
use crate::stats::mean_ci95;

/// Per-atom numbers (max, median, min over atoms) from a re-run of the peer's code with
/// batch norm, recorded by an earlier session of this project: not from the peer's paper.
pub const PEER_RERUN_BN: [(&str, [f64; 3]); 2] = [("random_mask", [0.94, 0.90, 0.89]), ("none", [0.44, 0.29, 0.23])];

/// The seeds of the peer's exact setting (the peer's own code uses seeds 1..=5).
pub const EXACT_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The exact setting's files under the experiments folder, by arm.
pub const EXACT_FILES: [(&str, &str); 2] = [
    ("random_mask", "peer/exact_random_mask.toml"),
    ("none", "peer/exact_none.toml"),
];

/// The peer's own code's numbers at the exact setting, under the experiments folder.
pub const PEER_CODE_CSV: &str = "peer/peer_code.csv";

/// The runs of one peer experiment file over seeds.
#[derive(Debug, Clone)]
pub struct PeerArm {
    /// The file.
    pub file: PathBuf,
    /// One output per seed, in seed order.
    pub outs: Vec<PeerOutput>,
}

/// The jobs of peer experiment files (each with a `[peer]` table) under `seeds`, files
/// outer, seeds inner; every run is deterministic in its file and seed.
pub fn peer_jobs(files: &[PathBuf], seeds: &[u64], sets: &[Override]) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for f in files {
        let (s, p) = peer::from_file_with(f, sets)?;
        for &seed in seeds {
            let mut s2 = s.clone();
            s2.seed = seed;
            jobs.push(Job::peer(s2, p.clone())?);
        }
    }
    Ok(jobs)
}

/// The outcomes of [`peer_jobs`] grouped by file.
pub fn peer_arms(files: &[PathBuf], seeds: &[u64], outcomes: &[Outcome]) -> Vec<PeerArm> {
    files
        .iter()
        .zip(outcomes.chunks(seeds.len().max(1)))
        .map(|(f, chunk)| PeerArm {
            file: f.clone(),
            outs: chunk
                .iter()
                .map(|o| o.peer().cloned().expect("a peer job gives a peer output"))
                .collect(),
        })
        .collect()
}

/// One row of the exact-setting table: per-atom max / median / min, final loss, run time.
fn exact_row(source: &str, arm: &str, cols: &[Vec<f64>; 5]) -> String {
    format!(
        "| {source} | {arm} | {} | {} / {} / {} | {} | {:.1} s |\n",
        cols[0].len(),
        format::mean_interval(mean_ci95(&cols[0]), 2),
        format::mean_interval(mean_ci95(&cols[1]), 2),
        format::mean_interval(mean_ci95(&cols[2]), 2),
        format::mean_interval(mean_ci95(&cols[3]), 3),
        crate::stats::summaries::mean(&cols[4]),
    )
}

/// One arm of the peer's own code: the arm, its five columns over seeds (per-atom max,
/// median, min, final loss, wall seconds) and where the numbers come from (commit, torch).
pub type PeerCodeArm = (String, [Vec<f64>; 5], String);

/// The peer's own code's rows from `peer_code.csv` (arm, seed, atom_best_cos_max,
/// atom_best_cos_median, atom_best_cos_min, final_loss, wall_seconds, peer_commit, torch):
/// per arm the five columns and the commit and torch version; `None` if the file is absent.
pub fn read_peer_code(path: &Path) -> Result<Option<Vec<PeerCodeArm>>> {
    if !path.exists() {
        return Ok(None);
    }
    let bad = |m: String| crate::error::Error::ConfigParse {
        path: path.to_path_buf(),
        message: m,
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let mut arms: Vec<PeerCodeArm> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        if rec.len() < 9 {
            return Err(bad(format!(
                "line {}: 9 columns expected",
                rec.position().map_or(0, |p| p.line())
            )));
        }
        let num = |k: usize| rec[k].parse::<f64>().map_err(|e| bad(format!("`{}`: {e}", &rec[k])));
        let vals = [num(2)?, num(3)?, num(4)?, num(5)?, num(6)?];
        let label = format!("commit {}, torch {}", &rec[7], &rec[8]);
        let k = match arms.iter().position(|(a, _, _)| a == &rec[0]) {
            Some(k) => k,
            None => {
                arms.push((rec[0].to_string(), Default::default(), label));
                arms.len() - 1
            }
        };
        for (col, v) in arms[k].1.iter_mut().zip(vals) {
            col.push(v);
        }
    }
    Ok(Some(arms))
}

/// The columns of [`exact_row`] from this crate's runs.
fn crate_columns(outs: &[PeerOutput]) -> [Vec<f64>; 5] {
    let col = |k: Metric| outs.iter().map(|o| o.summary().get(k)).collect::<Vec<_>>();
    [
        col(Metric::AtomBestCosMax),
        col(Metric::AtomBestCosMedian),
        col(Metric::AtomBestCosMin),
        col(Metric::FinalLoss),
        outs.iter().map(|o| o.wall_seconds).collect(),
    ]
}

/// The exact-setting table: per arm, this crate's runs and (if given) the peer's own code.
pub fn exact_table(arms: &[(String, &PeerArm)], peer_code: Option<&[PeerCodeArm]>) -> String {
    let mut md = String::from(
        "| source | arm | seeds | best \\|cos\\| per atom: max / median / min, mean [95% CI] | final loss, mean [95% CI] | run time per seed |\n|---|---|---|---|---|---|\n",
    );
    for (arm, a) in arms {
        md.push_str(&exact_row(
            &format!("this crate (`{}`)", a.file.display()),
            arm,
            &crate_columns(&a.outs),
        ));
        if let Some((_, cols, label)) = peer_code.and_then(|p| p.iter().find(|(x, _, _)| x == arm)) {
            md.push_str(&exact_row(
                &format!("the peer's own code ({label}; `{PEER_CODE_CSV}`)"),
                arm,
                cols,
            ));
        }
    }
    md
}

/// One peer run: its arm, settings and peer parameters.
type PeerTask = (&'static str, Settings, PeerParams);

/// The peer variant's runs: both arms, the report's seeds (arms outer).
fn peer_tasks(ctx: &Ctx<'_>) -> Result<Vec<PeerTask>> {
    let mut tasks = Vec::new();
    for arm in ["random_mask", "none"] {
        let path = ctx.experiments.join("ablations").join(format!("peer_{arm}.toml"));
        let (s, p) = peer::from_file_with(&path, ctx.sets)?;
        for seed in ctx.seeds() {
            let mut s2 = s.clone();
            s2.seed = seed;
            tasks.push((arm, s2, p.clone()));
        }
    }
    Ok(tasks)
}

/// `peer.csv` (arm, seed, metric, value) and the Markdown table: per arm, the means over
/// seeds next to the numbers of a re-run of the peer's code with batch norm.
fn peer_tables(tasks: &[PeerTask], outs: &[PeerOutput]) -> (String, String) {
    let mut csv = String::from("arm,seed,metric,value\n");
    let mut md = String::from(
        "| arm | seeds | best \\|cos\\| per atom: max / median / min (this crate's variant) | a re-run of the peer's code with batch norm (earlier session, not the paper) | median alignment | atoms covered | mean bias | final loss |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (arm, published) in PEER_RERUN_BN {
        let group: Vec<_> = tasks
            .iter()
            .zip(outs)
            .filter(|((a, _, _), _)| *a == arm)
            .map(|(_, o)| o)
            .collect();
        for o in &group {
            for (k, v) in o.summary().rows() {
                csv.push_str(&format!("{arm},{},{k},{v}\n", o.settings.seed));
            }
        }
        let m = |k: Metric| mean_ci95(&group.iter().map(|o| o.summary().get(k)).collect::<Vec<_>>()).1;
        md.push_str(&format!(
            "| {arm} | {} | {:.2} / {:.2} / {:.2} | {:.2} / {:.2} / {:.2} | {:.2} | {:.1}/{} | {:.3} | {:.3} |\n",
            group.len(),
            m(Metric::AtomBestCosMax),
            m(Metric::AtomBestCosMedian),
            m(Metric::AtomBestCosMin),
            published[0],
            published[1],
            published[2],
            m(Metric::AlignMedian),
            m(Metric::AtomsCovered),
            group[0].settings.model.d,
            m(Metric::BiasMean),
            m(Metric::FinalLoss),
        ));
    }
    (csv, md)
}

/// `peer_exact.csv`: arm, seed, metric, value of the exact setting's runs.
fn exact_csv(arms: &[(String, &PeerArm)]) -> String {
    let mut csv = String::from("arm,seed,metric,value\n");
    for (arm, a) in arms {
        for o in &a.outs {
            let mut rows = o.summary();
            rows.push(Metric::WallSeconds, o.wall_seconds);
            for (k, v) in rows.rows() {
                csv.push_str(&format!("{arm},{},{k},{v}\n", o.settings.seed));
            }
        }
    }
    csv
}

/// The peer section, planned: the exact setting's files over five seeds, then this
/// crate's variant over the report's seeds (both in memory).
pub(super) struct PeerPlan {
    exact_files: Vec<PathBuf>,
    tasks: Vec<PeerTask>,
    /// The exact setting's jobs, then the variant's.
    pub(super) jobs: Vec<Job>,
}

/// Plan the peer section.
pub(super) fn plan(ctx: &Ctx<'_>) -> Result<PeerPlan> {
    let tasks = peer_tasks(ctx)?;
    let exact_files: Vec<PathBuf> = EXACT_FILES.iter().map(|(_, f)| ctx.experiments.join(f)).collect();
    let mut jobs = peer_jobs(&exact_files, &EXACT_SEEDS, ctx.sets)?;
    for (_, s, p) in &tasks {
        jobs.push(Job::peer(s.clone(), p.clone())?);
    }
    (ctx.progress)(ProgressEvent::Planned {
        name: "peer",
        runs: jobs.len(),
    });
    Ok(PeerPlan {
        exact_files,
        tasks,
        jobs,
    })
}

impl PeerPlan {
    /// The peer section from the outcomes of [`Self::jobs`]: the exact setting beside the
    /// peer's own code, then this crate's variant beside a re-run of the peer's code.
    pub(super) fn render(self, ctx: &Ctx<'_>, outcomes: &[Outcome]) -> Result<Section> {
        let n_exact = self.exact_files.len() * EXACT_SEEDS.len();
        let exact = peer_arms(&self.exact_files, &EXACT_SEEDS, &outcomes[..n_exact]);
        let outs: Vec<PeerOutput> = outcomes[n_exact..]
            .iter()
            .map(|o| o.peer().cloned().expect("a peer job gives a peer output"))
            .collect();
        peer_section(ctx, &self.tasks, &exact, &outs)
    }
}

/// The peer section of finished runs.
fn peer_section(ctx: &Ctx<'_>, tasks: &[PeerTask], exact: &[PeerArm], outs: &[PeerOutput]) -> Result<Section> {
    let arms: Vec<(String, &PeerArm)> = EXACT_FILES.iter().map(|(a, _)| a.to_string()).zip(exact).collect();
    let peer_code = read_peer_code(&ctx.experiments.join(PEER_CODE_CSV))?;
    let exact_md = exact_table(&arms, peer_code.as_deref());
    write_atomic(&ctx.out.join("peer_exact.csv"), exact_csv(&arms).as_bytes())?;
    let (csv, md) = peer_tables(tasks, outs);
    write_atomic(&ctx.out.join("peer.csv"), csv.as_bytes())?;
    let rm = &outs[0].features.summary;
    let none = &outs[ctx.seeds().len()].features.summary;
    let sentence = format!(
        "Here, with RandomMask the worst-learned atom reaches best |cos| {:.2} against {:.2} with identical views{}.",
        rm.atom_best_cos_min,
        none.atom_best_cos_min,
        if rm.atom_best_cos_min > none.atom_best_cos_min + 0.1 {
            " (the direction the peer reports)"
        } else {
            " (the peer's gap does not reproduce here)"
        }
    );
    Ok(Section {
        title: "The peer simulation (Pokle et al.): its exact setting, its own code, and this crate's variant".into(),
        markdown: format!(
            "{}\n### This crate's earlier variant\n\n{}",
            exact_markdown(ctx, &exact_md, peer_code.is_some(), &exact[0].outs[0]),
            peer_markdown(ctx, &tasks[0], &md, &sentence)
        ),
    })
}

/// The text around the exact setting's table.
fn exact_markdown(ctx: &Ctx<'_>, md: &str, have_peer_code: bool, first: &PeerOutput) -> String {
    let (s, p) = (&first.settings, &first.params);
    format!(
        "The peer's exact setting, as its public repository (ashwinipokle/contrastive_landscape) defines it \
         (`experiments/peer/exact_random_mask.toml`, `experiments/peer/exact_none.toml`, whose comments say which \
         part of the peer's code each key reproduces; the numbers here are those files' settings): d1 = {d1}, \
         d = {d}, m = {m}, a fixed set of n = {n} samples, z with exactly {k} nonzeros ({code:?} signs), noise \
         σ = {sigma:.4} per coordinate, neurons relu(⟨w,x⟩ + β) − relu(−⟨w,x⟩ + β) with β trained by SGD, \
         no batch norm, W ~ N(0, σ0²) with σ0 = {sigma0:.4}, NT-Xent (τ = {tau}, 2B − 2 negatives), plain SGD \
         (lr {lr}), batches of {b}{drop}, {epochs} epochs; RandomMask views 2Dx / 2(I − D)x against identical \
         views. Seeds {seeds:?}; intervals are 95% Student-t intervals over seeds; run times are \
         single-threaded wall times. Chance level of the loss: ln(2B − 1) = {chance:.3}.{code_text}\n\n{md}\n\
         Table: `peer_exact.csv`. Regenerate: `{cmd}`, or only this table: `decouple run \
         experiments/peer/exact_random_mask.toml experiments/peer/exact_none.toml --seeds 5`.\n",
        d1 = s.model.d1,
        d = s.model.d,
        m = s.network.m,
        n = p.n_samples,
        k = s.model.exact_k.map_or("p·d on average".to_string(), |k| k.to_string()),
        code = s.model.code,
        sigma = s.model.sigma_xi,
        sigma0 = s.network.sigma0,
        tau = s.train.tau,
        lr = s.train.lr,
        b = s.train.batch,
        drop = if p.drop_last { " with drop_last" } else { "" },
        epochs = p.epochs,
        seeds = EXACT_SEEDS,
        chance = (2.0 * s.train.batch as f64 - 1.0).ln(),
        code_text = if have_peer_code {
            " The peer's own code was run at the setting `scripts/peer/run_peer.py` fixes and the same seeds \
             (PyTorch on CPU); its numbers are read from `experiments/peer/peer_code.csv`, not recomputed by \
             this report (its run times are as recorded there, on a machine whose load this report does not \
             control). That file records no settings: rows written by the current script carry them in their \
             last columns, so that the two sides can be checked against each other."
        } else {
            " (`experiments/peer/peer_code.csv`, the peer's own code's numbers, is absent: run `scripts/peer/run_peer.py`.)"
        },
        cmd = ctx.command(),
    )
}

/// The peer section's text around its table.
fn peer_markdown(ctx: &Ctx<'_>, first: &PeerTask, md: &str, sentence: &str) -> String {
    let (s, p) = (&first.1, &first.2);
    let seeds = ctx.seeds();
    format!(
        "This crate's earlier variant of the peer simulation (Pokle et al., AISTATS 2022), trained by \
         `src/sim/train/peer.rs`: exactly \
         k = {k} nonzeros per z, a bias trained by SGD (initialised at {bi}), SimCLR's symmetric NT-Xent on \
         cosine similarity (τ = {tau}) with the gradient through both views, no StopGrad, no weight decay; \
         d1 = {d1}, d = {d}, m = {m}, a fixed dataset of n = {n} samples, batch {b}, lr {lr}, {ep} epochs of \
         plain SGD. The metric is, for each atom, the best |cos(w_i, M_j)| over the neurons (max / median / min \
         over atoms), measured the same way as everywhere else in this crate. k = {k} is this crate's choice \
         (the peer's code has k = 2, one +1 and one −1: the exact setting above). No probes are run for this variant.\n\n\
         {md}\n{sentence}\n\nTable: `peer.csv`. Regenerate: `{cmd}`. Settings: \
         `experiments/ablations/peer_random_mask.toml`, `experiments/ablations/peer_none.toml`, seed(s) {seeds:?}.\n",
        k = s.model.exact_k.unwrap_or(0),
        bi = p.bias_init,
        tau = s.train.tau,
        d1 = s.model.d1,
        d = s.model.d,
        m = s.network.m,
        n = p.n_samples,
        b = s.train.batch,
        lr = s.train.lr,
        ep = p.epochs,
        cmd = ctx.command(),
    )
}
