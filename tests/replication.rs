//! The f32 replication of the quick audit (docs/THEORY.md §4.9): the quick audit run with
//! every SGD step in f32 gives every claim the verdict it has in f64, and the main runs'
//! summaries agree within stated tolerances.
//!
//! A command of its own, not part of `cargo test --release` (it runs the quick audit twice,
//! about 15 minutes on 2 cores): `cargo test --release --test replication -- --ignored`.
//! `.ci/run` runs it before the test command.

use decouple::config::Precision;
use decouple::sim::summary::Metric;

mod common;

use common::quick_audit as quick_in;

/// How far an f32 main run's summary may be from the f64 run of the same seed and arm.
/// The two runs see the same samples and masks and start from the same network up to
/// rounding; their trajectories then drift apart as SGD runs with a different rounding
/// do. The tolerances are a fraction of the margins the claims' thresholds leave (an
/// alignment or share threshold of 0.8–0.9 against medians of 0.93–0.96, probe
/// thresholds of 0.1–0.3 in error and accuracy), fixed before the comparison was run:
/// absolute for quantities in [0, 1], relative for losses.
const F32_TOLERANCES: [(Metric, f64, bool); 10] = [
    (Metric::AlignMedian, 0.03, false),
    (Metric::SparseShareMedian, 0.03, false),
    (Metric::FracAligned, 0.1, false),
    (Metric::NoiseCosMean, 0.03, false),
    (Metric::ProbeRegressionRelMse, 0.05, false),
    (Metric::ProbeClassificationAcc, 0.05, false),
    (Metric::AtomBestCosMedian, 0.03, false),
    (Metric::FinalLoss, 0.05, true),
    (Metric::EvalLoss, 0.05, true),
    (Metric::EvalLossUntrained, 1e-6, true),
];

/// The quick audit in f32 gives every claim the verdict it has in f64, and the main runs'
/// summaries agree within [`F32_TOLERANCES`].
///
/// One difference is allowed, and printed: a claim that is not reproduced in either
/// precision may be `inconclusive` in one and `refuted` in the other when every one of its
/// checks has overlapping intervals in the two. An f32 run is a replication with another
/// rounding; a statistic whose interval just straddles its threshold in one replication can
/// just miss it in the next (measured: aug.time_window, mean over 5 seeds 0.445 [0.331,
/// 0.560] in f64, 0.437 [0.392, 0.482] in f32, threshold 0.5). A claim reproduced in one
/// precision and not in the other always fails.
#[test]
#[ignore = "the f32 replication of the quick audit (15 minutes): cargo test --release --test replication -- --ignored"]
fn quick_audit_in_f32_gives_the_f64_verdicts() {
    use decouple::audit::check::Verdict;
    let (a, b) = (
        quick_in(None, "audit_quick_f64"),
        quick_in(Some(Precision::F32), "audit_quick_f32"),
    );
    let (a, b) = (&a, &b);
    let mut differ = Vec::new();
    for (x, y) in a.results.iter().zip(&b.results) {
        assert_eq!(x.claim.id(), y.claim.id());
        if x.verdict == y.verdict {
            continue;
        }
        let neither_reproduced = x.verdict != Verdict::Reproduced && y.verdict != Verdict::Reproduced;
        let overlapping = x.checks.len() == y.checks.len()
            && x.checks
                .iter()
                .zip(&y.checks)
                .all(|(c, d)| c.ends().0 <= d.ends().1 && d.ends().0 <= c.ends().1);
        let line = format!("{}: f64 {} | f32 {}", x.claim.id(), x.verdict, y.verdict);
        if neither_reproduced && overlapping {
            eprintln!("allowed (neither reproduced, intervals overlap): {line}");
        } else {
            differ.push(line);
        }
    }
    for augmented in [true, false] {
        for (r64, r32) in a.evidence.main(augmented).iter().zip(b.evidence.main(augmented)) {
            for (metric, tol, relative) in F32_TOLERANCES {
                let (u, v) = (r64.summary.get(metric), r32.summary.get(metric));
                let gap = if relative { ((v - u) / u).abs() } else { (v - u).abs() };
                if gap.is_nan() || gap > tol {
                    differ.push(format!(
                        "{} seed {}: {} f64 {u:.4} | f32 {v:.4} (gap {gap:.4} > {tol})",
                        r64.plan.settings.name,
                        r64.plan.settings.seed,
                        metric.name(),
                    ));
                }
            }
        }
    }
    assert!(differ.is_empty(), "f32 and f64 disagree:\n{}", differ.join("\n"));
}
