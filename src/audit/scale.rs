//! The two sizes the audit and the report run at.

use serde::{Deserialize, Serialize};

/// `quick`: what `cargo test` and CI run (minutes on 2 cores). `full`: larger sizes and
/// more seeds for the report (tens of minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Minutes on 2 cores.
    Quick,
    /// Tens of minutes on 2 cores.
    Full,
}

impl Scale {
    /// `quick` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Full => "full",
        }
    }
}

impl std::str::FromStr for Scale {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quick" => Ok(Scale::Quick),
            "full" => Ok(Scale::Full),
            other => Err(format!("unknown scale `{other}`: expected `quick` or `full`")),
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
