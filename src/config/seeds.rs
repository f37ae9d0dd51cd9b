//! The seeds of a set of runs, and the crate's one seed policy.
//!
//! **The policy.** K runs of one experiment use the seeds `first, first + 1, …,
//! first + K − 1`, where `first` is the experiment's own `seed` (or the command line's
//! `--seed`): `decouple run --seeds K`, a sweep's `seeds = K` in every cell (so cells are
//! paired by seed), `decouple audit --seeds K` from the audit file's first seed, and the
//! report's ablations and peer runs from seed 1. Every random stream of a run derives
//! from its seed (docs/THEORY.md §4.7), so the same seed gives the same dictionary,
//! initial weights and data in every setting that allows it. An audit file may also list
//! its seeds explicitly ([`Seeds::list`]).

use crate::error::{Error, Result};

/// A non-empty list of distinct seeds, in run order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds(Vec<u64>);

impl Seeds {
    /// `count` consecutive seeds from `first` (the policy); `key` names the setting in errors.
    pub fn consecutive(first: u64, count: usize, key: &'static str) -> Result<Self> {
        if count == 0 {
            return Err(Error::InvalidParam {
                key,
                value: "0".into(),
                reason: "at least one seed is needed",
            });
        }
        let last = u64::try_from(count - 1).ok().and_then(|k| first.checked_add(k));
        if last.is_none() {
            return Err(Error::InvalidParam {
                key,
                value: format!("{count} seeds from {first}"),
                reason: "the last seed would overflow a 64-bit integer",
            });
        }
        Ok(Seeds((0..count as u64).map(|k| first + k).collect()))
    }

    /// An explicit list (an audit file's `seeds = [...]`): non-empty, no seed twice.
    pub fn list(seeds: Vec<u64>, key: &'static str) -> Result<Self> {
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if seeds.is_empty() || sorted.len() != seeds.len() {
            return Err(Error::InvalidParam {
                key,
                value: format!("{seeds:?}"),
                reason: "must be a non-empty list of distinct seeds",
            });
        }
        Ok(Seeds(seeds))
    }

    /// The seeds, in run order.
    pub fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// The seeds as a vector.
    pub fn to_vec(&self) -> Vec<u64> {
        self.0.clone()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true (a `Seeds` holds at least one seed); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_seeds_follow_the_policy_and_refuse_overflow() {
        assert_eq!(Seeds::consecutive(7, 3, "k").unwrap().as_slice(), &[7, 8, 9]);
        assert_eq!(Seeds::consecutive(u64::MAX, 1, "k").unwrap().as_slice(), &[u64::MAX]);
        let e = Seeds::consecutive(u64::MAX, 2, "--seeds").unwrap_err().to_string();
        assert!(e.contains("--seeds") && e.contains("overflow"), "{e}");
        assert!(Seeds::consecutive(1, 0, "k").is_err());
        assert!(Seeds::list(vec![1, 2, 1], "seeds").is_err());
        assert!(Seeds::list(vec![], "seeds").is_err());
        assert_eq!(Seeds::list(vec![3, 1], "seeds").unwrap().as_slice(), &[3, 1]);
    }
}
