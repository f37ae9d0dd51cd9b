//! The layering rule, checked on the source text (CONTRIBUTING.md, "Layers"):
//!
//! * from the top down, `cli` → `report` → `audit` → `exec` → `io` → `sim` → `config`,
//!   `stats`: a layer never names one above it (`audit/` no `report`; `exec/`, the
//!   execution layer, no `audit` or `report`; `io/` no `exec`; `sim/` neither `io` nor
//!   `exec`); `stats/` never names `sim` (nor `config` or `io`); `config/` names nothing
//!   above it;
//! * the library never prints and has no command-line dependencies (clap, indicatif,
//!   anyhow live in `main.rs` and `cli/` only);
//! * no import cycle: at every level of the module tree, the modules that sit side by side
//!   (files and folders of one folder) refer to each other along a graph without a cycle.
//!
//! Paths are read from `crate::…`, `super::…` and `self::…` in the code (comments are
//! skipped); a grouped `use crate::{…}` is not parsed, so it is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Every `.rs` file under `dir`, with its module path (`sim/train/solver.rs` → [sim, train, solver]).
fn modules(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let mut path = prefix.to_vec();
        if p.is_dir() {
            path.push(name);
            modules(&p, &path, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            if name != "mod" && !(prefix.is_empty() && (name == "lib" || name == "main")) {
                path.push(name);
            }
            out.push((path, p));
        }
    }
}

/// The code of a file without its comments (line comments and doc comments).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| match l.find("//") {
            Some(k) if !l[..k].contains('"') => &l[..k],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file refers to (absolute, as identifier lists).
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    // `a::b::c` up to the first character that continues no path.
    let ident = |s: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = s;
        loop {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name.is_empty() {
                break;
            }
            rest = &rest[name.len()..];
            out.push(name);
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => break,
            }
        }
        out
    };
    let mut refs = Vec::new();
    let bytes = text.as_bytes();
    for (k, _) in text.match_indices("crate::") {
        if k > 0 && (bytes[k - 1].is_ascii_alphanumeric() || bytes[k - 1] == b'_') {
            continue;
        }
        assert!(
            !text[k + 7..].starts_with('{'),
            "module {module:?}: grouped `use crate::{{…}}` is not allowed (this test cannot read it)"
        );
        refs.push(ident(&text[k + 7..]));
    }
    // `self::` and `super::` are relative to the module (a mod.rs file is its folder's module).
    let here: Vec<String> = module.to_vec();
    for (k, _) in text.match_indices("super::") {
        if k > 0 && (bytes[k - 1].is_ascii_alphanumeric() || bytes[k - 1] == b'_' || bytes[k - 1] == b':') {
            continue;
        }
        let mut base = here.clone();
        let mut rest = &text[k..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        base.extend(ident(rest));
        refs.push(base);
    }
    for (k, _) in text.match_indices("self::") {
        if k > 0 && (bytes[k - 1].is_ascii_alphanumeric() || bytes[k - 1] == b'_' || bytes[k - 1] == b':') {
            continue;
        }
        let mut base = here.clone();
        base.extend(ident(&text[k + 6..]));
        refs.push(base);
    }
    refs
}

fn all() -> Vec<(Vec<String>, PathBuf, String)> {
    let mut files = Vec::new();
    modules(Path::new(SRC), &[], &mut files);
    files
        .into_iter()
        .map(|(m, p)| {
            let t = code(&p);
            (m, p, t)
        })
        .collect()
}

#[test]
fn lower_layers_never_name_the_layers_above() {
    let forbidden: [(&str, &[&str]); 6] = [
        ("audit", &["report", "cli"]),
        ("exec", &["audit", "report", "cli"]),
        ("io", &["exec", "audit", "report", "cli"]),
        ("sim", &["audit", "report", "cli", "io", "exec"]),
        ("stats", &["audit", "report", "cli", "sim", "io", "config"]),
        ("config", &["audit", "report", "cli", "sim", "io", "stats"]),
    ];
    let mut bad = Vec::new();
    for (module, path, text) in all() {
        for (layer, above) in forbidden {
            if module.first().map(String::as_str) != Some(layer) {
                continue;
            }
            for r in references(&module, &text) {
                if let Some(top) = r.first() {
                    if above.contains(&top.as_str()) {
                        bad.push(format!("{}: names {}", path.display(), r.join("::")));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn the_library_never_prints_and_has_no_cli_dependencies() {
    let mut bad = Vec::new();
    for (module, path, text) in all() {
        let binary = module.first().is_some_and(|m| m == "cli") || path.ends_with("main.rs");
        if binary {
            continue;
        }
        for word in [
            "println!",
            "eprintln!",
            "print!",
            "eprint!",
            "dbg!",
            "clap",
            "indicatif",
            "anyhow",
        ] {
            if text.contains(word) {
                bad.push(format!("{}: uses {word}", path.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The edges between sibling modules at every level of the tree.
fn sibling_graphs() -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let files = all();
    let module_set: BTreeSet<Vec<String>> = files.iter().map(|(m, _, _)| m.clone()).collect();
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, _path, text) in &files {
        for r in references(module, text) {
            // The longest prefix of the reference that is a module.
            let target = (0..=r.len())
                .rev()
                .map(|n| r[..n].to_vec())
                .find(|p| module_set.contains(p))
                .unwrap_or_default();
            // The deepest common ancestor; the edge joins the two children of it.
            let common = module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common < module.len() && common < target.len() {
                graphs
                    .entry(module[..common].to_vec())
                    .or_default()
                    .entry(module[common].clone())
                    .or_default()
                    .insert(target[common].clone());
            }
        }
    }
    graphs
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let k = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[k..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_import_cycle_between_sibling_modules() {
    let graphs = sibling_graphs();
    let top = &graphs[&Vec::<String>::new()];
    assert!(top["sim"].contains("config"), "the reader sees sim -> config: {top:?}");
    assert!(top["audit"].contains("exec"), "the reader sees audit -> exec: {top:?}");
    assert!(
        top["report"].contains("exec"),
        "the reader sees report -> exec: {top:?}"
    );
    let cycles: Vec<String> = graphs
        .iter()
        .filter_map(|(parent, g)| find_cycle(g).map(|c| format!("in crate::{}: {}", parent.join("::"), c.join(" -> "))))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).map(|c| c.len()), Some(4));
    let text = "use crate::sim::data::Batch;\nuse super::bounds::t;\nlet x = self::sweep::f();";
    let refs = references(&["stats".into(), "regression".into()], text);
    assert_eq!(refs[0], ["sim", "data", "Batch"]);
    assert_eq!(refs[1], ["stats", "bounds", "t"]);
    assert_eq!(refs[2], ["stats", "regression", "sweep", "f"]);
}
