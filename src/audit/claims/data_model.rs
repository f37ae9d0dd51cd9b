//! Claims about the data model alone (docs/THEORY.md §1.1): the dense noise dominates the
//! norm, and the sparse features are still visible through their atoms.
//!
//! Each check is made in every regime of d1 the audit file names — the theory's
//! d1 = poly(d) (d1 = d²) and the trained runs' d1 = 8d — and carries the regime in its
//! name, so the claims table can say in which regime the claim holds. The samples of the
//! data model are independent draws, so proportions over them are pooled
//! (Clopper–Pearson).

use serde::Deserialize;

use super::{data_log_points, About, Claim, Kind, Outcome};
use crate::audit::check::{Check, Checker};
use crate::audit::evidence::Evidence;
use crate::error::Result;
use crate::stats::Direction::{AtLeast, AtMost};

const RESULT: &str = "the sparse coding data model (docs/THEORY.md §1.1)";
const SETTING: &str = "data model alone, sweep over d, in each regime of d1 (d1 = d^2 and d1 = 8d)";

/// `data.noise_dominates`.
pub struct NoiseDominates;

/// Thresholds of [`NoiseDominates`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseDominatesThresholds {
    /// "≫": the least ‖ξ‖²/‖Mz‖² that counts as dominating.
    pub ratio_min: f64,
    /// "w.h.p.": the least fraction of samples.
    pub frac_min: f64,
    /// "grows as poly(d)": the least log-log slope.
    pub ratio_slope_min: f64,
}

impl Claim for NoiseDominates {
    type Thresholds = NoiseDominatesThresholds;
    const ABOUT: About = About {
        id: "data.noise_dominates",
        kind: Kind::DataModel,
        statement: "the dense noise dominates the norm: |xi|^2 >> |Mz|^2 w.h.p., and |xi|^2 grows as poly(d)",
        section: "2.1",
        result: RESULT,
        setting: SETTING,
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let mut checks: Vec<Check> = Vec::new();
        for regime in &ev.data {
            let last = regime.points.last().expect("data sweep has points");
            let ratio_min = th.ratio_min;
            let k = last.ratio.iter().filter(|&&r| r >= ratio_min).count() as u64;
            checks.push(
                c.proportion(
                    "dominates_at_largest_d",
                    &format!(
                        "fraction of samples with |xi|^2 >= {ratio_min} |Mz|^2 at d = {}, d1 = {}",
                        last.d, last.d1
                    ),
                    k,
                    last.ratio.len() as u64,
                    AtLeast,
                    th.frac_min,
                )
                .in_regime(&regime.name),
            );
            let (x, y) = data_log_points(&regime.points, |p| &p.ratio);
            checks.push(
                c.slope(
                    "ratio_grows",
                    "log |xi|^2/|Mz|^2 of every sample with z != 0 against log d",
                    &x,
                    &y,
                    AtLeast,
                    th.ratio_slope_min,
                )
                .in_regime(&regime.name),
            );
        }
        Ok((outside_regimes(checks, ev), "data".into()))
    }
}

/// `data.feature_correlation`.
pub struct FeatureCorrelation;

/// Thresholds of [`FeatureCorrelation`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureCorrelationThresholds {
    /// "Ω(1)": the least |⟨Mz, M_j⟩| for j in supp(z).
    pub signal_min: f64,
    /// "Õ(1/√d)": |⟨ξ, M_j⟩| ≤ noise_c √(ln d / d).
    pub noise_c: f64,
    /// "w.h.p.": the least fraction of (sample, atom) pairs.
    pub frac_min: f64,
    /// The largest log-log slope of |⟨ξ, M_j⟩| against d.
    pub slope_max: f64,
}

impl Claim for FeatureCorrelation {
    type Thresholds = FeatureCorrelationThresholds;
    const ABOUT: About = About {
        id: "data.feature_correlation",
        kind: Kind::DataModel,
        statement: "z_j != 0 => |<Mz, M_j>| >= Omega(1), while |<xi, M_j>| <= O~(1/sqrt d) w.h.p.",
        section: "2.1",
        result: RESULT,
        setting: SETTING,
    };
    fn evaluate(&self, ev: &Evidence, th: &Self::Thresholds, c: &mut Checker) -> Result<Outcome> {
        let mut checks: Vec<Check> = Vec::new();
        for regime in &ev.data {
            let signal = regime
                .points
                .iter()
                .map(|p| p.min_signal_corr)
                .fold(f64::INFINITY, f64::min);
            checks.push(
                Checker::exact(
                    "signal_is_order_one",
                    "min over samples, d and j in supp(z) of |<Mz, M_j>|",
                    signal,
                    AtLeast,
                    th.signal_min,
                )
                .in_regime(&regime.name),
            );
            let last = regime.points.last().expect("data sweep has points");
            let c_noise = th.noise_c;
            let bound = c_noise * ((last.d as f64).ln() / last.d as f64).sqrt();
            let k = last.noise_proj.iter().filter(|&&v| v <= bound).count() as u64;
            checks.push(
                c.proportion(
                    "noise_projection_small",
                    &format!(
                        "fraction of (sample, atom) pairs with |<xi, M_j>| <= {c_noise} sqrt(ln d / d) = {bound:.3} at d = {}",
                        last.d
                    ),
                    k,
                    last.noise_proj.len() as u64,
                    AtLeast,
                    th.frac_min,
                )
                .in_regime(&regime.name),
            );
            let (x, y) = data_log_points(&regime.points, |p| &p.noise_proj);
            checks.push(
                c.slope(
                    "noise_projection_shrinks",
                    "log |<xi, M_j>| of every (sample, atom) pair against log d",
                    &x,
                    &y,
                    AtMost,
                    th.slope_max,
                )
                .in_regime(&regime.name),
            );
        }
        Ok((outside_regimes(checks, ev), "data".into()))
    }
}

/// Each regime's checks in the layer *outside the hypotheses* where its family of d1 is
/// (d1 = 8d: the noise does not dominate by a power of d).
fn outside_regimes(checks: Vec<crate::audit::check::Check>, ev: &Evidence) -> Vec<crate::audit::check::Check> {
    checks
        .into_iter()
        .map(|c| {
            let why = ev
                .data
                .iter()
                .find(|r| r.name == c.regime)
                .and_then(|r| crate::audit::preconditions::regime_fails(r.d1_rule, &ev.preconditions));
            match why {
                Some(why) => c.in_layer(crate::audit::check::Layer::Outside(why)),
                None => c,
            }
        })
        .collect()
}
