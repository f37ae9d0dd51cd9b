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
}

/// Run it.
pub fn main(args: &MergeArgs) -> Result<()> {
    let dir = decouple::report::sweep::merge(&args.dirs, &args.out)?;
    println!("merged {} folders -> {}", args.dirs.len(), dir.display());
    Ok(())
}
