//! Running one scenario of `tests/browser/run.mjs` in Debian's Chromium,
//! for `tests/browser.rs` and the README recipes that end in a browser.
//!
//! Outside CI, a machine without Chromium or without the Node packages
//! skips the scenario and says why. With `CI` set it must run: a missing
//! browser is a failure, not a skip.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// One browser at a time: the machine has two cores.
static BROWSER: Mutex<()> = Mutex::new(());

const CHROMIUM: &str = "/usr/bin/chromium";

/// Why the scenarios cannot run here, if they cannot.
fn missing_prerequisite() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !Path::new(CHROMIUM).exists() {
        return Some(format!(
            "{CHROMIUM} is not installed (apt-get install chromium)"
        ));
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        return Some("playwright-core is not installed (npm ci --prefix tests/browser)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    None
}

/// Runs `scenario` with its own herald.
pub fn run(scenario: &str) {
    run_with(scenario, &["--herald", env!("CARGO_BIN_EXE_herald")]);
}

/// Runs `scenario` with `args` (`--url BASE` for a herald already running);
/// panics with what it printed if it fails.
pub fn run_with(scenario: &str, args: &[&str]) {
    run_with_env(scenario, args, &[]);
}

/// The same, with `env` added to the scenario's environment (for the
/// commands it runs).
pub fn run_with_env(scenario: &str, args: &[&str], env: &[(&str, String)]) {
    let _one_at_a_time = BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(reason) = missing_prerequisite() {
        if std::env::var_os("CI").is_some() {
            panic!("browser scenario {scenario} cannot run in CI: {reason}");
        }
        eprintln!("skipped browser scenario {scenario}: {reason}");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("node")
        .arg(root.join("tests/browser/run.mjs"))
        .args(args)
        .args(["--scenario", scenario])
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .expect("cannot run node");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{printed}");
    assert!(
        output.status.success(),
        "browser scenario {scenario} failed:\n{printed}"
    );
}
