//! The layout of `src/` as a rule a test can hold: `lib.rs` declares the
//! stages of a message's path in order, and a stage uses only the stages
//! declared after it (and the leaves at the end). So there is no import
//! circle, and a reader can read the stages top to bottom, each one using
//! only what comes after.
//!
//! A "unit" is a top-level folder of `src/` or a file beside `lib.rs`. A use
//! is any `crate::UNIT` path in a unit's code before its `#[cfg(test)]`
//! (tests may reach anywhere); comments do not count.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The units in the order `lib.rs` declares them.
fn declared_units() -> Vec<String> {
    let lib = fs::read_to_string("src/lib.rs").expect("read src/lib.rs");
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read a folder of src/") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The unit a file of `src/` belongs to.
fn unit_of(file: &Path) -> String {
    let relative = file.strip_prefix("src").expect("a file under src/");
    let first = relative.components().next().expect("a path in src/");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

/// The units a file's code names as `crate::UNIT`.
fn used_units(file: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(file).expect("read a source file");
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut used = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                group.split(',').map(str::trim).collect()
            } else {
                vec![rest]
            };
            for name in names {
                let unit: String = name
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !unit.is_empty() {
                    used.insert(unit);
                }
            }
        }
    }
    used
}

#[test]
fn every_unit_is_declared_in_lib_rs() {
    let declared = declared_units();
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let units: BTreeSet<String> = files
        .iter()
        .map(|f| unit_of(f))
        .filter(|u| u != "lib" && u != "main")
        .collect();
    for unit in &units {
        assert!(
            declared.contains(unit),
            "src/{unit} is not declared in lib.rs"
        );
    }
}

#[test]
fn a_stage_uses_only_the_stages_declared_after_it() {
    let declared = declared_units();
    let position = |unit: &str| declared.iter().position(|u| u == unit);
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let unit = unit_of(file);
        let Some(here) = position(&unit) else {
            continue; // lib.rs and main.rs sit above every stage
        };
        for used in used_units(file) {
            match position(&used) {
                Some(there) if there < here => {
                    upward.push(format!("{} uses crate::{used}", file.display()))
                }
                _ => {}
            }
        }
    }
    assert!(
        upward.is_empty(),
        "these files use a stage declared before their own in lib.rs:\n{}",
        upward.join("\n")
    );
}
