//! The sections of REPORT.md: the claims table, the scaling sweep (tables, slopes, figure),
//! the figures of one paired run, the ablations (table and one sentence each) and the peer
//! simulation's variant. Everything is run (or resumed from its records) under `out/`;
//! tables are CSV, figures SVG, and each section names the command that regenerates it and
//! the runs behind it. The experiment files are read from a folder given at run time
//! (`decouple report --experiments DIR`); progress goes to an observer
//! ([`crate::exec::progress::Progress`]), nothing here prints.

pub mod ablations;
pub mod claims;
pub mod compare;
pub mod figures;
pub mod format;
pub mod peer;
pub mod scaling;
pub mod speed;
mod theorem;

use std::path::Path;

use crate::audit::scale::Scale;
use crate::config::{Override, Seeds};
use crate::error::{Error, Result};
use crate::exec::progress::Progress;
use crate::exec::{Job, Launcher, Outcome};

/// One section of the report.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading (without `#`).
    pub title: String,
    /// Body.
    pub markdown: String,
}

/// What every section needs: the scale, the experiment files, the output folder, the
/// `--set` overrides of every experiment and the observer.
struct Ctx<'a> {
    scale: Scale,
    experiments: &'a Path,
    out: &'a Path,
    sets: &'a [Override],
    progress: Progress<'a>,
}

impl Ctx<'_> {
    /// `p` relative to the output folder (as REPORT.md links it).
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(self.out).unwrap_or(p).display().to_string()
    }

    /// The command that regenerates the report.
    fn command(&self) -> String {
        format!("decouple report --scale {} --out DIR", self.scale.name())
    }

    /// The seeds of the ablations and the peer section.
    fn seeds(&self) -> Vec<u64> {
        let count = match self.scale {
            Scale::Quick => 1,
            Scale::Full => 3,
        };
        Seeds::consecutive(1, count, "report seeds")
            .expect("a small count from seed 1")
            .to_vec()
    }
}

/// What a report's one launch did: the numbers `decouple report` prints at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaunchStats {
    /// Simulations the report needs.
    pub simulations: usize,
    /// Of which simulated now (the rest resumed from their records).
    pub ran: usize,
    /// Seconds the simulations run now took, summed (core-seconds).
    pub core_seconds: f64,
    /// Wall seconds of the launch.
    pub launch_seconds: f64,
    /// Simulations side by side.
    pub jobs: usize,
}

impl LaunchStats {
    /// core-seconds / (`wall_seconds` × jobs): how busy the cores were over `wall_seconds`.
    pub fn utilisation(&self, wall_seconds: f64) -> f64 {
        self.core_seconds / (wall_seconds * self.jobs as f64).max(f64::MIN_POSITIVE)
    }
}

/// Every section of a report, planned: the files read and checked, every simulation made
/// a job, nothing written yet ([`plan_report`]); [`ReportPlan::run`] launches and renders.
pub struct ReportPlan<'a> {
    ctx: Ctx<'a>,
    claims: claims::ClaimsPlan,
    scaling: scaling::ScalingPlan,
    ablations: ablations::AblationsPlan,
    peer: peer::PeerPlan,
}

/// Plan the report of `scale`: read the experiment files under `experiments` (the
/// repository's `experiments/` folder) with the `--set` overrides `sets` applied to every
/// experiment it runs (keys of an experiment file only: `train.steps`, `model.d1`, …),
/// and make every section's jobs; nothing is run or written. `progress` hears of each
/// section's plan.
pub fn plan_report<'a>(
    scale: Scale,
    experiments: &'a Path,
    out: &'a Path,
    sets: &'a [Override],
    progress: Progress<'a>,
) -> Result<ReportPlan<'a>> {
    const EXPERIMENT_KEYS: [&str; 6] = ["model", "network", "augmentation", "train", "metrics", "probe"];
    if let Some(o) = sets
        .iter()
        .find(|o| !EXPERIMENT_KEYS.contains(&o.key.split('.').next().unwrap_or("")))
    {
        return Err(Error::Override {
            text: o.to_string(),
            message: format!(
                "the report's overrides change every experiment it runs: use a key of an \
                 experiment file under one of {EXPERIMENT_KEYS:?}"
            ),
        });
    }
    let ctx = Ctx {
        scale,
        experiments,
        out,
        sets,
        progress,
    };
    Ok(ReportPlan {
        claims: claims::plan(&ctx)?,
        scaling: scaling::plan(&ctx)?,
        ablations: ablations::plan(&ctx)?,
        peer: peer::plan(&ctx)?,
        ctx,
    })
}

impl ReportPlan<'_> {
    /// Every job of the report, section by section (the audit, the scaling sweep, the
    /// ablations, the peer runs).
    pub fn jobs(&self) -> Vec<&Job> {
        [
            &self.claims.jobs,
            &self.scaling.jobs,
            &self.ablations.jobs,
            &self.peer.jobs,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Run (or resume) every section's simulations under the output folder in one launch
    /// on `jobs` threads, then render each section from its results.
    pub fn run(self, jobs: usize) -> Result<(Vec<Section>, LaunchStats)> {
        let ctx = &self.ctx;
        // One report per folder at a time: the lock is held to the last table.
        let _lock = crate::io::lock::lock_dir(ctx.out)?;
        let sweep = self.scaling.prepare()?;
        let parts = [
            &self.claims.jobs,
            &self.scaling.jobs,
            &self.ablations.jobs,
            &self.peer.jobs,
        ];
        let all: Vec<Job> = parts.iter().flat_map(|j| j.iter().cloned()).collect();
        let held = sweep.held();
        let launched = Launcher::new(jobs).observe(ctx.progress).holding(&held).launch(&all)?;
        let stats = LaunchStats {
            simulations: all.len(),
            ran: launched.ran,
            core_seconds: launched.core_seconds,
            launch_seconds: launched.wall_seconds,
            jobs: launched_jobs(jobs, all.len()),
        };
        // The outcomes, cut back into the sections' parts in the order they were joined.
        let mut bounds = vec![0];
        for p in parts {
            bounds.push(bounds.last().copied().unwrap_or(0) + p.len());
        }
        let slice = |k: usize| bounds[k]..bounds[k + 1];
        let outcomes = &launched.outcomes;
        let fresh = &launched.fresh;
        let complete = |k: usize| -> Vec<Outcome> { outcomes[slice(k)].iter().flatten().cloned().collect() };
        let mut sections = vec![self.claims.render(ctx, complete(0))?];
        sections.push(self.scaling.render(ctx, sweep, &outcomes[slice(1)], &fresh[slice(1)])?);
        let (runs_section, ablation_section) = self.ablations.render(ctx, &complete(2))?;
        sections.push(runs_section);
        sections.push(ablation_section);
        sections.push(self.peer.render(ctx, &complete(3))?);
        sections.push(speed::speed_section(ctx)?);
        Ok((sections, stats))
    }
}

/// Plan every section, run (or resume) their simulations under `out` in one launch on
/// `jobs` threads, then render each section ([`plan_report`], then [`ReportPlan::run`]).
pub fn report_sections(
    scale: Scale,
    experiments: &Path,
    out: &Path,
    jobs: usize,
    progress: Progress<'_>,
) -> Result<(Vec<Section>, LaunchStats)> {
    plan_report(scale, experiments, out, &[], progress)?.run(jobs)
}

/// The threads a launch of `n` jobs uses on `jobs` workers.
fn launched_jobs(jobs: usize, n: usize) -> usize {
    jobs.clamp(1, n.max(1))
}

/// REPORT.md from the sections (with the claims spot at the top when it is empty), opening
/// with its provenance ([`provenance_header`]).
pub fn render(scale: Scale, sections: &[Section], wall_seconds: f64, experiments: &Path) -> Result<String> {
    let mut md = format!(
        "# decouple: report ({} scale)\n\n\
         Generated by `decouple report --scale {}` in {:.0} s. Every number below comes from a seeded, \
         deterministic run whose tables and manifest sit next to this file.\n\n",
        scale.name(),
        scale.name(),
        wall_seconds
    );
    md.push_str(&provenance_header(scale, experiments)?);
    for s in sections {
        md.push_str(&format!("## {}\n\n{}\n", s.title, s.markdown));
    }
    Ok(md)
}

/// The provenance of a report: the build (commit, dirty flag, version, rustc), the machine
/// (CPU, host), when and how it was started, the scale, and the experiments folder it read
/// with a combined hash of its experiment files and the hash of each.
pub fn provenance_header(scale: Scale, experiments: &Path) -> Result<String> {
    let p = crate::io::Provenance::here();
    let (files, combined) = crate::io::provenance::folder_sources(experiments, &["toml", "csv"])?;
    let dirty = match p.build_dirty {
        Some(true) => " (with uncommitted changes)",
        Some(false) => "",
        None => " (dirty flag unknown)",
    };
    let mut md = format!(
        "**Provenance.** Commit `{}`{dirty}, decouple {}, {} ({} build); CPU {} ({}), host `{}`; \
         started {}; command `{}`; scale {}. Experiments folder `{}`, combined hash `{combined}` \
         (FNV-1a of the lines `<path> <hash>` below):\n\n",
        p.build_commit,
        crate::io::provenance::CRATE_VERSION,
        p.rustc,
        p.build_profile,
        p.cpu_model,
        if p.cpu_vector_extensions.is_empty() {
            "no avx512f/avx2/fma/neon".to_string()
        } else {
            p.cpu_vector_extensions.join(", ")
        },
        p.host,
        p.started_utc,
        crate::io::provenance::command_line(),
        scale.name(),
        experiments.display(),
    );
    md.push_str("<details><summary>experiment files and their FNV-1a hashes</summary>\n\n");
    for f in &files {
        let rel = f.path.strip_prefix(experiments).unwrap_or(&f.path);
        md.push_str(&format!("- `{}` `{}`\n", rel.display(), f.fnv1a64));
    }
    md.push_str("\n</details>\n\n");
    Ok(md)
}

/// Check that `experiments` is the experiments folder the report reads (it has an
/// `ablations/` folder); the error names the path.
pub fn check_experiments(experiments: &Path) -> Result<()> {
    if !experiments.is_dir() {
        return Err(Error::Sweep(format!(
            "experiments folder {} does not exist (pass --experiments DIR, the repository's experiments/ folder)",
            experiments.display()
        )));
    }
    if !experiments.join("ablations").is_dir() {
        return Err(Error::Sweep(format!(
            "{} has no ablations/ folder (pass --experiments DIR, the repository's experiments/ folder)",
            experiments.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header names the folder, a combined hash and every experiment file's hash.
    #[test]
    fn the_provenance_header_lists_the_experiment_files() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("ablations")).unwrap();
        std::fs::write(tmp.path().join("a.toml"), "name = \"a\"\n").unwrap();
        std::fs::write(tmp.path().join("ablations/b.toml"), "x").unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "not an experiment").unwrap();
        let md = provenance_header(Scale::Quick, tmp.path()).unwrap();
        let hash = |b: &[u8]| format!("{:016x}", crate::io::hash::fnv1a64(b));
        assert!(
            md.contains(&format!("- `a.toml` `{}`", hash(b"name = \"a\"\n"))),
            "{md}"
        );
        assert!(md.contains(&format!("- `ablations/b.toml` `{}`", hash(b"x"))), "{md}");
        assert!(!md.contains("notes.txt"), "{md}");
        assert!(
            md.contains(crate::io::provenance::BUILD_COMMIT) && md.contains("scale quick"),
            "{md}"
        );
        // Another file's bytes change the combined hash.
        std::fs::write(tmp.path().join("a.toml"), "name = \"b\"\n").unwrap();
        let combined = |m: &str| m.split("combined hash `").nth(1).unwrap()[..16].to_string();
        assert_ne!(
            combined(&md),
            combined(&provenance_header(Scale::Quick, tmp.path()).unwrap())
        );
    }
}
