//! The contrast of the two theorems (docs/THEORY.md §2.4): paired on the same dictionary,
//! initialisation and data, RandomMask beats no augmentation. The untrained-network control
//! is the matched-weight comparison: at step 0 the two arms of a seed have the same W⁽⁰⁾
//! and differ only by the bias rule's noise scale (√2 larger with RandomMask), so a
//! control that passes says the bias alone makes the difference, not the augmentation.

use serde::Deserialize;

use super::{metric, seeds_of, About, Claim, Kind, Outcome};
use crate::audit::check::Checker;
use crate::audit::evidence::Evidence;
use crate::error::Result;
use crate::sim::summary::Metric;
use crate::stats::Direction::AtLeast;

/// `contrast.aug_beats_na`.
pub struct AugBeatsNa;

/// Thresholds of [`AugBeatsNa`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugBeatsNaThresholds {
    /// The least mean paired difference (in the direction where larger is better).
    pub margin: f64,
}

impl Claim for AugBeatsNa {
    type Thresholds = AugBeatsNaThresholds;
    const ABOUT: About = About {
        id: "contrast.aug_beats_na",
        kind: Kind::TrainedNetwork,
        statement:
            "paired on the same M, init and data, RandomMask beats no augmentation on every feature and probe metric",
        section: "4.2",
        result: "the two theorems contrasted (docs/THEORY.md §2.4)",
        setting: "theorem_aug.toml vs theorem_no_aug.toml, same seeds",
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let aug = ev.paired(true);
        let na = ev.main(false);
        let mut checks = Vec::new();
        for (key, name, higher_is_better) in [
            (Metric::AlignMedian, "median alignment", true),
            (Metric::AtomsCovered, "atoms covered", true),
            (Metric::SparseShareMedian, "median share on span(M)", true),
            (Metric::NoiseCosMean, "mean cos(f(x), f(xi))", false),
            (Metric::ProbeRegressionRelMse, "probe relative MSE", false),
            (Metric::ProbeClassificationAcc, "probe accuracy", true),
        ] {
            let mut diffs = Vec::new();
            for a in &aug {
                let seed = a.plan.settings.seed;
                let n = na.iter().find(|r| r.plan.settings.seed == seed).expect("paired seed");
                let d = metric(a, key) - metric(n, key);
                diffs.push(if higher_is_better { d } else { -d });
            }
            let what = format!(
                "paired difference in {name} ({})",
                if higher_is_better {
                    "aug - no aug"
                } else {
                    "no aug - aug"
                }
            );
            let check = c.t(&format!("{key}_better"), &what, &diffs, AtLeast, th.margin);
            checks.push(check);
        }
        Ok((checks, seeds_of(&aug)))
    }
}
