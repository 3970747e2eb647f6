//! The README's tour ("How it works") names files and functions for a reader
//! to open. This test holds it to the code: every file it names exists, and
//! every Rust name a step gives is defined in a file that same step names,
//! so a rename or a move that forgets the tour fails here instead of
//! sending a reader to the wrong file.

use std::fs;
use std::path::Path;

/// The tour: from its heading to the next section of the same level.
fn tour() -> String {
    let readme = fs::read_to_string("README.md").expect("read README.md");
    let start = readme
        .find("## How it works")
        .expect("the README has a How it works section");
    let rest = &readme[start + 2..];
    let end = rest.find("\n## ").map_or(rest.len(), |at| at + 1);
    rest[..end].to_string()
}

/// Every `code span` of the text.
fn code_spans(text: &str) -> Vec<String> {
    let fenced_removed: String = text
        .split("```")
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect();
    fenced_removed
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn all_source() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in fs::read_dir(dir).expect("read src/") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&fs::read_to_string(&path).expect("read a source file"));
            }
        }
    }
    let mut out = String::new();
    walk(Path::new("src"), &mut out);
    out
}

/// Whether `name` is defined: a function, a type, or an enum variant.
fn is_defined(source: &str, name: &str) -> bool {
    if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return source.contains(&format!("fn {name}(")) || source.contains(&format!("fn {name}<"));
    }
    ["struct", "enum", "trait", "type"]
        .iter()
        .any(|kind| source.contains(&format!("{kind} {name}")))
        || source.lines().any(|line| {
            let line = line.trim_start();
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '{', '(', ',']))
        })
}

/// Names the tour gives that are not herald's: the browser's and std's.
const NOT_HERALDS: &[&str] = &["EventSource", "Duration"];

#[test]
fn every_file_the_tour_names_exists() {
    let mut missing = Vec::new();
    for span in code_spans(&tour()) {
        let looks_like_a_path =
            span.ends_with(".rs") || span.ends_with(".js") || span.ends_with(".html");
        // "each folder's `mod.rs`" names no one file.
        if !looks_like_a_path || span.contains(' ') || span == "mod.rs" {
            continue;
        }
        let candidates = [span.clone(), format!("src/{span}"), format!("www/{span}")];
        if !candidates.iter().any(|path| Path::new(path).is_file()) {
            missing.push(span);
        }
    }
    assert!(
        missing.is_empty(),
        "the tour names files that do not exist: {missing:?}"
    );
}

#[test]
fn every_rust_name_the_tour_gives_is_defined() {
    let source = all_source();
    let mut missing = Vec::new();
    for span in code_spans(&tour()) {
        if !is_rust_name(&span) {
            continue;
        }
        let name = span.rsplit("::").next().unwrap_or(&span);
        if !is_defined(&source, name) {
            missing.push(span);
        }
    }
    assert!(
        missing.is_empty(),
        "the tour names what src/ does not define: {missing:?}"
    );
}

/// The tour's numbered steps, each as its text.
fn steps() -> Vec<String> {
    let tour = tour();
    let mut steps: Vec<String> = Vec::new();
    for line in tour.lines() {
        let trimmed = line.trim_start();
        let starts_step = trimmed
            .split_once(". **")
            .is_some_and(|(number, _)| number.parse::<usize>().is_ok());
        if starts_step {
            steps.push(String::new());
        } else if line.trim().is_empty() || line.starts_with('#') {
            // A blank line or a heading ends the step.
            if steps.last().is_some_and(|step| !step.is_empty()) {
                steps.push(String::new());
            }
            continue;
        }
        if let Some(step) = steps.last_mut() {
            step.push_str(line);
            step.push('\n');
        }
    }
    steps.retain(|step| step.trim_start().split_once(". **").is_some());
    steps
}

/// Whether a code span is a Rust name the tour gives: a path, a
/// snake_case name or a CamelCase one; not a file, a flag, a method like
/// POST, nor a suffix like `_BYTES`.
fn is_rust_name(span: &str) -> bool {
    let is_path = span
        .split("::")
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'));
    let shouting = span.chars().all(|c| !c.is_ascii_lowercase());
    let named = !shouting
        && !span.starts_with('_')
        && (span.contains("::") || span.contains('_') || span.starts_with(char::is_uppercase));
    is_path && named && !NOT_HERALDS.contains(&span)
}

#[test]
fn each_name_a_step_gives_is_defined_in_a_file_that_step_names() {
    let steps = steps();
    assert!(steps.len() >= 8, "the tour has its steps: {}", steps.len());
    let mut misplaced = Vec::new();
    for step in &steps {
        let spans = code_spans(step);
        let files: Vec<String> = spans
            .iter()
            .filter(|span| span.ends_with(".rs") && !span.contains(' '))
            .filter_map(|span| {
                [span.clone(), format!("src/{span}")]
                    .into_iter()
                    .find(|path| Path::new(path).is_file())
            })
            .map(|path| fs::read_to_string(path).expect("read a file the tour names"))
            .collect();
        for span in spans.iter().filter(|span| is_rust_name(span)) {
            let name = span.rsplit("::").next().unwrap_or(span);
            if !files.iter().any(|file| is_defined(file, name)) {
                let heading = step.split("**").nth(1).unwrap_or("?");
                misplaced.push(format!("step \"{heading}\": {span}"));
            }
        }
    }
    assert!(
        misplaced.is_empty(),
        "the tour names these in no file of their step:\n{}",
        misplaced.join("\n")
    );
}

/// A file's lines of code: not blank, not a comment, not in its tests.
fn lines_of_code(path: &str) -> usize {
    let text = fs::read_to_string(path).expect("read a file the tour names");
    let code = match path.ends_with(".rs") {
        true => text.split("#[cfg(test)]").next().unwrap_or(""),
        false => &text,
    };
    code.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//") && !line.starts_with("<!--"))
        .count()
}

/// The files each step names, in order, split into the core path (before
/// the step's *May skip*) and the details; a file once in the core path
/// is not a detail of a later step.
fn core_and_details() -> (Vec<String>, Vec<String>) {
    let (mut core, mut details) = (Vec::new(), Vec::new());
    for step in steps() {
        let (main, skip) = step.split_once("*May skip:*").unwrap_or((&step, ""));
        for (text, list) in [(main, &mut core), (skip, &mut details)] {
            for span in code_spans(text) {
                let found = [span.clone(), format!("src/{span}"), format!("www/{span}")]
                    .into_iter()
                    .find(|path| span.contains('.') && Path::new(path).is_file());
                if let Some(path) = found
                    && !list.contains(&path)
                {
                    list.push(path);
                }
            }
        }
    }
    details.retain(|path| !core.contains(path));
    (core, details)
}

/// The issue's measure of the teaching path: one form publish to one tab
/// (no store, no hook, no Redis) in at most 12 files and 2,000 lines of
/// `src/`, and the README says what it is.
#[test]
fn the_core_path_reads_in_twelve_files_and_two_thousand_lines() {
    let (core, details) = core_and_details();
    let mut server = (0, 0);
    let mut page = (0, 0);
    println!("the core path, in the tour's order:");
    for path in &core {
        let lines = lines_of_code(path);
        println!("{lines:6}  {path}");
        let sum = if path.starts_with("src/") {
            &mut server
        } else {
            &mut page
        };
        *sum = (sum.0 + 1, sum.1 + lines);
    }
    let skipped: usize = details.iter().map(|path| lines_of_code(path)).sum();
    println!("{:6}  in {} files of src/", server.1, server.0);
    println!("{:6}  in {} files of the page", page.1, page.0);
    println!(
        "may skip: {} files, {skipped} lines: {}",
        details.len(),
        details.join(" ")
    );
    assert!(
        server.0 <= 12,
        "the core path opens {} files of src/",
        server.0
    );
    assert!(
        server.1 <= 2000,
        "the core path is {} lines of src/",
        server.1
    );
    let readme = fs::read_to_string("README.md").expect("read README.md");
    let claim = format!(
        "**{} files of `src/`, {} lines of code**",
        server.0, server.1
    );
    assert!(readme.contains(&claim), "the README should say {claim}");
    let page_claim = format!("the page's {} files, {} lines", page.0, page.1);
    assert!(
        readme.contains(&page_claim),
        "the README should say {page_claim}"
    );
    let details_claim = format!("the *May skip* details are {} more", details.len());
    assert!(
        readme.contains(&details_claim),
        "the README should say {details_claim}"
    );
}

/// The steps follow the call path: the first function each step names is
/// called from a file that the tour has named by then, so a reader who
/// follows the steps in order never jumps to code nothing has led to.
#[test]
fn each_step_begins_where_an_earlier_one_calls() {
    let mut named: Vec<String> = Vec::new();
    let mut unreached = Vec::new();
    for step in steps() {
        let spans = code_spans(&step);
        for span in &spans {
            let path = [span.clone(), format!("src/{span}")]
                .into_iter()
                .find(|path| path.ends_with(".rs") && Path::new(path).is_file());
            if let Some(path) = path {
                named.push(fs::read_to_string(path).expect("read a file the tour names"));
            }
        }
        let main = step.split("*May skip:*").next().unwrap_or("");
        let first = code_spans(main)
            .into_iter()
            .find(|span| is_rust_name(span) && span.contains(|c: char| c.is_ascii_lowercase()));
        let Some(first) = first else { continue };
        let name = first.rsplit("::").next().unwrap_or(&first).to_string();
        let called = named.iter().any(|file| {
            file.match_indices(&format!("{name}("))
                .any(|(at, _)| !file[..at].ends_with("fn "))
        });
        if !called {
            unreached.push(first);
        }
    }
    assert!(
        unreached.is_empty(),
        "nothing the tour has shown by then calls: {unreached:?}"
    );
}
