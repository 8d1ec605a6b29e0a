//! The shape of the source, checked on every `cargo test` so that it stays as ARCHITECTURE.md
//! describes it: no file imports a file that imports it back (directly or round a longer
//! loop), no folder of `src/` holds more than a dozen files, and no function outside test code
//! is over 100 lines. Imports are read as text from `use` trees and `crate::`/`super::`
//! paths; test-only files and `#[cfg(test)] mod tests` blocks are left out.
//!
//! `cargo test --test structure -- --nocapture` prints the import graph's loops, if any, and
//! the longest function.

// A test that cannot read the source should fail loudly.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files that exist only for tests.
fn test_only(path: &Path) -> bool {
    let name = path.file_stem().unwrap().to_str().unwrap();
    name == "tests" || name == "testing" || name == "fuzz" || name.ends_with("_tests")
}

/// The file's text without its `#[cfg(test)] mod tests { … }` block (always last).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    }
}

/// The text with comments, string and character literals blanked out, its lines kept.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            out.push_str(&"\n".repeat(text[i..end].matches('\n').count()));
            i = end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = i + 2 + hashes;
            let end = text[body..].find(&close).map_or(text.len(), |n| body + n + close.len());
            out.push_str("\"\"");
            out.push_str(&"\n".repeat(text[i..end].matches('\n').count()));
            i = end;
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                if bytes[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push_str("\"\"");
            out.push_str(&"\n".repeat(text[i..(j + 1).min(text.len())].matches('\n').count()));
            i = j + 1;
        } else if bytes[i] == b'\'' && (rest.starts_with("'\\") || rest.chars().nth(2) == Some('\'')) {
            // A character literal (not a lifetime).
            let end = rest[1..].find('\'').map_or(text.len(), |n| i + n + 2);
            let end = if rest.starts_with("'\\'") { i + 4 } else { end };
            out.push_str("' '");
            i = end;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The module path of a file (`src/engine/mod.rs` → `engine`, `src/sql/scan.rs` → `sql::scan`).
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_str().unwrap().to_string()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The file a module path ends in, following the path while its segments are modules.
fn resolve(path: &[String]) -> Option<PathBuf> {
    let mut dir = src();
    let mut found = Some(src().join("lib.rs"));
    for segment in path {
        let file = dir.join(format!("{segment}.rs"));
        let folder = dir.join(segment).join("mod.rs");
        if file.is_file() {
            found = Some(file);
        } else if folder.is_file() {
            found = Some(folder);
        } else {
            break;
        }
        dir = dir.join(segment);
    }
    found
}

/// The paths a `use` tree names (`a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`).
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap().trim().to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.trim_end_matches("::").to_string()
            } else {
                format!("{prefix}{p}")
            }
        })
        .collect()
}

/// The files `path` refers to, by `use` trees and by `crate::`/`super::` paths in its code.
fn imports(path: &Path, code: &str) -> BTreeSet<PathBuf> {
    let module = module_of(path);
    let children: BTreeSet<String> = code
        .lines()
        .filter_map(|l| l.trim().split("mod ").nth(1))
        .filter(|rest| rest.ends_with(';'))
        .map(|rest| rest.trim_end_matches(';').to_string())
        .collect();
    let mut paths = Vec::new();
    // `use` trees, across lines.
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        paths.extend(expand(&rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    // Paths written out in code.
    for start in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().last();
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            // `pub(in crate::x)` is a visibility, not an import.
            let visibility = rest[..at].ends_with("(in ");
            if !visibility && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                paths.push(tail[..end].trim_end_matches(':').to_string());
            }
            rest = &tail[start.len()..];
        }
    }
    let mut found = BTreeSet::new();
    for p in paths {
        let segments: Vec<String> = p.split("::").map(|s| s.trim().to_string()).collect();
        let absolute = match segments.first().map(String::as_str) {
            Some("crate") => segments[1..].to_vec(),
            Some("super") => {
                let mut base = module.clone();
                let mut i = 0;
                while segments.get(i).map(String::as_str) == Some("super") {
                    base.pop();
                    i += 1;
                }
                base.extend(segments[i..].iter().cloned());
                base
            }
            Some("self") => module.iter().chain(&segments[1..]).cloned().collect(),
            Some(first) if children.contains(first) => module.iter().chain(&segments).cloned().collect(),
            _ => continue,
        };
        if let Some(target) = resolve(&absolute)
            && target != path
            && !test_only(&target)
        {
            found.insert(target);
        }
    }
    found
}

/// The import graph of every file but the test-only ones.
fn graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .filter(|f| !test_only(f) && f.file_name().unwrap() != "main.rs")
        .map(|f| {
            let text = fs::read_to_string(&f).unwrap();
            let code = code_only(without_tests(&text));
            let edges = imports(&f, &code);
            (f, edges)
        })
        .collect()
}

/// The loops of the graph: its strongly connected parts of more than one file (Tarjan).
fn loops(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'g> {
        graph: &'g BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'g PathBuf, usize>,
        low: BTreeMap<&'g PathBuf, usize>,
        stack: Vec<&'g PathBuf>,
        on_stack: BTreeSet<&'g PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g PathBuf) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = s.graph.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut part = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                part.push(w.clone());
                if w == v {
                    break;
                }
            }
            if part.len() > 1 {
                part.sort();
                s.found.push(part);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn short(path: &Path) -> String {
    path.strip_prefix(src()).unwrap().display().to_string()
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = graph();
    let found = loops(&graph);
    for part in &found {
        let names: Vec<String> = part.iter().map(|p| short(p)).collect();
        println!("loop: {}", names.join(" ↔ "));
        for a in part {
            for b in &graph[a] {
                if part.contains(b) {
                    println!("    {} → {}", short(a), short(b));
                }
            }
        }
    }
    println!("{} files, {} loops", graph.len(), found.len());
    assert!(
        found.is_empty(),
        "{} import loops (run with --nocapture to see them)",
        found.len()
    );
}

/// No folder of `src/` holds more than this many files, so that each is read at a glance.
const MAX_FILES_PER_FOLDER: usize = 12;

#[test]
fn no_folder_holds_more_than_a_dozen_files() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut per_folder: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for f in &files {
        *per_folder.entry(f.parent().unwrap().to_path_buf()).or_default() += 1;
    }
    let crowded: Vec<_> = per_folder.iter().filter(|(_, n)| **n > MAX_FILES_PER_FOLDER).collect();
    assert!(
        crowded.is_empty(),
        "folders over {MAX_FILES_PER_FOLDER} files: {crowded:?}"
    );
}

/// No function outside test code is longer than this many lines, from its `fn` line to its
/// closing brace, so that each can be read on one screen.
const MAX_FUNCTION_LINES: usize = 100;

/// The text with `#[cfg(test)] mod tests { … }` blocks blanked out, lines kept.
fn blank_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|n| from + n) {
        let after = at + "#[cfg(test)]".len();
        let rest = out[after..].trim_start();
        from = after;
        if !rest.starts_with("mod tests") {
            continue;
        }
        let Some(open) = out[after..].find('{').map(|n| after + n) else {
            break;
        };
        let end = matching_brace(&out, open).unwrap_or(out.len());
        let blanked: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blanked);
        from = end;
    }
    out
}

/// The byte just past the `}` closing the `{` at `open`.
fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Each function with a body in `code`: its name, first line and number of lines.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("fn ").map(|n| from + n) {
        from = at + 3;
        if code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let name: String = code[from..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` before any `;` (a signature without a body).
        let Some(end) = code[from..].find(['{', ';']).map(|n| from + n) else {
            break;
        };
        if code.as_bytes()[end] == b';' {
            continue;
        }
        let Some(close) = matching_brace(code, end) else {
            continue;
        };
        let first = code[..at].matches('\n').count() + 1;
        let last = code[..close].matches('\n').count() + 1;
        found.push((name, first, last - first + 1));
    }
    found
}

#[test]
fn no_function_outside_tests_is_over_a_hundred_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    let mut longest = (String::new(), 0);
    let in_tests_folder = |f: &Path| f.strip_prefix(src()).unwrap().iter().any(|part| part == "tests");
    for f in files.iter().filter(|f| !test_only(f) && !in_tests_folder(f)) {
        let text = fs::read_to_string(f).unwrap();
        let code = blank_test_modules(&code_only(&text));
        for (name, line, lines) in functions(&code) {
            let place = format!("{}:{line} {name}", short(f));
            if lines > longest.1 {
                longest = (place.clone(), lines);
            }
            if lines > MAX_FUNCTION_LINES {
                long.push(format!("{place} ({lines} lines)"));
            }
        }
    }
    println!("longest: {} ({} lines)", longest.0, longest.1);
    assert!(long.is_empty(), "functions over {MAX_FUNCTION_LINES} lines: {long:#?}");
}
