//! `--shard k/n`: which slice of a launch's jobs (a sweep's tasks, an audit's runs) one invocation runs.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// `--shard k/n`: the k-th (1-based) of n disjoint slices of the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=n.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Does this shard run the task with canonical index `index`?
    pub fn selects(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Sweep(format!(
                "bad shard spec {s:?}: {why} (expected k/n with 1 <= k <= n, e.g. 2/4)"
            ))
        };
        let (k, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let k: usize = k.trim().parse().map_err(|_| bad("k is not a positive integer"))?;
        let n: usize = n.trim().parse().map_err(|_| bad("n is not a positive integer"))?;
        if n == 0 {
            return Err(bad("n must be at least 1"));
        }
        if k == 0 || k > n {
            return Err(bad("k must be in 1..=n"));
        }
        Ok(Self { k, n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { k: 2, n: 4 });
        for bad in ["0/3", "4/3", "1/0", "a/2", "2", "-1/2"] {
            let e = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(e.contains("bad shard spec"), "{bad}: {e}");
        }
        let s = Shard { k: 2, n: 3 };
        assert!(s.selects(1) && s.selects(4) && !s.selects(0));
    }
}
