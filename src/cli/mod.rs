//! The subcommands of the `decouple` binary, one file each; shared progress display.

pub mod audit;
pub mod progress;
pub mod run;
