//! The speed history: the ratios `benches/compare.sh` appends to `benches/history.csv`
//! (share of the core's peak per size and precision, speedups), as a table of the latest
//! record per CPU model and a figure of the shares over the records.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::report::figures::{self, Series};
use crate::report::{Ctx, Section};

/// One row of `benches/history.csv`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct HistoryRow {
    /// Date of the run (YYYY-MM-DD).
    pub date: String,
    /// Commit measured.
    pub commit: String,
    /// CPU model.
    pub cpu: String,
    /// Ratio name, e.g. `share_of_peak_f64_medium`.
    pub metric: String,
    /// Its value.
    pub value: f64,
}

/// Read `benches/history.csv`.
pub fn read_history(path: &Path) -> Result<Vec<HistoryRow>> {
    let mut r = csv::Reader::from_path(path).map_err(|e| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    r.deserialize()
        .map(|row| {
            row.map_err(|e| Error::Plot {
                path: path.to_path_buf(),
                message: format!("a corrupt row: {e}"),
            })
        })
        .collect()
}

/// The section: the history next to the experiments folder (`<experiments>/../benches/
/// history.csv`), or a line saying there is none.
pub(super) fn speed_section(ctx: &Ctx<'_>) -> Result<Section> {
    let title = "Speed of the SGD step over time".to_string();
    let path = ctx
        .experiments
        .parent()
        .unwrap_or(Path::new("."))
        .join("benches/history.csv");
    if !path.exists() {
        return Ok(Section {
            title,
            markdown: format!("No speed history at `{}`: run `benches/compare.sh`.\n", path.display()),
        });
    }
    let rows = read_history(&path)?;
    // Records in file order: a record is one (date, commit, cpu) run of the script; each
    // share of peak is plotted against its record's index.
    let mut records: Vec<(String, String, String)> = Vec::new();
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in &rows {
        let key = (r.date.clone(), r.commit.clone(), r.cpu.clone());
        if records.last() != Some(&key) {
            records.push(key);
        }
        if let Some(name) = r.metric.strip_prefix("share_of_peak_") {
            let record = (records.len() - 1) as f64;
            series
                .entry(name.replace('_', " "))
                .or_default()
                .push((record, r.value));
        }
    }
    let svg = ctx.out.join("figures/speed_history.svg");
    let series: Series = series.into_iter().collect();
    figures::speed_history(&series, &svg)?;
    let mut md = format!(
        "Every run of `benches/compare.sh` appends its ratios to `benches/history.csv` ({} record(s)); \
         `benches/compare.sh --check` fails when a ratio falls more than 10% below the best recorded on \
         the same CPU model. Shares are of the core's peak measured in the same run (the faster of faer's \
         and OpenBLAS's square product).\n\n![share of peak]({})\n\n",
        records.len(),
        ctx.rel(&svg)
    );
    if let Some((date, commit, cpu)) = records.last() {
        md.push_str(&format!(
            "Latest record: {date}, commit `{commit}`, {cpu}.\n\n| ratio | value |\n|---|---|\n"
        ));
        for r in rows
            .iter()
            .filter(|r| (&r.date, &r.commit, &r.cpu) == (date, commit, cpu) && !r.metric.starts_with("product_"))
        {
            md.push_str(&format!("| {} | {:.2} |\n", r.metric, r.value));
        }
    }
    Ok(Section { title, markdown: md })
}
