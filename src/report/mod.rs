//! The sections of REPORT.md: the scaling sweep (tables, slopes, figure), the figures of
//! one paired run, the ablations (table and one sentence each) and the peer simulation's
//! variant. Everything is run (or resumed from its records) under `out/`; tables are CSV,
//! figures SVG, and each section names the command that regenerates it and the runs behind
//! it.

pub mod figures;
pub mod scaling;
pub mod sweep;

use std::path::{Path, PathBuf};

use self::sweep::{RunRecord, SweepOptions, SweepSpec, SweepTable};
use crate::audit::scale::Scale;
use crate::config::{Config, Settings};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::parallel;
use crate::sim::summary::Metric;
use crate::sim::train::peer;

/// One section of the report.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading (without `#`).
    pub title: String,
    /// Body.
    pub markdown: String,
}

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

/// The peer simulation's published per-atom numbers (max, median, min over atoms).
pub const PEER_PUBLISHED: [(&str, [f64; 3]); 2] = [("random_mask", [0.94, 0.90, 0.89]), ("none", [0.44, 0.29, 0.23])];

fn experiments_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments")
}

fn rel(out: &Path, p: &Path) -> String {
    p.strip_prefix(out).unwrap_or(p).display().to_string()
}

/// The spot for the claims table (filled in by the claims audit).
/// The claim-by-claim audit at this scale (`experiments/audit_<scale>.toml`): its CSV
/// tables under `out/claims/` and the claims table as markdown.
fn claims_section(scale: Scale, out: &Path, jobs: usize, quiet: bool) -> Result<Section> {
    let file = experiments_dir().join(format!("audit_{}.toml", scale.name()));
    let audit = crate::audit::AuditFile::from_file(&file)?;
    let report = crate::audit::run_audit(audit, jobs, |done, total| {
        if !quiet {
            eprint!("\raudit: {done}/{total} simulations");
        }
    })?;
    if !quiet {
        eprintln!();
    }
    let dir = out.join("claims");
    let tables = crate::audit::write_report_tables(&dir, &report)?;
    crate::audit::write_audit(&dir.join("audit"), &report)?;
    let mut md = format!(
        "Every claim of the seed as a statistical check (`decouple audit --scale {}`; thresholds, \
         expectations and their reasons in `experiments/audit_{}.toml`). A claim is *reproduced* when \
         every one of its checks passes: a one-sided confidence bound beyond its threshold at \
         confidence 1 − α/S (α = {}, Bonferroni over the S statistical checks of the audit). The \
         columns show the claim's first check; `checks` counts the passed ones.\n\n\
         | claim | § | statistic | value | threshold | bound | checks | verdict | expected |\n|---|---|---|---|---|---|---|---|---|\n",
        scale.name(),
        scale.name(),
        report.audit.alpha
    );
    for r in crate::audit::claim_rows(&report) {
        md.push_str(&format!(
            "| `{}` | {} | {} | {:.4} | {} {:.4} | {:.4} | {} | {} | {} |\n",
            r.id,
            r.section,
            r.statistic.replace('|', "\\|"),
            r.value,
            r.direction,
            r.threshold,
            r.bound,
            r.checks_passed,
            r.verdict,
            r.expected
        ));
    }
    md.push_str("\nTables behind it (one per theorem / corollary of the seed):\n\n");
    for t in tables {
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        md.push_str(&format!("- [`claims/{name}`](claims/{name})\n"));
    }
    md.push_str(
        "- per-claim evidence: `claims/audit/evidence/<claim>.csv`; every simulation: `claims/audit/runs.csv`\n",
    );
    Ok(Section {
        title: "Claims".into(),
        markdown: md,
    })
}

/// Run (or resume) what `scale` needs under `out` and return the report's sections.
pub fn report_sections(scale: Scale, out: &Path, jobs: usize, quiet: bool) -> Result<Vec<Section>> {
    let mut sections = Vec::new();
    // The claims table goes first.
    sections.push(claims_section(scale, out, jobs, quiet)?);
    sections.push(scaling_section(scale, out, jobs, quiet)?);
    let (runs_section, ablation_section) = ablation_sections(scale, out, jobs, quiet)?;
    sections.push(runs_section);
    sections.push(ablation_section);
    sections.push(peer_section(scale, out, jobs)?);
    Ok(sections)
}

fn command(scale: Scale) -> String {
    format!("decouple report --scale {} --out DIR", scale.name())
}

fn scaling_section(scale: Scale, out: &Path, jobs: usize, quiet: bool) -> Result<Section> {
    let file = match scale {
        Scale::Quick => "scaling_d_quick.toml",
        Scale::Full => "scaling_d.toml",
    };
    let spec = SweepSpec::from_file(&experiments_dir().join(file))?;
    let opts = SweepOptions {
        jobs,
        shard: None,
        quiet,
    };
    if !quiet {
        eprintln!("scaling sweep {} ({} runs)", spec.name, spec.tasks()?.len());
    }
    let outcome = sweep::run_sweep(&spec, &out.join("sweeps"), &opts, |_, _| {})?;
    let table = SweepTable::read(&outcome.dir)?;
    let first = spec.cells();
    let lr = spec.resolve(&first[0], 1)?.train.lr;
    let (csv_t, csv_s, md) = scaling::tables(&table, "augmentation.kind", "model.d", lr);
    write_atomic(&out.join("scaling_table.csv"), csv_t.as_bytes())?;
    write_atomic(&out.join("scaling_slopes.csv"), csv_s.as_bytes())?;
    let fig = out.join("figures").join("scaling_vs_d.svg");
    figures::sweep_vs_d(&table, "augmentation.kind", "model.d", &scaling::SCALING_METRICS, &fig)?;
    let s0 = spec.resolve(&first[0], 1)?;
    let markdown = format!(
        "Sweep `experiments/{file}`: d over {ds:?}, d1 and m proportional to d (see the file), \
         {seeds} seeds per cell, both arms paired by seed (same M, W0 and data stream). \
         B = {b}, η = {lr}, τ = {tau}, T as in the file. Cells show the mean ± the half-width of a 95% \
         t-interval over seeds. `1 - cos(f(x), f(xi))` is one minus the mean cosine between the \
         representation of x and of its noise part alone (large = the features ignore the noise); \
         `steps to median alignment > 0.5` is the first logged step at which it happens (n/a = never \
         within T), next to the paper's time scale d/η; `atoms covered` counts atoms that are the best \
         atom of some neuron aligned above 0.5. Slopes are OLS fits of ln(metric) on ln(d) over the \
         seed-level runs, with 95% t-intervals.\n\n{md}\n\n\
         ![metrics against d](figures/scaling_vs_d.svg)\n\n\
         *Each metric against d, log-log, cell means with 95% t-interval whiskers, one line per arm.*\n\n\
         Tables: `scaling_table.csv`, `scaling_slopes.csv`; per-run rows: `{sweep_csv}`.\n\n\
         Regenerate: `{cmd}` (or `decouple sweep experiments/{file} --out DIR/sweeps`). \
         Runs behind it: {n} records under `{runs}/<config hash>/` (manifest.json, record.json each); \
         this invocation simulated {ran} and resumed {skipped}.\n",
        ds = spec
            .axes
            .iter()
            .find(|(k, _)| k == "model.d")
            .map(|(_, v)| v.iter().map(sweep::value_text).collect::<Vec<_>>())
            .unwrap_or_default(),
        seeds = spec.seeds,
        b = s0.train.batch,
        tau = s0.train.tau,
        sweep_csv = rel(out, &outcome.dir.join("sweep.csv")),
        cmd = command(scale),
        n = outcome.rows,
        runs = rel(out, &outcome.dir.join("runs")),
        ran = outcome.ran,
        skipped = outcome.skipped,
    );
    Ok(Section {
        title: "The asymptotic picture: metrics against d".into(),
        markdown,
    })
}

fn seeds_for(scale: Scale) -> Vec<u64> {
    match scale {
        Scale::Quick => vec![1],
        Scale::Full => vec![1, 2, 3],
    }
}

fn load(file: &str, seed: u64) -> Result<Settings> {
    let mut cfg = Config::from_file(&experiments_dir().join("ablations").join(file))?;
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
    crate::stats::mean_ci95(&recs.iter().map(|r| r.metric(k)).collect::<Vec<_>>()).1
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

fn ablation_sections(scale: Scale, out: &Path, jobs: usize, quiet: bool) -> Result<(Section, Section)> {
    let seeds = seeds_for(scale);
    let mut settings = Vec::new();
    for (_, file, _) in ABLATIONS {
        for &s in &seeds {
            settings.push(load(file, s)?);
        }
    }
    let dir = out.join("ablations");
    if !quiet {
        eprintln!("ablations ({} runs)", settings.len());
    }
    let records = sweep::run_or_resume(&dir, &settings, jobs, quiet)?;
    let ns = seeds.len();
    let group = |k: usize| records[k * ns..(k + 1) * ns].iter().collect::<Vec<_>>();

    // ablations.csv: one row per run.
    let mut csv = String::from("ablation,file,seed");
    for (k, _) in ABLATION_METRICS {
        csv.push_str(&format!(",{k}"));
    }
    csv.push_str(",config_hash\n");
    for (a, (id, file, _)) in ABLATIONS.iter().enumerate() {
        for r in group(a) {
            csv.push_str(&format!("{id},{file},{}", r.seed));
            for (k, _) in ABLATION_METRICS {
                csv.push_str(&format!(",{}", r.metric(k)));
            }
            csv.push_str(&format!(",{}\n", r.hash));
        }
    }
    write_atomic(&out.join("ablations.csv"), csv.as_bytes())?;

    let base = group(0);
    let d = settings[0].model.d as f64;
    let (a0, c0, x0, m0) = (
        mean_of(&base, Metric::AlignMedian),
        mean_of(&base, Metric::AtomsCovered),
        mean_of(&base, Metric::OneMinusNoiseCos),
        mean_of(&base, Metric::ProbeRegressionRelMse),
    );
    let mut md = String::from("| ablation | file |");
    for (_, label) in ABLATION_METRICS {
        md.push_str(&format!(" {label} |"));
    }
    md.push('\n');
    md.push_str(&"|---".repeat(2 + ABLATION_METRICS.len()));
    md.push_str("|\n");
    let mut sentences = String::new();
    for (a, (id, file, what)) in ABLATIONS.iter().enumerate() {
        let g = group(a);
        md.push_str(&format!("| {id} | `{file}` |"));
        for (k, _) in ABLATION_METRICS {
            let v = mean_of(&g, k);
            if k == Metric::AtomsCovered {
                md.push_str(&format!(" {v:.1}/{d} |"));
            } else {
                md.push_str(&format!(" {v:.3} |"));
            }
        }
        md.push('\n');
        let (al, co, x, mse) = (
            mean_of(&g, Metric::AlignMedian),
            mean_of(&g, Metric::AtomsCovered),
            mean_of(&g, Metric::OneMinusNoiseCos),
            mean_of(&g, Metric::ProbeRegressionRelMse),
        );
        if a == 0 {
            sentences.push_str(&format!(
                "- **{id}** ({what}): median alignment {al:.2}, {co:.0}/{d} atoms covered, 1 - cos {x:.2}, probe rel. MSE {mse:.2}: {}.\n",
                verdict(al, co, d, mse, m0)
            ));
        } else {
            sentences.push_str(&format!(
                "- **{id}** ({what}): median alignment {al:.2} (baseline {a0:.2}), {co:.0}/{d} atoms covered ({c0:.0}), \
                 1 - cos {x:.2} ({x0:.2}), probe rel. MSE {mse:.2} ({m0:.2}): {}.\n",
                verdict(al, co, d, mse, m0)
            ));
        }
    }
    let manifest: Vec<String> = ABLATIONS
        .iter()
        .enumerate()
        .flat_map(|(a, (id, _, _))| {
            group(a)
                .into_iter()
                .map(move |r| format!("{id} seed {}: `ablations/runs/{}/`", r.seed, r.hash))
                .collect::<Vec<_>>()
        })
        .collect();
    let s0 = &settings[0];
    let abl = format!(
        "Each row is one experiment file under `experiments/ablations/`, run with seed(s) {seeds:?}, paired \
         with the baseline by seed (same dictionary, initial weights and data stream wherever the \
         setting allows). Sizes: d = {d}, d1 = {d1}, m = {m}, B = {b}, T = {t}, η = {lr}, τ = {tau}. \
         Values are means over the seeds. The sentence under each row applies one fixed rule \
         (\"learned\" = median alignment > 0.5 and ≥ 90% atoms covered; probes compared with the \
         baseline's relative MSE with a ±0.05 band); nothing was tuned per row.\n\n{md}\n{sentences}\n\
         Table: `ablations.csv` (one row per run). Regenerate: `{cmd}`, or one row with \
         `decouple run experiments/ablations/<file> --seed S`.\n\nRuns behind it:\n\n{list}\n",
        d1 = s0.model.d1,
        m = s0.network.m,
        b = s0.train.batch,
        t = s0.train.steps,
        lr = s0.train.lr,
        tau = s0.train.tau,
        cmd = command(scale),
        list = manifest.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n"),
    );

    // Figures of one paired run: the baseline (RandomMask) and the no-augmentation arm.
    let figs = out.join("figures");
    let pair = vec![
        (
            "RandomMask (baseline)".to_string(),
            dir.join("runs").join(&group(0)[0].hash),
        ),
        ("no augmentation".to_string(), dir.join("runs").join(&group(1)[0].hash)),
    ];
    figures::heatmap(&pair, &figs.join("heatmap_random_mask_vs_none.svg"))?;
    figures::curves(&pair, &figs.join("curves_random_mask_vs_none.svg"))?;
    figures::alignment_histogram(&pair, &figs.join("alignment_hist_random_mask_vs_none.svg"))?;
    let runs_md = format!(
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
        seed = group(0)[0].seed,
        d1 = s0.model.d1,
        m = s0.network.m,
        t = s0.train.steps,
        cmd = command(scale),
        r0 = rel(out, &pair[0].1),
        r1 = rel(out, &pair[1].1),
    );
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

fn peer_section(scale: Scale, out: &Path, jobs: usize) -> Result<Section> {
    let seeds = seeds_for(scale);
    let mut tasks = Vec::new();
    for arm in ["random_mask", "none"] {
        let path = experiments_dir().join("ablations").join(format!("peer_{arm}.toml"));
        let (s, p) = peer::from_file(&path)?;
        for &seed in &seeds {
            let mut s2 = s.clone();
            s2.seed = seed;
            tasks.push((arm, s2, p.clone()));
        }
    }
    let results = parallel::map(&tasks, jobs, |(_, s, p)| peer::run(s, p), |_| {});
    let mut csv = String::from("arm,seed,metric,value\n");
    let mut md = String::from(
        "| arm | seeds | best \\|cos\\| per atom: max / median / min (this crate) | peer's published max / median / min | median alignment | atoms covered | mean bias | final loss |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut outs = Vec::new();
    for r in results {
        outs.push(r?);
    }
    for (arm, published) in PEER_PUBLISHED {
        let group: Vec<_> = tasks
            .iter()
            .zip(&outs)
            .filter(|((a, _, _), _)| *a == arm)
            .map(|(_, o)| o)
            .collect();
        for o in &group {
            for (k, v) in o.summary().rows() {
                csv.push_str(&format!("{arm},{},{k},{v}\n", o.settings.seed));
            }
        }
        let m = |k: Metric| crate::stats::mean_ci95(&group.iter().map(|o| o.summary().get(k)).collect::<Vec<_>>()).1;
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
    write_atomic(&out.join("peer.csv"), csv.as_bytes())?;
    let (s, p) = (&tasks[0].1, &tasks[0].2);
    let rm = &outs[0].features.summary;
    let none = &outs[seeds.len()].features.summary;
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
    let markdown = format!(
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
        cmd = command(scale),
    );
    Ok(Section {
        title: "The peer simulation's variant (SimCLR NT-Xent, trained bias)".into(),
        markdown,
    })
}

/// REPORT.md from the sections (with the claims spot at the top when it is empty).
pub fn render(scale: Scale, sections: &[Section], wall_seconds: f64) -> String {
    let mut md = format!(
        "# decouple: report ({} scale)\n\n\
         Generated by `decouple report --scale {}` in {:.0} s. Every number below comes from a seeded, \
         deterministic run whose tables and manifest sit next to this file.\n\n",
        scale.name(),
        scale.name(),
        wall_seconds
    );
    for s in sections {
        md.push_str(&format!("## {}\n\n{}\n", s.title, s.markdown));
    }
    md
}

/// Turn a missing-experiments error into a clear message (the report reads the crate's files).
pub fn check_experiments() -> Result<()> {
    let d = experiments_dir();
    if !d.join("ablations").is_dir() {
        return Err(Error::Sweep(format!("{} has no ablations/ folder", d.display())));
    }
    Ok(())
}
