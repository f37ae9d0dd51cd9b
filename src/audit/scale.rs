//! The two sizes the audit and the report run at.

use serde::{Deserialize, Serialize};

/// `quick`: what `cargo test` and CI run (minutes on 2 cores). `full`: larger sizes and
/// more seeds for the report (tens of minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
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
