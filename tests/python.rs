//! The Python package (`python/`): its own tests, run against the real
//! `herald` binary and a real Django, and a `pip install` of it (which
//! fetches the build backend, setuptools, from PyPI, as any install does).
//!
//! Outside CI, a machine without Python or Django skips what needs them and
//! says why; with `CI` set, a missing prerequisite is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `python3 -c CHECK` works; outside CI, says why a test is skipped.
fn python_has(check: &str, what: &str) -> bool {
    let works = Command::new("python3")
        .args(["-c", check])
        .output()
        .is_ok_and(|output| output.status.success());
    if !works {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is missing in CI (see .ci/run)"
        );
        eprintln!("skipped: {what} is not installed");
    }
    works
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("cannot run python3");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{printed}");
    printed
}

#[test]
fn the_python_packages_tests_pass_against_herald_and_django() {
    if !python_has("import django", "python3 with Django") {
        return;
    }
    let python = root().join("python");
    let printed = run(Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "tests", "-v"])
        .current_dir(&python)
        .env("HERALD_BIN", env!("CARGO_BIN_EXE_herald"))
        .env(
            "PYTHONPATH",
            format!(".:{}", python.join("tests").display()),
        ));
    eprint!("{printed}");
    assert!(!printed.contains("skipped"), "no test may be skipped here");
}

#[test]
fn pip_installs_the_package_with_every_part() {
    if !python_has("import django", "python3 with Django") {
        return;
    }
    let target: PathBuf = std::env::temp_dir().join(format!("herald-pip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    run(Command::new("python3")
        .args(["-m", "pip", "install", "-q", "--no-deps"])
        .args(["--disable-pip-version-check", "--target"])
        .arg(&target)
        .arg(root().join("python")));
    let check = "import herald_client, herald_client.wsgi, herald_client.django.views, \
                 herald_client.django.templatetags.herald; print(herald_client.__version__)";
    let printed = run(Command::new("python3")
        .args(["-c", check])
        .current_dir(&target)
        .env("PYTHONPATH", &target)
        .env_remove("DJANGO_SETTINGS_MODULE"));
    assert_eq!(printed.trim(), env!("CARGO_PKG_VERSION"));
    let _ = std::fs::remove_dir_all(&target);
}
