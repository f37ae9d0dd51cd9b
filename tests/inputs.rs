//! Loading generated experiment and sweep files never panics, and every rejection names
//! the file and a key (where the file parses far enough to have one).
//!
//! Each case starts from a valid file, sets or removes up to three keys (known keys of
//! the schema and unknown ones) to values of any type — NaN, ±inf, 0, −0, negative, huge
//! and tiny numbers, empty and odd strings, booleans, arrays, tables — and sometimes
//! corrupts the bytes (non-UTF-8 bytes inserted, the file truncated). "Loading" is what
//! `decouple run` and `decouple sweep` do before simulating: parse, check (including the
//! memory estimate), and for a sweep resolve every (cell, seed) run. The counts are
//! printed (`cargo test --release --test inputs -- --nocapture`).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use decouple::config::Config;
use decouple::exec::sweep::SweepSpec;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};

/// Every key of the experiment schema.
const KEYS: [&str; 29] = [
    "name",
    "seed",
    "model.d",
    "model.d1",
    "model.p",
    "model.sigma_xi",
    "model.dictionary",
    "model.code",
    "model.exact_k",
    "network.m",
    "network.sigma0",
    "network.kappa",
    "network.warmup_steps",
    "augmentation.kind",
    "augmentation.keep_prob",
    "augmentation.noise_std",
    "train.steps",
    "train.batch",
    "train.lr",
    "train.weight_decay",
    "train.tau",
    "train.log_every",
    "metrics.eval_samples",
    "metrics.support_share",
    "metrics.coverage_alignment",
    "probe.n_train",
    "probe.n_test",
    "probe.ridge_grid",
    "probe.logistic_l2",
];

/// Keys that are not in the schema.
const UNKNOWN: [&str; 5] = ["temperature", "model.dd", "train.tau.x", "network", "extra.key"];

const BASE: &str = r#"
name = "gen"
seed = 4
[model]
d = 8
d1 = 24
[network]
m = 12
[augmentation]
kind = "random_mask"
[train]
steps = 3
batch = 8
lr = 1.0
weight_decay = 1e-4
tau = 0.1
log_every = 1
[metrics]
eval_samples = 20
[probe]
n_train = 20
n_test = 20
"#;

fn value() -> impl Strategy<Value = toml::Value> {
    use toml::Value as V;
    let plausible = prop_oneof![(1i64..64).prop_map(V::Integer), (0.01f64..0.99).prop_map(V::Float)];
    let leaf = prop_oneof![
        3 => plausible,
        2 => prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(2),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(100_000_000),
            Just(1_000_000_000_000),
            any::<i64>(),
            -5i64..200
        ]
        .prop_map(V::Integer),
        2 => prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0),
            Just(-1.5),
            Just(1e308),
            Just(5e-324),
            any::<f64>(),
            -2.0f64..2.0
        ]
        .prop_map(V::Float),
        1 => prop_oneof![
            Just(String::new()),
            Just("none".to_string()),
            Just("random_mask".to_string()),
            Just("../up".to_string()),
            Just("2*d".to_string()),
            prop::collection::vec(any::<char>(), 0..12).prop_map(|c| c.into_iter().collect()),
        ]
        .prop_map(V::String),
        1 => any::<bool>().prop_map(V::Boolean),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..3)
                .prop_map(|kv| toml::Value::Table(kv.into_iter().collect())),
        ]
    })
}

/// A key to change: one of the schema's, or an unknown one.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&KEYS[..]).prop_map(String::from),
        1 => prop::sample::select(&UNKNOWN[..]).prop_map(String::from),
    ]
}

/// Set (`Some`) or remove (`None`) a key.
type Edit = (String, Option<toml::Value>);

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec((key(), prop::option::weighted(0.85, value())), 0..4)
}

/// Byte damage: (position as a fraction of the length, inserted bytes, truncate?).
type Damage = Option<(f64, Vec<u8>, bool)>;

fn damage() -> impl Strategy<Value = Damage> {
    prop::option::weighted(
        0.2,
        (
            0.0f64..1.0,
            prop::collection::vec(prop_oneof![Just(0xffu8), Just(0xc3), Just(0x00), any::<u8>()], 0..4),
            any::<bool>(),
        ),
    )
}

fn apply(table: &mut toml::Table, key: &str, value: Option<toml::Value>) {
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = table;
    for p in &parts[..parts.len() - 1] {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        cur = entry.as_table_mut().unwrap();
    }
    let last = parts[parts.len() - 1].to_string();
    match value {
        Some(v) => {
            cur.insert(last, v);
        }
        None => {
            cur.remove(&last);
        }
    }
}

fn damaged(text: String, d: &Damage) -> Vec<u8> {
    let mut bytes = text.into_bytes();
    if let Some((at, insert, truncate)) = d {
        let k = ((bytes.len() as f64) * at) as usize;
        if *truncate {
            bytes.truncate(k);
        }
        let k = k.min(bytes.len());
        bytes.splice(k..k, insert.iter().copied());
    }
    bytes
}

/// Every key of a generated file: dotted paths and their last parts.
fn file_keys(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        out.push(k.clone());
        out.push(path.clone());
        if let toml::Value::Table(inner) = v {
            file_keys(inner, &path, out);
        }
    }
}

/// Does the message name a key: one of the edited ones (the first bool), or any key of
/// the file or of the schema (a value is often refused against another, e.g. model.d1
/// against model.d)? A key is named as `key`, as the dotted path, or in the quoted line
/// of a parse error (`key =`, `[section]`).
fn names_a_key(msg: &str, edited: &[Edit], file: &toml::Table) -> (bool, bool) {
    let forms = |k: &str| {
        let leaf = k.rsplit('.').next().unwrap().to_string();
        [
            format!("`{k}`"),
            format!("`{leaf}`"),
            format!("{leaf} ="),
            format!("[{k}]"),
            format!("\"{leaf}\" ="),
            format!("{k} ="),
            format!(".{leaf}`"),
        ]
    };
    let named = |k: &str| forms(k).iter().any(|f| msg.contains(f.as_str())) || (k.contains('.') && msg.contains(k));
    let edited_named = edited.iter().any(|(k, _)| named(k));
    let mut keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(["seeds", "axes", "derived", "base"].map(String::from));
    file_keys(file, "", &mut keys);
    (edited_named, edited_named || keys.iter().any(|k| named(k)))
}

/// Counts for the note.
#[derive(Default)]
struct Counts {
    tried: AtomicUsize,
    rejected: AtomicUsize,
    rejected_naming_edited_key: AtomicUsize,
    byte_damaged: AtomicUsize,
}

impl Counts {
    fn print(&self, what: &str) {
        println!(
            "{what}: {} files tried, {} rejected ({} naming an edited key), {} with damaged bytes, 0 panics",
            self.tried.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
            self.rejected_naming_edited_key.load(Ordering::Relaxed),
            self.byte_damaged.load(Ordering::Relaxed)
        );
    }
}

fn check_rejection(msg: &str, file: &Path, edits: &[Edit], table: &toml::Table, bytes_damaged: bool, counts: &Counts) {
    counts.rejected.fetch_add(1, Ordering::Relaxed);
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(msg.contains(name.as_ref()), "the file is not named: {msg}");
    let (edited, any) = names_a_key(msg, edits, table);
    if edited {
        counts.rejected_naming_edited_key.fetch_add(1, Ordering::Relaxed);
    }
    // A file whose bytes are damaged may fail before any key is read (not UTF-8, no
    // TOML), or on a key the damage made (named in backticks).
    let unparsable = msg.contains("TOML parse error") || msg.contains("UTF-8") || msg.contains('`');
    assert!(
        any || (bytes_damaged && unparsable),
        "no key named: {msg}\nedits: {edits:?}"
    );
}

/// 1000 cases per test (well under a second); `DECOUPLE_INPUT_CASES=N` for more.
fn runner(default_cases: u32) -> TestRunner {
    let cases = std::env::var("DECOUPLE_INPUT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    TestRunner::new(PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    })
}

#[test]
fn generated_experiment_files_load_or_are_refused_by_key_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let counts = Counts::default();
    let base: toml::Table = toml::from_str(BASE).unwrap();
    runner(1000)
        .run(&(edits(), damage()), |(edits, dmg)| {
            let n = counts.tried.fetch_add(1, Ordering::Relaxed);
            let mut t = base.clone();
            for (k, v) in &edits {
                apply(&mut t, k, v.clone());
            }
            let bytes = damaged(toml::to_string(&t).unwrap(), &dmg);
            if dmg.is_some() {
                counts.byte_damaged.fetch_add(1, Ordering::Relaxed);
            }
            let file = tmp.path().join(format!("experiment_{n}.toml"));
            std::fs::write(&file, &bytes).unwrap();
            let loaded = std::panic::catch_unwind(|| Config::load(&file));
            let loaded = loaded.map_err(|_| TestCaseError::fail(format!("panic loading {edits:?}")))?;
            if let Err(e) = loaded {
                check_rejection(&e.to_string(), &file, &edits, &t, dmg.is_some(), &counts);
            }
            Ok(())
        })
        .unwrap();
    counts.print("experiment files");
}

const SWEEP_BASE: &str = r#"
name = "gen_sweep"
seeds = 2
[base]
name = "b"
seed = 5
[base.model]
d = 8
d1 = 24
[base.network]
m = 12
[base.augmentation]
kind = "random_mask"
[base.train]
steps = 3
batch = 8
lr = 1.0
weight_decay = 1e-4
tau = 0.1
[axes]
"model.d" = [6, 8]
[derived]
"model.d1" = "3*d"
"#;

/// An edit of a sweep file: a top-level key, an axis, a derived key or a key of the base.
fn sweep_edit() -> impl Strategy<Value = Edit> {
    let top = prop::sample::select(&["name", "seeds", "base", "axes", "derived", "extra"][..]);
    let derived_expr = prop_oneof![
        Just("8*d".to_string()),
        Just("d^1.5".to_string()),
        Just("1e400*d".to_string()),
        Just("-d".to_string()),
        Just("".to_string()),
        Just("d^d".to_string()),
        Just("0.5*d^2".to_string()),
        Just("99999999999999999999".to_string()),
        prop::collection::vec(any::<char>(), 0..8).prop_map(|c| c.into_iter().collect()),
    ];
    prop_oneof![
        (top, prop::option::weighted(0.8, value())).prop_map(|(k, v)| (k.to_string(), v)),
        (
            key(),
            prop::option::of(prop::collection::vec(value(), 0..4).prop_map(toml::Value::Array))
        )
            .prop_map(|(k, v)| (format!("axes.{k}"), v)),
        (key(), prop::option::of(derived_expr.prop_map(toml::Value::String)))
            .prop_map(|(k, v)| (format!("derived.{k}"), v)),
        (key(), prop::option::weighted(0.85, value())).prop_map(|(k, v)| (format!("base.{k}"), v)),
    ]
}

/// Dotted axis and derived keys are written quoted (one key), as the sweep files do.
fn apply_sweep(t: &mut toml::Table, key: &str, value: Option<toml::Value>) {
    for section in ["axes.", "derived."] {
        if let Some(inner) = key.strip_prefix(section) {
            let s = section.trim_end_matches('.');
            let entry = t
                .entry(s.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            let tab = entry.as_table_mut().unwrap();
            match value {
                Some(v) => tab.insert(inner.to_string(), v),
                None => tab.remove(inner),
            };
            return;
        }
    }
    apply(t, key, value);
}

#[test]
fn generated_sweep_files_load_or_are_refused_by_key_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let counts = Counts::default();
    let base: toml::Table = toml::from_str(SWEEP_BASE).unwrap();
    let edits = prop::collection::vec(sweep_edit(), 0..4);
    runner(1000)
        .run(&(edits, damage()), |(edits, dmg)| {
            let n = counts.tried.fetch_add(1, Ordering::Relaxed);
            let mut t = base.clone();
            for (k, v) in &edits {
                apply_sweep(&mut t, k, v.clone());
            }
            let bytes = damaged(toml::to_string(&t).unwrap(), &dmg);
            if dmg.is_some() {
                counts.byte_damaged.fetch_add(1, Ordering::Relaxed);
            }
            let file = tmp.path().join(format!("sweep_{n}.toml"));
            std::fs::write(&file, &bytes).unwrap();
            let loaded = std::panic::catch_unwind(|| SweepSpec::from_file(&file).and_then(|s| s.tasks()));
            let loaded = loaded.map_err(|_| TestCaseError::fail(format!("panic loading {edits:?}")))?;
            if let Err(e) = loaded {
                check_rejection(&e.to_string(), &file, &edits, &t, dmg.is_some(), &counts);
            }
            Ok(())
        })
        .unwrap();
    counts.print("sweep files");
}
