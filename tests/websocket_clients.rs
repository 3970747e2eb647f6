//! `/ws` with a client no one here wrote: Node's `ws` package (installed by
//! `.ci/run` with `npm ci --prefix tests/browser`). Outside CI a machine
//! without it skips this test and says why.

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn the_ws_package_subscribes_publishes_filters_and_resumes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join("tests/browser/node_modules/ws").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the ws package must be installed in CI (npm ci --prefix tests/browser)"
        );
        eprintln!("skipped: the ws package is not installed (npm ci --prefix tests/browser)");
        return;
    }
    let addr = support::start();
    let output = Command::new("node")
        .arg(root.join("tests/browser/ws-client.mjs"))
        .args(["--http", &format!("http://{addr}")])
        .output()
        .expect("cannot run node");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the ws client failed:\n{printed}");
    assert!(printed.contains("ws client: passed"));
}
