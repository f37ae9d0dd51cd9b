//! `decouple merge DIR... --out DIR`: combine the shards of one sweep.

use std::path::PathBuf;

use anyhow::Result;

/// Arguments of `decouple merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// The shards' sweep folders (each `<out>/<sweep name>` as `decouple sweep --shard` wrote it).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output folder; the merged tables go to OUT/<sweep name>/.
    #[arg(long)]
    pub out: PathBuf,
    /// Merge even if some runs of the sweep are in no shard (they are listed; exit 0).
    /// Without it, an incomplete merge lists the missing runs and exits non-zero.
    #[arg(long)]
    pub partial: bool,
}

/// Run it.
pub fn main(args: &MergeArgs) -> Result<()> {
    let merged = decouple::exec::sweep::merge(&args.dirs, &args.out, args.partial)?;
    for d in &merged.unfinished {
        eprintln!(
            "unfinished shard (no sweep.csv), its recorded runs taken: {}",
            d.display()
        );
    }
    for m in &merged.missing {
        eprintln!("missing: {m}");
    }
    println!(
        "merged {} folders -> {}{}",
        args.dirs.len(),
        merged.dir.display(),
        if merged.missing.is_empty() {
            String::new()
        } else {
            format!(" (partial: {} runs missing)", merged.missing.len())
        }
    );
    Ok(())
}
