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

/// The stages as `lib.rs` numbers them: a `// N. ...` comment, then the
/// `pub mod` it describes.
fn numbered_stages() -> Vec<(usize, String)> {
    let lib = fs::read_to_string("src/lib.rs").expect("read src/lib.rs");
    let mut stages = Vec::new();
    let mut number = None;
    for line in lib.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("// ") {
            number = rest.split_once(". ").and_then(|(n, _)| n.parse().ok());
        } else if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|r| r.strip_suffix(';'))
            && let Some(n) = number.take()
        {
            stages.push((n, name.to_string()));
        }
    }
    stages
}

#[test]
fn each_stage_says_its_number_as_lib_rs_gives_it() {
    let stages = numbered_stages();
    assert!(stages.len() >= 8, "lib.rs numbers its stages: {stages:?}");
    for (at, (number, name)) in stages.iter().enumerate() {
        assert_eq!(*number, at + 1, "lib.rs numbers {name} out of order");
        let text = fs::read_to_string(format!("src/{name}/mod.rs")).expect("a stage's mod.rs");
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with(&format!("//! Stage {number}")),
            "src/{name}/mod.rs opens with {first:?}, not \"//! Stage {number}\""
        );
    }
}

/// The README's house: `├── NAME/   N  ...` for each stage, then the leaves.
fn readme_house() -> String {
    let readme = fs::read_to_string("README.md").expect("read README.md");
    let start = readme
        .find("```text\nsrc/\n")
        .expect("the README draws src/");
    let house = &readme[start + 8..];
    house[..house.find("```").expect("the drawing ends")].to_string()
}

#[test]
fn the_readmes_house_draws_the_stages_in_order_and_every_leaf() {
    let house = readme_house();
    let drawn: Vec<(usize, String)> = house
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start_matches(['├', '└', '─', '│', ' ']);
            let (folder, rest) = rest.split_once('/')?;
            let number = rest.split_whitespace().next()?.parse().ok()?;
            Some((number, folder.to_string()))
        })
        .collect();
    assert_eq!(
        drawn,
        numbered_stages(),
        "the README's house against lib.rs"
    );
    for entry in fs::read_dir("src").expect("read src/") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let named = if path.is_dir() {
            format!("{name}/")
        } else {
            name.clone()
        };
        if name == "lib.rs" || name == "main.rs" {
            continue;
        }
        assert!(
            house.contains(&named),
            "the README's house does not show {named}"
        );
    }
}

/// The names a folder's `mod.rs` gives in its opening comment, in code.
fn named_in_opening(mod_rs: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(mod_rs).expect("read a mod.rs");
    let opening: String = text
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    opening
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|span| span.split("::").next().unwrap_or(span).to_string())
        .collect()
}

#[test]
fn each_folders_mod_rs_lists_its_files() {
    let mut folders = vec![PathBuf::from("src")];
    let mut unlisted = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("read a folder") {
            let path = entry.expect("an entry").path();
            if !path.is_dir() {
                continue;
            }
            folders.push(path.clone());
            let named = named_in_opening(&path.join("mod.rs"));
            for file in fs::read_dir(&path).expect("read a folder") {
                let file = file.expect("an entry").path();
                let stem = file.file_stem().unwrap().to_string_lossy().to_string();
                if stem != "mod" && !named.contains(&stem) {
                    unlisted.push(format!(
                        "{} does not list {stem}",
                        path.join("mod.rs").display()
                    ));
                }
            }
        }
    }
    assert!(unlisted.is_empty(), "{}", unlisted.join("\n"));
}

/// The error rule: a failure that leaves its module is a typed enum (or
/// struct), mapped to a status or a message in one `match`; no public
/// function returns `Result<_, &'static str>` or `Result<_, String>`.
#[test]
fn no_public_function_fails_with_a_bare_string() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut stringly = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("read a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let joined = code.split_whitespace().collect::<Vec<_>>().join(" ");
        for signature in joined.split("pub").skip(1) {
            let Some(rest) = signature.strip_prefix(" fn ").or_else(|| {
                signature
                    .split_once(") fn ")
                    .filter(|(visibility, _)| visibility.starts_with('(') && visibility.len() < 12)
                    .map(|(_, rest)| rest)
            }) else {
                continue;
            };
            let head = rest.split(['{', ';']).next().unwrap_or("");
            let Some((_, returns)) = head.split_once("->") else {
                continue;
            };
            let returns = returns.trim();
            if returns.starts_with("Result<")
                && (returns.ends_with(", &'static str>") || returns.ends_with(", String>"))
            {
                let name = rest.split(['(', '<']).next().unwrap_or("?");
                stringly.push(format!("{}: {name} -> {returns}", file.display()));
            }
        }
    }
    assert!(
        stringly.is_empty(),
        "these fail with a bare string, not a typed error:\n{}",
        stringly.join("\n")
    );
}
