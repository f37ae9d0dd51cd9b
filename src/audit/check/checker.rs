//! The [`Checker`]: builds every kind of check at the audit-wide confidence level.

use super::*;
use crate::sim::sampling::McEstimate;
use crate::stats::{self, Direction};

/// Builds checks at one confidence level and counts the statistical ones.
#[derive(Debug, Clone)]
pub struct Checker {
    confidence: f64,
    statistical: usize,
}

impl Checker {
    /// A checker at `confidence` (each end of every interval one-sided at it).
    pub fn new(confidence: f64) -> Self {
        Checker {
            confidence,
            statistical: 0,
        }
    }

    /// The Bonferroni checker of an audit: confidence 1 − α/S for S statistical checks.
    pub fn bonferroni(alpha: f64, statistical: usize) -> Self {
        Checker::new(1.0 - alpha / statistical.max(1) as f64)
    }

    /// Its confidence.
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// The interval [lo, hi] at this checker's confidence.
    fn bounds(&self, low: f64, high: f64) -> Interval {
        Interval::Bounds {
            low,
            high,
            confidence: self.confidence,
        }
    }

    /// How many statistical checks were built so far.
    pub fn statistical(&self) -> usize {
        self.statistical
    }

    /// A t check of the mean of `values` (one per seed: the seed is the unit). When every
    /// value is the same the t interval would have zero width, which would read as
    /// certainty: the check then becomes the sign test of the median — the fraction of
    /// seeds beyond the threshold, with an exact bound against 1/2 (reachable only from
    /// log₂(1/(1 − confidence)) seeds).
    pub fn t(&mut self, name: &str, statistic: &str, values: &[f64], dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let n = values.len();
        if n < 2 {
            // E.g. a control network on which no run formed a window.
            return self.nothing_to_fit(
                name,
                format!("{statistic} (mean over {n} seeds: fewer than two)"),
                n,
                dir,
                threshold,
                "fewer than two seeds: no t interval",
            );
        }
        if values.iter().all(|v| *v == values[0]) {
            // Every seed gave the same value: a t interval would have zero width and read
            // as certainty. The check becomes the sign test of the median against the
            // threshold: the fraction of seeds beyond it, with an exact bound against 1/2.
            self.statistical -= 1;
            let mut c = self.seeds_meeting(
                name,
                &format!(
                    "{statistic} (every seed gave the same value {}: sign test of the median)",
                    values[0]
                ),
                values,
                dir,
                threshold,
                0.5,
            );
            c.power = format!("{} (sign test)", c.power);
            return c;
        }
        let b = stats::t_bound(values, threshold, self.confidence, dir);
        let lo = stats::t_bound(values, threshold, self.confidence, Direction::AtLeast).bound;
        let hi = stats::t_bound(values, threshold, self.confidence, Direction::AtMost).bound;
        let mut c = Check::new(
            name,
            format!("{statistic} (mean over {n} seeds, t)"),
            b.mean,
            self.bounds(lo, hi),
            dir.into(),
            threshold,
            Some(b.p_value),
            n,
            judge(lo, hi, dir, threshold),
        );
        c.power = match stats::t_detectable(n, self.confidence) {
            Some(k) => {
                format!("reachable when the mean lies {k:.2} seed standard deviations beyond the threshold ({n} seeds)")
            }
            None => "unreachable: one seed".into(),
        };
        c
    }

    /// "Every" or "w.h.p." over networks: the fraction of the seeds whose value lies
    /// beyond `bound` (`bound_dir`), against `threshold` with an exact (Clopper–Pearson)
    /// interval; the seed is the unit.
    #[allow(clippy::too_many_arguments)]
    pub fn seeds_meeting(
        &mut self,
        name: &str,
        statistic: &str,
        values: &[f64],
        bound_dir: Direction,
        bound: f64,
        threshold: f64,
    ) -> Check {
        let k = values
            .iter()
            .filter(|&&v| match bound_dir {
                Direction::AtLeast => v >= bound,
                Direction::AtMost => v <= bound,
            })
            .count() as u64;
        let n = values.len() as u64;
        let mut c = self.proportion(
            name,
            &format!("fraction of seeds with {statistic} {} {bound}", bound_dir.symbol()),
            k,
            n,
            Direction::AtLeast,
            threshold,
        );
        c.statistic = c.statistic.replace("Clopper-Pearson)", "seeds, Clopper-Pearson)");
        c
    }

    /// A Clopper–Pearson check of the proportion k/n (independent draws only: the data
    /// model's own samples).
    pub fn proportion(&mut self, name: &str, statistic: &str, k: u64, n: u64, dir: Direction, threshold: f64) -> Check {
        self.statistical += 1;
        let lo = stats::clopper_pearson(k, n, self.confidence, Direction::AtLeast);
        let hi = stats::clopper_pearson(k, n, self.confidence, Direction::AtMost);
        let mut c = Check::new(
            name,
            format!("{statistic} ({k}/{n}, Clopper-Pearson)"),
            k as f64 / n as f64,
            self.bounds(lo, hi),
            dir.into(),
            threshold,
            Some(stats::binomial_p_value(k, n, threshold, dir)),
            n as usize,
            judge(lo, hi, dir, threshold),
        );
        let best = stats::best_proportion_bound(n, self.confidence, dir);
        c.power = match stats::proportion_min_n(threshold, self.confidence, dir) {
            Some(need) if need <= n => format!("reachable: {n} draws bound the fraction as far as {best:.4}"),
            Some(need) => format!("unreachable: {n} draws bound the fraction at best at {best:.4}; {need} are needed"),
            None => "unreachable at any sample size (the threshold is the end of [0, 1])".into(),
        };
        c.within(0.0, 1.0)
    }

    /// An inconclusive check with no value: too few points for the fit it names.
    fn nothing_to_fit(
        &self,
        name: &str,
        statistic: String,
        n: usize,
        dir: Direction,
        threshold: f64,
        note: &str,
    ) -> Check {
        let mut c = Check::new(
            name,
            statistic,
            f64::NAN,
            Interval::NoFit {
                confidence: self.confidence,
            },
            dir.into(),
            threshold,
            None,
            n,
            Verdict::Inconclusive,
        );
        c.note = note.into();
        c.power = format!("unreachable: {note}");
        c
    }

    /// A check of the OLS slope of y against x.
    pub fn slope(
        &mut self,
        name: &str,
        statistic: &str,
        x: &[f64],
        y: &[f64],
        dir: Direction,
        threshold: f64,
    ) -> Check {
        self.statistical += 1;
        if x.len() < 3 {
            // No slope to fit (e.g. the untrained control, where no neuron has a main
            // atom): nothing is shown either way.
            return self.nothing_to_fit(
                name,
                format!("{statistic} (OLS slope over {} points: fewer than three)", x.len()),
                x.len(),
                dir,
                threshold,
                "fewer than three points: no slope",
            );
        }
        // A two-sided interval at 2c − 1 has one-sided ends at c.
        let f = stats::slope_fit(x, y, 2.0 * self.confidence - 1.0);
        let mut c = Check::new(
            name,
            format!("{statistic} (OLS slope over {} points, t interval)", f.n),
            f.slope,
            self.bounds(f.lo, f.hi),
            dir.into(),
            threshold,
            None,
            f.n,
            judge(f.lo, f.hi, dir, threshold),
        );
        c.power = format!(
            "reachable when the slope lies {:.2} standard errors beyond the threshold ({} points)",
            stats::t_quantile(self.confidence, (f.n - 2) as f64),
            f.n
        );
        c
    }

    /// The floor a of y = a + b·d^−k fitted over (d, y) ([`stats::floor_fit`], k from
    /// `ks`), against `threshold`; a's interval two-sided at 2c − 1 (each end one-sided at
    /// c), over every k the data do not reject. Inconclusive with fewer than four points.
    #[allow(clippy::too_many_arguments)]
    pub fn floor(
        &mut self,
        name: &str,
        statistic: &str,
        d: &[f64],
        y: &[f64],
        ks: &[f64],
        dir: Direction,
        threshold: f64,
    ) -> (Check, Option<stats::FloorFit>) {
        self.statistical += 1;
        let fit = stats::floor_fit(d, y, ks, 2.0 * self.confidence - 1.0);
        let Some(f) = fit else {
            let c = self.nothing_to_fit(
                name,
                format!("{statistic} (fit over {} points: fewer than four)", d.len()),
                d.len(),
                dir,
                threshold,
                "fewer than four points: no fit",
            );
            return (c, None);
        };
        let mut c = Check::new(
            name,
            format!(
                "{statistic} (floor a of a + b d^-k, least squares over {} points; interval over the k the data allow, {} to {})",
                f.n, f.k_range.0, f.k_range.1
            ),
            f.a,
            self.bounds(f.a_lo, f.a_hi),
            dir.into(),
            threshold,
            None,
            f.n,
            judge(f.a_lo, f.a_hi, dir, threshold),
        );
        c.note = format!(
            "a = {:.4}, b = {:.4} at the best k = {}; k from {} to {} not rejected",
            f.a, f.b, f.k, f.k_range.0, f.k_range.1
        );
        c.power = format!(
            "reachable when the floor's interval over every k the {} points allow lies beyond the threshold",
            f.n
        );
        (c, Some(f))
    }

    /// The closed form against the two-sided t interval of the Monte Carlo mean: reproduced
    /// when it lies inside and the interval's half-width is at most `rel_precision` times
    /// the estimate's scale, refuted when it lies outside, inconclusive when inside an
    /// interval too wide to tell.
    pub fn contains(&mut self, name: &str, est: &McEstimate, rel_precision: f64) -> Check {
        self.statistical += 1;
        let (mean, lo, hi) = stats::t_interval(&est.draws, self.confidence);
        let half = (hi - lo) / 2.0;
        let inside = lo <= est.closed_form && est.closed_form <= hi;
        let precise = half <= rel_precision * est.scale;
        let verdict = match (inside, precise) {
            (false, _) => Verdict::Refuted,
            (true, true) => Verdict::Reproduced,
            (true, false) => Verdict::Inconclusive,
        };
        let mut c = Check::new(
            name,
            format!(
                "{}: Monte Carlo mean over {} draws, two-sided t interval",
                est.name,
                est.draws.len()
            ),
            mean,
            self.bounds(lo, hi),
            Comparison::InInterval,
            est.closed_form,
            None,
            est.draws.len(),
            verdict,
        );
        c.power = format!("reachable: the interval must be narrower than {rel_precision} x the scale");
        if !precise {
            c.note = format!(
                "interval half-width {half:.3e} exceeds {rel_precision} x the scale {:.3e}",
                est.scale
            );
        }
        c
    }

    /// An exact comparison (no sampling error; not counted as statistical): reproduced or
    /// refuted.
    pub fn exact(name: &str, statistic: &str, value: f64, dir: Direction, threshold: f64) -> Check {
        let mut c = Check::new(
            name,
            statistic.into(),
            value,
            Interval::Exact,
            dir.into(),
            threshold,
            None,
            1,
            if beyond(value, dir, threshold) {
                Verdict::Reproduced
            } else {
                Verdict::Refuted
            },
        );
        c.note = "exact (no sampling error)".into();
        c.power = "exact".into();
        c
    }
}

fn beyond(value: f64, dir: Direction, threshold: f64) -> bool {
    match dir {
        Direction::AtLeast => value >= threshold,
        Direction::AtMost => value <= threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slope_over_fewer_than_three_points_is_inconclusive_and_still_counted() {
        let mut c = Checker::new(0.99);
        let k = c.slope("s", "y against x", &[0.0, 1.0], &[1.0, 2.0], Direction::AtMost, 1.0);
        assert_eq!(k.verdict, Verdict::Inconclusive);
        assert!(k.value.is_nan() && k.interval.ends(k.value).is_none());
        assert_eq!(c.statistical(), 1);
    }

    #[test]
    fn three_verdicts_from_the_interval() {
        use Direction::{AtLeast, AtMost};
        assert_eq!(judge(0.6, 0.9, AtLeast, 0.5), Verdict::Reproduced);
        assert_eq!(judge(0.1, 0.4, AtLeast, 0.5), Verdict::Refuted);
        assert_eq!(judge(0.4, 0.6, AtLeast, 0.5), Verdict::Inconclusive);
        assert_eq!(judge(0.1, 0.4, AtMost, 0.5), Verdict::Reproduced);
        assert_eq!(judge(0.6, 0.9, AtMost, 0.5), Verdict::Refuted);
        assert_eq!(judge(0.4, 0.6, AtMost, 0.5), Verdict::Inconclusive);
    }

    #[test]
    fn a_claim_is_refuted_by_any_check_and_reproduced_by_all() {
        use Verdict::*;
        assert_eq!(Verdict::combine([Reproduced, Reproduced]), Reproduced);
        assert_eq!(Verdict::combine([Reproduced, Inconclusive]), Inconclusive);
        assert_eq!(Verdict::combine([Inconclusive, Refuted, Reproduced]), Refuted);
    }

    #[test]
    fn a_t_check_can_pass_fail_or_straddle() {
        let mut c = Checker::new(0.95);
        let high = [0.9, 0.92, 0.91, 0.93];
        assert_eq!(
            c.t("x", "x", &high, Direction::AtLeast, 0.5).verdict,
            Verdict::Reproduced
        );
        assert_eq!(c.t("x", "x", &high, Direction::AtMost, 0.5).verdict, Verdict::Refuted);
        let wide = [0.1, 0.9, 0.4, 0.7];
        assert_eq!(
            c.t("x", "x", &wide, Direction::AtLeast, 0.5).verdict,
            Verdict::Inconclusive
        );
    }
}
