//! `aug.time_window`: the decomposition holds throughout a time window (docs/THEORY.md
//! §2.2).
//!
//! The time window starts at formation: the first logged step from which the
//! decomposition's checks (median alignment, share on span(M), every atom covered) hold on
//! k consecutive logged steps; the check covers what the runs reach of [t_f, t_f·d^0.98]
//! and is named for it. The literal window [d^1.01/η, d^1.99/η] is reported against the
//! measured formation for each η (the theorem's constants are hidden: formation·η/d is
//! what compares).

use serde::Deserialize;

use crate::audit::check::Checker;
use crate::audit::claims::{seeds_of, About, Claim, Kind, Outcome};
use crate::audit::evidence::{Evidence, FinishedRun};
use crate::audit::plan::Series;
use crate::audit::preconditions::judged_on;
use crate::error::Result;
use crate::sim::train::executor::LogRow;
use crate::stats::Direction::AtLeast;

use super::THEOREM;

/// `aug.time_window`.
pub struct TimeWindow;

/// Thresholds of [`TimeWindow`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowThresholds {
    /// The decomposition "holds" at a logged step: median alignment above this, ...
    pub align_min: f64,
    /// ... median share of ‖w_i‖² on span(M) at least this, and every atom covered.
    pub share_min: f64,
    /// Formation: the first logged step from which the decomposition holds on this many
    /// consecutive logged steps (hysteresis against a noisy first crossing).
    pub formation_rows: f64,
    /// The window spans a factor d^window_exponent from the step it forms.
    pub window_exponent: f64,
}

/// One run's window.
struct Window {
    /// The worst median alignment in the part of the window the run reached (0 at a
    /// logged step where the decomposition's other parts fail, or if it never formed).
    worst: f64,
    /// Formation step (None: never formed).
    formed: Option<f64>,
    /// The factor of the window the run covers: min(T, t_f·d^e) / t_f.
    covered: f64,
    /// A note.
    note: String,
}

/// Whether the decomposition holds at a logged step.
fn holds(row: &LogRow, d: usize, th: &TimeWindowThresholds) -> bool {
    row.features.align_median > th.align_min && holds_apart_from_alignment(row, d, th)
}

/// Whether the decomposition's parts other than the alignment hold at a logged step.
fn holds_apart_from_alignment(row: &LogRow, d: usize, th: &TimeWindowThresholds) -> bool {
    row.features.sparse_share_median >= th.share_min && row.features.atoms_covered == d
}

/// The formation step of a run: the first logged step (after step 0) that starts
/// `formation_rows` consecutive logged steps where the decomposition holds.
pub fn formation_step(log: &[LogRow], d: usize, th: &TimeWindowThresholds) -> Option<usize> {
    let k = (th.formation_rows.max(1.0)) as usize;
    let rows: Vec<&LogRow> = log.iter().filter(|r| r.step > 0).collect();
    rows.windows(k)
        .find(|w| w.iter().all(|r| holds(r, d, th)))
        .map(|w| w[0].step)
}

fn window_of(r: &FinishedRun, th: &TimeWindowThresholds) -> Window {
    let s = &r.plan.settings;
    let d = s.model.d;
    let width = (d as f64).powf(th.window_exponent);
    let log = &r.output.log;
    let last = log.last().map_or(0, |l| l.step) as f64;
    let Some(t0) = formation_step(log, d, th) else {
        return Window {
            worst: 0.0,
            formed: None,
            covered: 0.0,
            note: format!("eta {} seed {}: never formed (T = {last})", s.train.lr, s.seed),
        };
    };
    let t0 = t0 as f64;
    let end = t0 * width;
    let (m, at) = log
        .iter()
        .filter(|row| row.step as f64 >= t0 && row.step as f64 <= end)
        .map(|row| {
            let ok = holds_apart_from_alignment(row, d, th);
            (if ok { row.features.align_median } else { 0.0 }, row.step)
        })
        .fold((f64::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a });
    Window {
        worst: m,
        formed: Some(t0),
        covered: end.min(last) / t0,
        note: format!(
            "eta {} seed {}: formed at {t0} (eta t_f / d = {:.1}), window end {end:.0} (T = {last}), min {m:.3} at step {at}",
            s.train.lr,
            s.seed,
            s.train.lr * t0 / d as f64
        ),
    }
}

/// Per η: the median formation step, η·t_f/d, and the literal window [d^1.01/η, d^1.99/η].
fn literal_window_note(runs: &[&FinishedRun], windows: &[Window]) -> String {
    let mut lrs: Vec<f64> = runs.iter().map(|r| r.plan.settings.train.lr).collect();
    lrs.sort_by(f64::total_cmp);
    lrs.dedup();
    lrs.iter()
        .map(|&lr| {
            let formed: Vec<f64> = runs
                .iter()
                .zip(windows)
                .filter(|(r, _)| r.plan.settings.train.lr == lr)
                .filter_map(|(_, w)| w.formed)
                .collect();
            let d = runs.first().map_or(1, |r| r.plan.settings.model.d) as f64;
            let t = crate::stats::median(&formed);
            format!(
                "eta {lr}: median formation {t:.0} steps (eta t_f / d = {:.1}; {} of {} runs formed); literal window [d^1.01/eta, d^1.99/eta] = [{:.0}, {:.0}]",
                lr * t / d,
                formed.len(),
                runs.iter().filter(|r| r.plan.settings.train.lr == lr).count(),
                d.powf(1.01) / lr,
                d.powf(1.99) / lr
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Claim for TimeWindow {
    type Thresholds = TimeWindowThresholds;
    const ABOUT: About = About {
        id: "aug.time_window",
        kind: Kind::TrainedNetwork,
        statement: "the decomposition holds throughout t in [d^1.01/eta, d^1.99/eta] (scaled: from the step it forms, for a factor d^0.98 longer)",
        section: "3.2",
        result: THEOREM,
        setting: "long RandomMask runs at small d and two learning rates, K seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let runs = ev.series(Series::TimeWindow);
        let windows: Vec<Window> = runs.iter().map(|r| window_of(r, th)).collect();
        // The seed is the unit: the runs of one seed at the learning rates share M, W0 and
        // the data, so a seed's value is its worst over them; runs that never formed have
        // no window and are reported, not counted.
        let mut seeds: Vec<u64> = runs.iter().map(|r| r.plan.settings.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        let worst: Vec<f64> = seeds
            .iter()
            .filter_map(|&seed| {
                runs.iter()
                    .zip(&windows)
                    .filter(|(r, w)| r.plan.settings.seed == seed && w.formed.is_some())
                    .map(|(_, w)| w.worst)
                    .reduce(f64::min)
            })
            .collect();
        let never = windows.iter().filter(|w| w.formed.is_none()).count();
        let d = runs.first().map_or(0, |r| r.plan.settings.model.d);
        let full = (d as f64).powf(th.window_exponent);
        // The part of the window every formed run reached (the check is named for it).
        let covered = windows
            .iter()
            .filter(|w| w.formed.is_some())
            .map(|w| w.covered)
            .fold(f64::INFINITY, f64::min);
        let whole = covered >= full * (1.0 - 1e-9);
        let name = if whole || !covered.is_finite() {
            "holds_in_window".to_string()
        } else {
            format!("holds_over_factor_{covered:.1}_of_window")
        };
        let first = c
            .t(
                &name,
                &format!(
                    "min over logged steps in [t_f, min(T, t_f d^{})] of the median alignment (0 where the share on span(M) < {} or an atom is uncovered), per seed the worst over its learning rates; t_f: first of {} consecutive logged steps where all hold; d = {d}; the runs cover a factor {covered:.1} of the window's d^{} = {full:.1}",
                    th.window_exponent, th.share_min, th.formation_rows, th.window_exponent
                ),
                &worst,
                AtLeast,
                th.align_min,
            )
            .within(0.0, 1.0);
        let mut first = judged_on(first, &runs, &ev.preconditions);
        first.note = format!(
            "{}{}; {}",
            if never > 0 {
                format!("{never} runs never formed (no window; left out); ")
            } else {
                String::new()
            },
            literal_window_note(&runs, &windows),
            windows.iter().map(|w| w.note.as_str()).collect::<Vec<_>>().join("; ")
        );
        Ok((vec![first], seeds_of(&runs)))
    }
}
