//! The peer simulation's variant (Pokle et al., AISTATS 2022): SimCLR's NT-Xent with a
//! trained bias, both arms, next to the numbers the peer published.

use crate::config::Settings;
use crate::error::Result;
use crate::io::write_atomic;
use crate::parallel;
use crate::report::progress::{ProgressEvent, SectionKind};
use crate::report::{Ctx, Section};
use crate::sim::summary::Metric;
use crate::sim::train::peer::{self, PeerOutput, PeerParams};
use crate::stats::mean_ci95;

/// The peer simulation's published per-atom numbers (max, median, min over atoms).
pub const PEER_PUBLISHED: [(&str, [f64; 3]); 2] = [("random_mask", [0.94, 0.90, 0.89]), ("none", [0.44, 0.29, 0.23])];

/// One peer run: its arm, settings and peer parameters.
type PeerTask = (&'static str, Settings, PeerParams);

/// The peer variant's runs: both arms, the report's seeds (arms outer).
fn peer_tasks(ctx: &Ctx<'_>) -> Result<Vec<PeerTask>> {
    let mut tasks = Vec::new();
    for arm in ["random_mask", "none"] {
        let path = ctx.experiments.join("ablations").join(format!("peer_{arm}.toml"));
        let (s, p) = peer::from_file(&path)?;
        for seed in ctx.seeds() {
            let mut s2 = s.clone();
            s2.seed = seed;
            tasks.push((arm, s2, p.clone()));
        }
    }
    Ok(tasks)
}

/// `peer.csv` (arm, seed, metric, value) and the Markdown table: per arm, the means over
/// seeds next to the peer's published numbers.
fn peer_tables(tasks: &[PeerTask], outs: &[PeerOutput]) -> (String, String) {
    let mut csv = String::from("arm,seed,metric,value\n");
    let mut md = String::from(
        "| arm | seeds | best \\|cos\\| per atom: max / median / min (this crate) | peer's published max / median / min | median alignment | atoms covered | mean bias | final loss |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (arm, published) in PEER_PUBLISHED {
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

/// The peer simulation's variant (SimCLR NT-Xent, trained bias), both arms with the
/// report's seeds; its table next to the peer's published numbers.
pub(super) fn peer_section(ctx: &Ctx<'_>) -> Result<Section> {
    let tasks = peer_tasks(ctx)?;
    (ctx.progress)(ProgressEvent::SectionStarted {
        section: SectionKind::Peer,
        name: "peer",
        runs: tasks.len(),
    });
    let results = parallel::map(&tasks, ctx.jobs, |(_, s, p)| peer::run(s, p), |_| {});
    let mut outs = Vec::new();
    for r in results {
        outs.push(r?);
    }
    (ctx.progress)(ProgressEvent::SectionFinished {
        section: SectionKind::Peer,
    });
    let (csv, md) = peer_tables(&tasks, &outs);
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
        title: "The peer simulation's variant (SimCLR NT-Xent, trained bias)".into(),
        markdown: peer_markdown(ctx, &tasks[0], &md, &sentence),
    })
}

/// The peer section's text around its table.
fn peer_markdown(ctx: &Ctx<'_>, first: &PeerTask, md: &str, sentence: &str) -> String {
    let (s, p) = (&first.1, &first.2);
    let seeds = ctx.seeds();
    format!(
        "The peer simulation's variant (Pokle et al., AISTATS 2022), trained by `src/peer.rs`: exactly \
         k = {k} nonzeros per z, a bias trained by SGD (initialised at {bi}), SimCLR's symmetric NT-Xent on \
         cosine similarity (τ = {tau}) with the gradient through both views, no StopGrad, no weight decay; \
         d1 = {d1}, d = {d}, m = {m}, a fixed dataset of n = {n} samples, batch {b}, lr {lr}, {ep} epochs of \
         plain SGD. The metric is, for each atom, the best |cos(w_i, M_j)| over the neurons (max / median / min \
         over atoms), measured the same way as everywhere else in this crate. k = {k} is this crate's choice \
         (the peer's exact k was not checked against their paper). No probes are run for this variant.\n\n\
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
