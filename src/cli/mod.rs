//! The subcommands of the `decouple` binary, one file each; shared progress display.

pub mod audit;
pub mod merge;
pub mod plot;
pub mod progress;
pub mod report;
pub mod run;
pub mod sweep;
