//! The report's one number formatter, [`number`], and the presets its call sites use.
//!
//! Every number the report writes into REPORT.md's tables, a figure's tick label or a
//! legend goes through [`number`] with a [`NumFormat`]: a precision (significant digits or
//! decimals), a rule for scientific notation, whether trailing zeros are trimmed and what
//! NaN reads as. The presets ([`sig`], [`tick`], [`trimmed`], [`fixed`], [`fixed_or_sci`],
//! [`mean_pm`], [`mean_interval`], [`interval_sig`]) print exactly what the six formatters
//! they replaced printed (pinned by this module's tests), so the report's cells are
//! unchanged.

/// How many digits a number keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Significant digits (decimals = digits − 1 − ⌊log10 |v|⌋, at least 0).
    Sig(usize),
    /// A fixed number of decimals.
    Decimals(usize),
}

/// When a number is written in scientific notation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sci {
    /// Never.
    Never,
    /// When ⌊log10 |v|⌋ is outside `lo..hi`.
    OutsideMagnitudes(i32, i32),
    /// When 0 < |v| < the value.
    Below(f64),
}

/// A way of writing numbers: see [`number`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumFormat {
    /// Digits kept in plain notation.
    pub precision: Precision,
    /// When to switch to scientific notation.
    pub sci: Sci,
    /// Decimals of the mantissa in scientific notation.
    pub sci_decimals: usize,
    /// Drop trailing zeros (and a trailing point), also of the mantissa.
    pub trim: bool,
    /// What NaN reads as (`None`: Rust's `NaN`).
    pub nan: Option<&'static str>,
}

/// Trailing zeros and a trailing point dropped ("0.500" → "0.5", "2.0" → "2"); a number
/// without a point is left alone.
fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `v` written as `f` says. Non-finite values are Rust's `inf`, `-inf`, `NaN` (or `f.nan`
/// for NaN); zero with significant digits is `0`.
pub fn number(v: f64, f: &NumFormat) -> String {
    if v.is_nan() {
        if let Some(s) = f.nan {
            return s.to_string();
        }
    }
    if !v.is_finite() || (v == 0.0 && matches!(f.precision, Precision::Sig(_))) {
        return format!("{v}");
    }
    let a = v.abs();
    let mag = if a > 0.0 { a.log10().floor() as i32 } else { 0 };
    let sci = a > 0.0
        && match f.sci {
            Sci::Never => false,
            Sci::OutsideMagnitudes(lo, hi) => !(lo..hi).contains(&mag),
            Sci::Below(t) => a < t,
        };
    if sci {
        let d = f.sci_decimals;
        let s = format!("{v:.d$e}");
        if !f.trim {
            return s;
        }
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{e}", trim(m));
    }
    let decimals = match f.precision {
        Precision::Sig(n) => (n as i32 - 1 - mag).max(0) as usize,
        Precision::Decimals(d) => d,
    };
    let s = format!("{v:.decimals$}");
    if f.trim {
        trim(&s)
    } else {
        s
    }
}

/// `digits` significant digits, scientific (`digits − 1` decimals) below 10^-3 and from
/// 10^6 on, NaN as `n/a`: the claims table's numbers (`sig(v, 3)`: 0.123, 12.3, 1.23e-4).
pub fn sig(v: f64, digits: usize) -> String {
    number(
        v,
        &NumFormat {
            precision: Precision::Sig(digits),
            sci: Sci::OutsideMagnitudes(-3, 6),
            sci_decimals: digits.saturating_sub(1),
            trim: false,
            nan: Some("n/a"),
        },
    )
}

/// `[lo, hi]` with [`sig`]`(·, digits)`.
pub fn interval_sig(lo: f64, hi: f64, digits: usize) -> String {
    format!("[{}, {}]", sig(lo, digits), sig(hi, digits))
}

/// A tick label, compact: at most 6 significant digits, trailing zeros dropped ("0.02",
/// "0.5", "10", "1.5"), scientific below 10^-4 and from 10^6 on ("1e-5", "2e6").
pub fn tick(v: f64) -> String {
    number(
        v,
        &NumFormat {
            precision: Precision::Sig(6),
            sci: Sci::OutsideMagnitudes(-4, 6),
            sci_decimals: 5,
            trim: true,
            nan: None,
        },
    )
}

/// At most `decimals` decimals, trailing zeros dropped ("0.5", "1", "0.37").
pub fn trimmed(v: f64, decimals: usize) -> String {
    number(
        v,
        &NumFormat {
            precision: Precision::Decimals(decimals),
            sci: Sci::Never,
            sci_decimals: 0,
            trim: true,
            nan: None,
        },
    )
}

/// Exactly `decimals` decimals (`format!("{v:.decimals$}")`).
pub fn fixed(v: f64, decimals: usize) -> String {
    number(
        v,
        &NumFormat {
            precision: Precision::Decimals(decimals),
            sci: Sci::Never,
            sci_decimals: 0,
            trim: false,
            nan: None,
        },
    )
}

/// `decimals` decimals, or scientific with one decimal below 0.01 (a loss near 0): the
/// peer section's numbers.
pub fn fixed_or_sci(v: f64, decimals: usize) -> String {
    number(
        v,
        &NumFormat {
            precision: Precision::Decimals(decimals),
            sci: Sci::Below(0.01),
            sci_decimals: 1,
            trim: false,
            nan: None,
        },
    )
}

/// `mean [lo, hi]` of a (n, mean, lo, hi) summary (e.g. [`crate::stats::mean_ci95`]) with
/// [`fixed_or_sci`]; the mean alone when n < 2.
pub fn mean_interval((n, mean, lo, hi): (usize, f64, f64, f64), decimals: usize) -> String {
    if n < 2 {
        fixed_or_sci(mean, decimals)
    } else {
        format!(
            "{} [{}, {}]",
            fixed_or_sci(mean, decimals),
            fixed_or_sci(lo, decimals),
            fixed_or_sci(hi, decimals)
        )
    }
}

/// `mean ± half-width` of an interval [lo, hi] (the mean alone when lo is not finite; `n/a`
/// when the mean is not), with 3 decimals, none from 100 on: the scaling table's cells.
pub fn mean_pm(mean: f64, lo: f64, hi: f64) -> String {
    if !mean.is_finite() {
        return "n/a".into();
    }
    let digits = if mean.abs() >= 100.0 { 0 } else { 3 };
    if lo.is_finite() {
        format!("{} ± {}", fixed(mean, digits), fixed((hi - lo) / 2.0, digits))
    } else {
        fixed(mean, digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of every kind: tiny, small, ordinary, large, negative, zero, non-finite,
    /// and the borders of the formats' ranges.
    fn values() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-9,
            1.234e-5,
            1e-4,
            9.99e-4,
            0.001,
            0.00123456,
            0.0099999,
            0.01,
            0.012345,
            0.02,
            0.1,
            0.123456,
            0.5,
            0.85 + 1e-15,
            0.9995,
            1.0,
            1.5,
            2.0,
            9.9999,
            12.3456,
            99.95,
            100.0,
            123.456,
            999.5,
            12345.678,
            123456.0,
            999999.0,
            1e6,
            2.5e7,
        ];
        let neg: Vec<f64> = v.iter().map(|x| -x).collect();
        v.extend(neg);
        v
    }

    // The formatters as they were, verbatim, to pin what each call site printed.

    /// `report::claims::sig3`.
    fn old_sig3(v: f64) -> String {
        if v.is_nan() {
            return "n/a".into();
        }
        if v == 0.0 || !v.is_finite() {
            return format!("{v}");
        }
        let mag = v.abs().log10().floor() as i32;
        if !(-3..6).contains(&mag) {
            return format!("{v:.2e}");
        }
        let decimals = (2 - mag).max(0) as usize;
        format!("{v:.decimals$}")
    }

    /// `report::theorem_figures::compact`.
    fn old_compact(v: f64) -> String {
        let s = format!("{v:.2}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }

    /// `report::scaling::fmt_ci`.
    fn old_fmt_ci(mean: f64, lo: f64, hi: f64) -> String {
        if !mean.is_finite() {
            return "n/a".into();
        }
        let digits = if mean.abs() >= 100.0 { 0 } else { 3 };
        if lo.is_finite() {
            format!("{mean:.digits$} ± {:.digits$}", (hi - lo) / 2.0)
        } else {
            format!("{mean:.digits$}")
        }
    }

    /// `report::peer::num`.
    fn old_num(v: f64, digits: usize) -> String {
        if v != 0.0 && v.abs() < 0.01 {
            format!("{v:.1e}")
        } else {
            format!("{v:.digits$}")
        }
    }

    #[test]
    fn the_presets_print_what_the_old_formatters_printed() {
        let vs = values();
        for &v in &vs {
            assert_eq!(sig(v, 3), old_sig3(v), "sig3({v:e})");
            assert_eq!(trimmed(v, 2), old_compact(v), "compact({v:e})");
            for d in [0, 1, 2, 3] {
                assert_eq!(fixed_or_sci(v, d), old_num(v, d), "num({v:e}, {d})");
                assert_eq!(fixed(v, d), format!("{v:.d$}"), "fixed({v:e}, {d})");
            }
            for &w in &vs {
                assert_eq!(
                    mean_pm(v, v - w, v + w),
                    old_fmt_ci(v, v - w, v + w),
                    "fmt_ci({v:e}, ±{w:e})"
                );
            }
            assert_eq!(mean_pm(v, f64::NAN, f64::NAN), old_fmt_ci(v, f64::NAN, f64::NAN));
        }
        // A handful written out.
        let pinned = [
            (sig(0.123456, 3), "0.123"),
            (sig(12.3456, 3), "12.3"),
            (sig(1.234e-5, 3), "1.23e-5"),
            (sig(2.5e7, 3), "2.50e7"),
            (sig(f64::NAN, 3), "n/a"),
            (sig(0.0, 3), "0"),
            (interval_sig(0.0123, 4.5, 3), "[0.0123, 4.50]"),
            (trimmed(0.5, 2), "0.5"),
            (trimmed(1.0, 2), "1"),
            (trimmed(0.374, 2), "0.37"),
            (fixed_or_sci(0.004, 2), "4.0e-3"),
            (fixed_or_sci(0.0, 2), "0.00"),
            (fixed_or_sci(0.25, 3), "0.250"),
            (mean_interval((3, 0.5, 0.4, 0.6), 2), "0.50 [0.40, 0.60]"),
            (mean_interval((1, 0.005, f64::NAN, f64::NAN), 2), "5.0e-3"),
            (mean_pm(0.5, 0.4, 0.6), "0.500 ± 0.100"),
            (mean_pm(250.0, 200.0, 300.0), "250 ± 50"),
            (mean_pm(0.5, f64::NAN, f64::NAN), "0.500"),
            (mean_pm(f64::INFINITY, 0.0, 1.0), "n/a"),
        ];
        for (got, want) in pinned {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn tick_labels_are_compact() {
        for (v, want) in [
            (0.02, "0.02"),
            (0.5, "0.5"),
            (10.0, "10"),
            (200.0, "200"),
            (1.5, "1.5"),
            (0.02f64.ln().exp(), "0.02"),
            (0.85 + 1e-15, "0.85"),
            (1e-5, "1e-5"),
            (2e6, "2e6"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
            (0.0, "0"),
            (-3.0, "-3"),
        ] {
            assert_eq!(tick(v), want, "{v}");
        }
    }
}
