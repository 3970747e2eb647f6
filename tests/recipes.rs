//! Every recipe in the README, run as written against a real herald.
//!
//! A recipe is the fenced block after a `<!-- recipe: NAME -->` line in
//! README.md. The only change a test makes is the server's address:
//! `127.0.0.1:8000` becomes the test server's, or `HERALD_URL` points there.
//! Tools a recipe needs (python3 with Django, nginx, systemd-analyze) are
//! installed by `.ci/run`; outside CI a machine without one skips that
//! recipe and says why.

mod support;

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::*;

/// The code of the README block marked `<!-- recipe: NAME -->`.
fn recipe(name: &str) -> String {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = format!("<!-- recipe: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no recipe {name}"))
        .1;
    let fence_start = after.find("```").unwrap();
    let body_start = fence_start + after[fence_start..].find('\n').unwrap() + 1;
    let body_len = after[body_start..].find("```").unwrap();
    after[body_start..body_start + body_len].to_string()
}

/// Whether `tool` can be run; outside CI a missing tool skips the recipe.
fn available(tool: &str, probe: &[&str], recipe: &str) -> bool {
    let ok = Command::new(tool)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "recipe {recipe} cannot run in CI: {tool} {probe:?} failed"
        );
        eprintln!("skipped recipe {recipe}: {tool} is not available");
    }
    ok
}

/// A folder of its own for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("herald-recipe-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts a long-running shell line and hands back its output lines.
fn spawn_line(line: &str, dir: &Path, env: &[(&str, String)]) -> (Running, mpsc::Receiver<String>) {
    Running::with_lines(
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec {line}"))
            .current_dir(dir)
            .envs(env.iter().map(|(k, v)| (k, v))),
    )
}

/// Runs a shell line to completion; returns its standard output.
fn run_line(line: &str, dir: &Path, env: &[(&str, String)]) -> String {
    let output = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Lines of output until `count` have come, each within a bound.
fn take_lines(lines: &mpsc::Receiver<String>, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            lines
                .recv_timeout(Duration::from_secs(10))
                .expect("no output in time")
        })
        .collect()
}

/// Every line of a shell recipe that is a command (not blank, not a comment).
fn commands(block: &str) -> Vec<String> {
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// `PATH` with the folder of the herald that `cargo test` built first.
fn path_with_herald() -> String {
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_herald")).parent().unwrap();
    format!(
        "{}:{}",
        binary_dir.display(),
        std::env::var("PATH").unwrap()
    )
}

/// `line` for `sh -c`, run as the shell's own process (so killing it
/// kills the command): `exec` goes after any leading `NAME=value`.
fn exec_line(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let assignments = words
        .iter()
        .take_while(|word| word.contains('=') && !word.starts_with('-'))
        .count();
    let (set, command) = words.split_at(assignments);
    [set, &["exec"], command].concat().join(" ")
}

/// A command line without its trailing `# comment`.
fn without_comment(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim()
}

/// The quick start, as a newcomer pastes it, ending in Chromium. One line
/// is not run: `cargo install --path .` would build this tree once more
/// into `~/.cargo/bin`; the test puts the herald `cargo test` built from
/// it on `PATH` instead. And `herald` gets `HERALD_ADDR=127.0.0.1:0`, so
/// the address the blocks use becomes a free port.
#[test]
fn the_quick_start_as_a_newcomer_pastes_it() {
    let lines = commands(&recipe("quick-start"));
    assert_eq!(without_comment(&lines[0]), "cargo install --path .");
    let herald = HeraldProcess::start_command(
        Command::new("sh")
            .arg("-c")
            .arg(exec_line(&lines[1]))
            .env("PATH", path_with_herald())
            .env("HERALD_ADDR", "127.0.0.1:0"),
    );
    let dir = scratch("quick-start");
    let block = recipe("quick-start-publish").replace("127.0.0.1:8000", &herald.addr.to_string());
    let publishes = commands(&block);
    assert_eq!(publishes.len(), 3, "three messages");
    for line in &publishes {
        let id = run_line(line, &dir, &[]);
        assert!(id.trim().parse::<u64>().is_ok(), "{line} printed {id:?}");
    }
    let base = format!("http://{}", herald.addr);
    support::browser::run_with("quick-start", &["--url", &base]);
}

#[test]
fn herald_publish_and_listen_as_in_the_readme() {
    let addr = start();
    let dir = scratch("cli");
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_herald")).parent().unwrap();
    let env = [
        ("HERALD_URL", format!("http://{addr}")),
        (
            "PATH",
            format!(
                "{}:{}",
                binary_dir.display(),
                std::env::var("PATH").unwrap()
            ),
        ),
    ];
    let lines = commands(&recipe("herald-cli"));
    let (listeners, publishers): (Vec<&String>, Vec<&String>) =
        lines.iter().partition(|l| l.starts_with("herald listen"));
    let running: Vec<_> = listeners
        .iter()
        .map(|l| spawn_line(l, &dir, &env))
        .collect();
    wait_until(Duration::from_secs(5), "the listeners", || {
        stat(addr, "listeners") == running.len() as u64
    });
    for line in &publishers {
        let id = run_line(line, &dir, &env);
        assert!(id.trim().parse::<u64>().is_ok(), "{line} printed {id:?}");
    }
    let (_, ops) = &running[0];
    let df = take_lines(ops, 1).remove(0);
    assert!(df.contains("Filesystem") && df.contains("\\n"), "{df}");
    let (_, json) = &running[1];
    let all = take_lines(json, 2);
    assert!(
        all[0].contains(r#""data":"deploy of build 4812 finished""#),
        "{}",
        all[0]
    );
    assert!(all[1].contains(r#""topic":"ops""#), "{}", all[1]);
}

#[test]
fn curl_as_in_the_readme() {
    let addr = start();
    let dir = scratch("curl");
    fs::write(dir.join("notes.txt"), "notes from a file").unwrap();
    let block = recipe("curl").replace("127.0.0.1:8000", &addr.to_string());
    let lines = commands(&block);
    let (listeners, publishers): (Vec<&String>, Vec<&String>) =
        lines.iter().partition(|l| l.contains(" -N "));
    let (_curl, stream) = spawn_line(listeners[0], &dir, &[]);
    wait_until(Duration::from_secs(5), "curl -N", || {
        stat(addr, "listeners") == 1
    });
    for line in &publishers {
        let id = run_line(line, &dir, &[]);
        assert!(id.trim().parse::<u64>().is_ok(), "{line} printed {id:?}");
    }
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.contains("data: notes from a file") {
        assert!(Instant::now() < deadline, "curl -N showed only {seen}");
        if let Ok(line) = stream.recv_timeout(Duration::from_millis(100)) {
            seen.push_str(&line);
            seen.push('\n');
        }
    }
    assert!(seen.contains("data: deploy finished"));
    assert!(seen.contains("event: alert\ntopic: ops\ntime: "));
    assert!(seen.contains("Z\ndata: disk 91% full"), "{seen}");
}

/// The folder that holds the `herald_client` package, for `PYTHONPATH`:
/// the recipes use the package as `pip install ./python` would install it.
fn python_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Runs a Python script in `dir` with `HERALD_URL` set; returns its output.
fn python(dir: &Path, script: &str, addr: SocketAddr) -> String {
    let output = Command::new("python3")
        .arg(script)
        .current_dir(dir)
        .env("PYTHONPATH", python_package())
        .env("HERALD_URL", format!("http://{addr}"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python3 {script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn python_with_the_package() {
    if !available("python3", &["--version"], "python") {
        return;
    }
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    let dir = scratch("python");
    fs::write(dir.join("publish.py"), recipe("python")).unwrap();
    let id: u64 = python(&dir, "publish.py", addr).trim().parse().unwrap();
    let event = subscriber.next_event();
    assert_eq!(
        (event.id(), event.data.as_str(), event.topic.as_deref()),
        (id, "backup finished", Some("ops"))
    );
    let overview = recipe("python-client").replace("127.0.0.1:8000", &addr.to_string());
    fs::write(dir.join("client.py"), overview).unwrap();
    python(&dir, "client.py", addr);
    let alert = subscriber.next_event();
    assert_eq!(alert.event.as_deref(), Some("alert"));
    assert_eq!(subscriber.next_event().data, "deploy finished");
}

/// Every block of the README a user might paste is either run by a test
/// (`<!-- recipe: NAME -->`, NAME used by one) or says why not
/// (`<!-- not run: REASON -->`). Diagrams (`text`), samples of output
/// (`json`) and Rust (compiled as doctests, see `src/lib.rs`) are neither.
#[test]
fn every_block_a_user_pastes_is_run_or_says_why_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let mut tests = String::new();
    for folder in ["tests", "tests/browser"] {
        for entry in fs::read_dir(root.join(folder)).unwrap().map(Result::unwrap) {
            let path = entry.path();
            let is_test = path.extension().is_some_and(|e| e == "rs" || e == "mjs");
            if is_test && path.file_name().is_some_and(|name| name != "recipes.rs") {
                tests.push_str(&fs::read_to_string(&path).unwrap());
            }
        }
    }
    tests.push_str(
        &fs::read_to_string(root.join("tests/recipes.rs"))
            .unwrap()
            .replace("recipe(\"NAME\")", ""),
    );
    let mut unmarked = Vec::new();
    let mut previous = "";
    let mut in_block = false;
    for (number, line) in readme.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            if !in_block && !matches!(info, "text" | "json") && !info.starts_with("rust") {
                let runs = previous
                    .strip_prefix("<!-- recipe: ")
                    .and_then(|rest| rest.strip_suffix(" -->"))
                    .is_some_and(|name| {
                        tests.contains(&format!("recipe(\"{name}\")"))
                            || tests.contains(&format!("<!-- recipe: {name} -->"))
                    });
                let says_why = previous.starts_with("<!-- not run: ") && previous.len() > 30;
                if !(runs || says_why || previous == "<!-- example-page -->") {
                    unmarked.push(format!(
                        "README.md:{}: {line} after {previous:?}",
                        number + 1
                    ));
                }
            }
            in_block = !in_block;
        }
        if !line.trim().is_empty() && !line.starts_with("```") {
            previous = line;
        }
    }
    assert!(
        unmarked.is_empty(),
        "blocks no test runs:\n{}",
        unmarked.join("\n")
    );
}

#[test]
fn a_django_view() {
    if !available("python3", &["-c", "import django"], "django") {
        return;
    }
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    let dir = scratch("django");
    fs::create_dir_all(dir.join("app")).unwrap();
    fs::write(dir.join("app/__init__.py"), "").unwrap();
    fs::write(dir.join("app/views.py"), recipe("django")).unwrap();
    fs::write(
        dir.join("drive.py"),
        r#"
import django
from django.conf import settings

settings.configure(
    DEBUG=True, ALLOWED_HOSTS=["*"], ROOT_URLCONF=[], SECRET_KEY="test",
    INSTALLED_APPS=["herald_client.django"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
from django.test import RequestFactory
from app.views import announce

response = announce(RequestFactory().post("/announce", {"text": "hello from django"}))
assert response.status_code == 200, response.status_code
print(response.content.decode())
"#,
    )
    .unwrap();
    let output = python(&dir, "drive.py", addr);
    let event = subscriber.next_event();
    assert_eq!(event.data, "hello from django");
    assert_eq!(event.topic.as_deref(), Some("announcements"));
    assert!(output.contains("\"announced\": true"), "{output}");
}

/// A child process and everything it started (`runserver`'s reloader runs
/// the server in a child of its own), killed together when dropped.
struct ProcessGroup(std::process::Child);

impl ProcessGroup {
    fn spawn(command: &mut Command) -> ProcessGroup {
        use std::os::unix::process::CommandExt;
        ProcessGroup(command.process_group(0).spawn().expect("cannot start"))
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-9", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now, for Django to take.
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// Copies `from` into `to`, leaving out what Python builds beside sources.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().map(Result::unwrap) {
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text == "__pycache__" || name_text == "build" || name_text.ends_with(".egg-info") {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else {
            fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// "Django in five minutes", step by step as the README says, from an empty
/// folder holding a clone of herald (the test copies `python/` there): a
/// virtualenv, `pip install`, `startproject`, the settings, the URLs, the
/// template, `runserver` and herald, then Chromium logs in and sees a
/// published message. The changes: `createsuperuser` runs with `--noinput`
/// and `DJANGO_SUPERUSER_*`, and the two addresses are free ports.
#[test]
fn django_in_five_minutes() {
    if !available("python3", &["-m", "venv", "--help"], "django-start") {
        return;
    }
    let dir = scratch("django-quick-start");
    copy_tree(&python_package(), &dir.join("herald/python"));
    let start = commands(&recipe("django-start"))
        .into_iter()
        .map(
            |line| match line.starts_with("python manage.py createsuperuser") {
                true => "python manage.py createsuperuser --noinput".to_string(),
                false => line,
            },
        )
        .collect::<Vec<_>>()
        .join("\n");
    let login = [
        ("DJANGO_SUPERUSER_USERNAME", "newcomer".to_string()),
        (
            "DJANGO_SUPERUSER_PASSWORD",
            "a long enough password".to_string(),
        ),
        ("DJANGO_SUPERUSER_EMAIL", "newcomer@example.com".to_string()),
    ];
    run_line(&format!("set -e\n{start}"), &dir, &login);

    let django = format!("127.0.0.1:{}", free_port());
    let run = commands(&recipe("django-run"));
    let herald = HeraldProcess::start_command(
        Command::new("sh")
            .arg("-c")
            .arg(exec_line(&run[1].replace("127.0.0.1:8001", &django)))
            .env("PATH", path_with_herald())
            .env("HERALD_ADDR", "127.0.0.1:0"),
    );
    let at_herald = |block: String| block.replace("127.0.0.1:8000", &herald.addr.to_string());
    let project = dir.join("intranet");
    let settings_path = project.join("intranet/settings.py");
    let mut settings = fs::read_to_string(&settings_path).unwrap();
    settings.push_str(&at_herald(recipe("django-settings")));
    fs::write(&settings_path, settings).unwrap();
    fs::write(project.join("intranet/urls.py"), recipe("django-urls")).unwrap();
    fs::write(
        project.join("templates/board.html"),
        recipe("django-template"),
    )
    .unwrap();

    // What `. venv/bin/activate` does, for the shell that runs Django.
    let venv = dir.join("venv");
    let venv_path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let _runserver = ProcessGroup::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(exec_line(&run[0].replace("127.0.0.1:8001", &django)))
            .current_dir(&project)
            .env("PATH", venv_path)
            .env("VIRTUAL_ENV", &venv)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until(Duration::from_secs(30), "runserver to listen", || {
        std::net::TcpStream::connect(&django).is_ok()
    });

    let publish = commands(&recipe("django-publish")).remove(0);
    let message = publish.split('"').nth(1).unwrap().to_string();
    support::browser::run_with_env(
        "django-quick-start",
        &[
            "--url",
            &format!("http://{django}"),
            "--user",
            &login[0].1,
            "--password",
            &login[1].1,
            "--publish",
            &publish,
            "--message",
            &message,
        ],
        &[
            ("PATH", path_with_herald()),
            ("HERALD_URL", format!("http://{}", herald.addr)),
        ],
    );
    assert!(!herald.said("refused origin"), "{:?}", herald.stderr);
}

#[test]
fn a_plain_wsgi_app() {
    if !available("python3", &["--version"], "wsgi") {
        return;
    }
    let addr = start();
    let mut subscriber = Subscriber::all(addr);
    let dir = scratch("wsgi");
    fs::write(dir.join("app.py"), recipe("wsgi")).unwrap();
    fs::write(
        dir.join("drive.py"),
        r#"
import threading
import urllib.parse
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

from app import application


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, application, handler_class=Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()
form = urllib.parse.urlencode({"text": "hello from wsgi"}).encode()
with urllib.request.urlopen("http://127.0.0.1:%d/" % server.server_port, data=form) as r:
    print(r.read().decode())
server.shutdown()
"#,
    )
    .unwrap();
    let output = python(&dir, "drive.py", addr);
    let event = subscriber.next_event();
    assert_eq!(event.data, "hello from wsgi");
    assert_eq!(output.trim(), format!("published {}", event.id()));
}

#[test]
fn behind_nginx_events_arrive_without_buffering() {
    if !available("nginx", &["-v"], "nginx") {
        return;
    }
    let addr = start_with(|config| config.heartbeat = Duration::from_secs(1));
    let (_nginx, proxied) = Nginx::start(&recipe("nginx"), &[("127.0.0.1:8000", addr)]);
    let mut subscriber = Subscriber::all(proxied);
    assert_eq!(subscriber.status, 200);
    for i in 0..3 {
        let sent = Instant::now();
        publish(addr, &format!("message=through+nginx+{i}"));
        assert_eq!(subscriber.next_event().data, format!("through nginx {i}"));
        let took = sent.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "event {i} took {took:?}: buffered"
        );
    }
    assert!(
        subscriber.wait_for_comment("heartbeat"),
        "heartbeats pass through"
    );
    publish(proxied, "message=published+through+nginx");
    assert_eq!(subscriber.next_event().data, "published through nginx");
}

/// The unit the Debian package installs, which the README's "As a systemd
/// service" installs by hand (`.ci/test-package` checks the package).
#[test]
fn the_packaged_systemd_unit_verifies() {
    if !available("systemd-analyze", &["--version"], "systemd") {
        return;
    }
    let dir = scratch("systemd");
    let packaged =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/debian/herald.service"))
            .unwrap();
    let unit = packaged.replace("/usr/bin/herald", env!("CARGO_BIN_EXE_herald"));
    for setting in [
        "Type=notify",
        "DynamicUser=yes",
        "StateDirectory=herald",
        "Environment=HERALD_DATA_DIR=/var/lib/herald",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "MemoryDenyWriteExecute=yes",
        "Restart=on-failure",
    ] {
        assert!(unit.contains(setting), "the unit has {setting}");
    }
    let path = dir.join("herald.service");
    fs::write(&path, unit).unwrap();
    // Documentation=man:herald(1) is checked too: the page `herald --man`
    // writes, found through MANPATH.
    let man1 = dir.join("man/man1");
    fs::create_dir_all(&man1).unwrap();
    let page = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("--man")
        .output()
        .unwrap();
    fs::write(man1.join("herald.1"), page.stdout).unwrap();
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .env("MANPATH", dir.join("man"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_auth_hook_in_python() {
    if !available("python3", &["--version"], "auth-hook") {
        return;
    }
    let dir = scratch("auth-hook");
    fs::write(dir.join("auth_hook.py"), recipe("auth-hook")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _hook = Running(
        Command::new("python3")
            .arg("auth_hook.py")
            .current_dir(&dir)
            .env("HOOK_PORT", port.to_string())
            .env("PYTHONPATH", python_package())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until(Duration::from_secs(10), "the hook to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("http://127.0.0.1:{port}/herald/auth");
    let herald = HeraldProcess::start(&["--auth-hook", &url, "--publish-token", "backend"]);
    let addr = herald.addr;
    let alice = "Cookie: sessionid=s3cr3t-alice\r\n";
    assert_eq!(Subscriber::open(addr, "", "").status, 401, "not logged in");
    assert_eq!(
        Subscriber::open(addr, "topic=user-bob", alice).status,
        403,
        "another person's topic"
    );
    let mut tab = Subscriber::open(addr, "", alice);
    assert_eq!(tab.status, 200);
    for (topic, text) in [
        ("user-bob", "for+bob"),
        ("team-ops", "for+the+team"),
        ("user-alice", "your+export+is+ready"),
    ] {
        publish(addr, &format!("message={text}&topic={topic}&token=backend"));
    }
    assert_eq!(tab.next_event().data, "for the team");
    assert_eq!(tab.next_event().data, "your export is ready");
}
