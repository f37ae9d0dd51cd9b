//! The subcommands of the `decouple` binary, one file each; shared progress display.

pub mod audit;
pub mod compare;
pub mod merge;
pub mod plot;
pub mod progress;
pub mod report;
pub mod run;
pub mod sweep;

/// The exit codes of `decouple` (documented in the README and in `decouple --help`).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// An input or runtime error: a bad experiment file or override, a missing file, a
    /// run that diverged, a folder locked by another process.
    pub const ERROR: u8 = 1;
    /// A usage error: unknown flags or bad flag values (clap's own code), a bad `--shard`.
    pub const USAGE: u8 = 2;
    /// `decouple audit`: the audit ran, but some verdict differs from the audit file's
    /// expectation (`--no-expect` reports the verdicts and exits 0).
    pub const VERDICTS_DIFFER: u8 = 3;
}

/// An outcome the binary exits on with a code of its own, printed without a backtrace.
#[derive(Debug)]
pub struct Exit {
    /// One of [`exit`]'s codes.
    pub code: u8,
    /// What to print.
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}
