//! The one size rule of the crate, n = round(c·d^p): d1 of the audit's sweeps and of the
//! data-model samples, and the derived keys of sweep files (`[c*]d[^e]`).

use serde::Serialize;

/// A size as a power of d: `factor · d^power`, rounded to the nearest integer (halves away
/// from zero). A constant is the power 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SizeRule {
    /// The factor c.
    pub factor: f64,
    /// The power p.
    pub power: f64,
}

impl SizeRule {
    /// The rule c·d^p.
    pub fn new(factor: f64, power: f64) -> Self {
        SizeRule { factor, power }
    }

    /// The size at `d`: round(c·d^p) (0 for a negative or NaN value, saturating above).
    pub fn at(&self, d: usize) -> usize {
        (self.factor * (d as f64).powf(self.power)).round() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_to_the_nearest_integer() {
        assert_eq!(SizeRule::new(8.0, 1.0).at(16), 128);
        assert_eq!(SizeRule::new(1.0, 1.5).at(16), 64);
        assert_eq!(SizeRule::new(1.0, 1.5).at(10), 32); // 31.62…
        assert_eq!(SizeRule::new(1.0, 2.0).at(32), 1024);
        assert_eq!(SizeRule::new(1500.0, 0.0).at(3), 1500);
        assert_eq!(SizeRule::new(0.5, 1.0).at(5), 3); // 2.5 rounds away from zero
    }
}
