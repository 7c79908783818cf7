//! The house rules of the workspace, checked on the source text: in each
//! crate the modules are floors and no import runs up a floor or sideways
//! to another module of the same floor; no two files import each other; the
//! core crate does no I/O, keeps no global state and depends on nothing that
//! does (nor on polars); the Python module links no engine crate. See
//! docs/DESIGN.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors of `residence` (the root package), ground first. A top-level
/// module may use modules of lower floors only. The core crate is below
/// them all (`crate::rules`, `crate::timeline`, `crate::digest` are its).
const FLOORS: &[&[&str]] = &[
    &["errors", "interrupt", "log", "progress", "spill", "warning"],
    &["pipeline"],
    &["evidence"],
    &["ingest"],
    &["output"],
    &["engine"],
    &["run", "check"],
    &["generate", "views"],
];

/// The floors of `residence-core`.
const CORE_FLOORS: &[&[&str]] = &[
    &["rules", "digest"],
    &["pipeline"],
    &["reader"],
    &["row", "gazetteer"],
    &["timeline"],
];

/// The floors of `residence-py`.
const PY_FLOORS: &[&[&str]] = &[&["arrow"], &["judged"], &["night"], &["stages"]];

/// Every crate's source folder and floors.
fn crates() -> [(PathBuf, &'static [&'static [&'static str]]); 3] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        (root.join("src"), FLOORS),
        (root.join("crates/residence-core/src"), CORE_FLOORS),
        (root.join("crates/residence-py/src"), PY_FLOORS),
    ]
}

/// Module path of a source file (`src/ingest/reader/mod.rs` → `ingest::reader`).
type ModPath = Vec<String>;

fn module_path(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without its unit-test module and without comment lines.
fn code(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        out.push(format!("{prefix}{tree}"));
        return;
    };
    let head = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').expect("balanced use braces")];
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&format!("{prefix}{head}"), &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        expand(&format!("{prefix}{head}"), &inner[start..], out);
    }
}

fn ident_prefix(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every path the file names: its `use` trees, and inline `crate::`,
/// `super::` and `self::` paths.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let tree: String = rest[..end].split_whitespace().collect();
        if !tree.contains('!') && !tree.contains('"') {
            expand("", &tree, &mut out);
        }
    }
    for root in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(i) = rest.find(root) {
            let before = rest[..i].chars().last();
            let tail = &rest[i..];
            rest = &rest[i + root.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut path = String::new();
            let mut t = tail;
            loop {
                let id = ident_prefix(t);
                if id.is_empty() {
                    break;
                }
                path.push_str(id);
                t = &t[id.len()..];
                match t.strip_prefix("::") {
                    Some(r) => {
                        path.push_str("::");
                        t = r;
                    }
                    None => break,
                }
            }
            out.push(path);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn children(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            let name = l.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.to_owned())
        })
        .collect()
}

type Graph = BTreeMap<ModPath, BTreeSet<ModPath>>;

/// Each non-test file of a crate's `src` by module path, as code.
fn sources(src: &Path) -> BTreeMap<ModPath, String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut codes = BTreeMap::new();
    for f in &files {
        // Test-only files (`tests.rs`, `tests/…`) may reach anywhere.
        if f.components().any(|c| c.as_os_str() == "tests") || f.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read source");
        codes.insert(module_path(src, f), code(&text));
    }
    codes
}

/// File-level import graph.
fn graph_of(codes: &BTreeMap<ModPath, String>) -> Graph {
    let known: BTreeSet<&ModPath> = codes.keys().collect();
    let resolve = |path: &[String]| -> Option<ModPath> {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|p| known.contains(p))
    };
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (module, code) in codes {
        if module.is_empty() {
            continue;
        }
        let kids = children(code);
        for path in paths(code) {
            let segs: Vec<String> = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(|s| ident_prefix(s).to_owned())
                .collect();
            let Some(first) = segs.first() else { continue };
            let (mut base, mut rest): (Vec<String>, &[String]) = match first.as_str() {
                "crate" => (Vec::new(), &segs[1..]),
                "self" => (module.clone(), &segs[1..]),
                "super" => (module[..module.len() - 1].to_vec(), &segs[1..]),
                k if kids.contains(k) => (module.clone(), &segs[..]),
                _ => continue,
            };
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            if let Some(target) = resolve(&base)
                && &target != module
                && !target.is_empty()
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

/// Imports against the floors, as "a uses b".
fn upward(edges: &Graph, floors: &[&[&str]]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, tos) in edges {
        for to in tos {
            let (a, b) = (&from[0], &to[0]);
            if a != b && floor(floors, b) >= floor(floors, a) {
                wrong.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    wrong
}

/// Pairs of files importing each other.
fn circles(edges: &Graph) -> Vec<String> {
    let mut circles = Vec::new();
    for (a, tos) in edges {
        for b in tos {
            if a < b && edges.get(b).is_some_and(|t| t.contains(a)) {
                circles.push(format!("{} <-> {}", a.join("::"), b.join("::")));
            }
        }
    }
    circles
}

fn floor(floors: &[&[&str]], top: &str) -> usize {
    floors
        .iter()
        .position(|f| f.contains(&top))
        .unwrap_or_else(|| panic!("module `{top}` is on no floor: add it to FLOORS"))
}

#[test]
fn no_import_runs_up_a_floor_or_sideways() {
    for (src, floors) in crates() {
        let edges = graph_of(&sources(&src));
        let wrong = upward(&edges, floors);
        assert!(
            wrong.is_empty(),
            "{}: imports against the floors:\n{}",
            src.display(),
            wrong.join("\n")
        );
        // The check sees imports at all.
        assert!(!edges.is_empty(), "{}: no imports seen", src.display());
    }
}

#[test]
fn no_two_files_import_each_other() {
    for (src, _) in crates() {
        let found = circles(&graph_of(&sources(&src)));
        assert!(
            found.is_empty(),
            "{}: files importing each other:\n{}",
            src.display(),
            found.join("\n")
        );
    }
}

/// What no file of the core may name: I/O of its own, threads, process-wide
/// state, printing, polars. (`std::io` is allowed outside `rules/`: the
/// reader reads any `Read` the caller opened.)
const CORE_BANNED: &[&str] = &[
    "polars",
    "rayon",
    "std::fs",
    "File::",
    "std::net",
    "std::process",
    "std::thread",
    "std::env",
    "thread_local!",
    "static mut",
    "OnceLock",
    "LazyLock",
    "std::sync",
    "println!",
    "eprintln!",
];

#[test]
fn the_core_does_no_io_keeps_no_state_and_knows_no_polars() {
    let src = &crates()[1].0;
    let codes = sources(src);
    assert!(
        codes.len() > 25,
        "the core's files were found: {}",
        codes.len()
    );
    for (module, code) in &codes {
        let in_rules = module.first().is_some_and(|t| t == "rules");
        for banned in CORE_BANNED.iter().chain(in_rules.then_some(&"std::io")) {
            assert!(
                !code.contains(banned),
                "core {} mentions {banned}",
                module.join("::")
            );
        }
    }
}

/// The `[dependencies]` names of a crate's manifest.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("read manifest");
    let section = text
        .split("\n[dependencies]\n")
        .nth(1)
        .expect("a [dependencies] table")
        .split("\n[")
        .next()
        .unwrap_or_default();
    section
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains('='))
        .map(|l| {
            l.split(['.', '='])
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_core_depends_on_no_engine_crate_and_the_module_only_on_polars_arrow() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine = [
        "polars",
        "rayon",
        "clap",
        "indicatif",
        "signal-hook",
        "tracing",
        "pyo3",
    ];
    let core = dependencies(&root.join("crates/residence-core/Cargo.toml"));
    assert!(
        core.iter().any(|d| d == "chrono"),
        "core deps read: {core:?}"
    );
    for d in &core {
        assert!(
            !engine.iter().any(|e| d.starts_with(e)),
            "residence-core depends on {d}"
        );
    }
    let module = dependencies(&root.join("crates/residence-py/Cargo.toml"));
    assert!(
        module.iter().any(|d| d == "pyo3"),
        "module deps read: {module:?}"
    );
    for d in &module {
        assert!(
            d == "polars-arrow" || !engine[..engine.len() - 1].iter().any(|e| d.starts_with(e)),
            "residence-py depends on {d}"
        );
    }
}

#[test]
fn the_checker_sees_a_circle_and_an_upward_import() {
    let mut out = Vec::new();
    expand("", "super::{a,b::{c,d}}", &mut out);
    assert_eq!(out, ["super::a", "super::b::c", "super::b::d"]);
    let m = |s: &str| -> ModPath { s.split("::").map(str::to_owned).collect() };
    let fake: BTreeMap<ModPath, String> = [
        (m("rules"), "pub mod id;".to_owned()),
        (m("rules::id"), "use crate::views::Run;".to_owned()),
        (
            m("views"),
            "mod explain;\npub use explain::{explain, Format};".to_owned(),
        ),
        (
            m("views::explain"),
            "use super::{Run, ViewError};".to_owned(),
        ),
        (
            m("views::text"),
            "fn f() { super::explain::render(); }".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    let edges = graph_of(&fake);
    let floors: &[&[&str]] = &[&["rules"], &["views"]];
    assert_eq!(upward(&edges, floors), ["rules::id uses views"]);
    assert_eq!(circles(&edges), ["views <-> views::explain"]);
    assert!(edges[&m("views::text")].contains(&m("views::explain")));
}

/// `.ci/run` runs every test a second time with debug assertions and
/// overflow checks on (`RESIDENCE_CHECKED=1`, see there); this proves that
/// build really has them. In the README's plain run it checks nothing.
#[test]
fn the_checked_run_has_debug_assertions_and_overflow_checks() {
    if std::env::var_os("RESIDENCE_CHECKED").is_none() {
        return;
    }
    let asserted = std::panic::catch_unwind(|| debug_assert!(std::hint::black_box(false)));
    assert!(asserted.is_err(), "debug assertions are off");
    let max = std::hint::black_box(u8::MAX);
    let overflowed = std::panic::catch_unwind(|| max + std::hint::black_box(1));
    assert!(overflowed.is_err(), "overflow checks are off");
}

/// Every file says what it holds in a `//!` line, and none has grown past
/// ~900 lines (a folder waiting to happen).
#[test]
fn every_file_is_documented_and_small() {
    let mut files = Vec::new();
    for (src, _) in crates() {
        rust_files(&src, &mut files);
    }
    assert!(files.len() > 80, "files found: {}", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        assert!(text.starts_with("//!"), "{} has no //! line", f.display());
        let lines = text.lines().count();
        assert!(lines <= 900, "{} has {lines} lines", f.display());
    }
}
