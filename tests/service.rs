//! What a service manager relies on: `READY=1` on `$NOTIFY_SOCKET` once
//! herald listens (and `STOPPING=1` when it stops), and every option as a
//! `HERALD_<OPTION>` variable, with the command line winning.

mod support;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

#[test]
fn ready_is_sent_once_the_port_accepts_and_stopping_when_it_stops() {
    let dir = std::env::temp_dir().join(format!("herald-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket_path = dir.join("notify");
    let notify = UnixDatagram::bind(&socket_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut herald = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--quiet"])
        .env("NOTIFY_SOCKET", &socket_path)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut message = [0u8; 64];
    let n = notify.recv(&mut message).expect("READY=1 in time");
    assert_eq!(&message[..n], b"READY=1");
    // At the moment systemd would go on, herald answers.
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    assert_eq!(
        get(addr, "/stats").status,
        200,
        "it serves once it said ready"
    );

    Command::new("kill")
        .args(["-TERM", &herald.id().to_string()])
        .status()
        .unwrap();
    let n = notify.recv(&mut message).expect("STOPPING=1 in time");
    assert_eq!(&message[..n], b"STOPPING=1");
    assert!(herald.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn options_come_from_the_environment_and_a_flag_beats_its_variable() {
    // HERALD_ADDR is nonsense, but --addr (from the helper) wins over it.
    let herald = HeraldProcess::start_in_shell(
        "HERALD_ADDR=nowhere HERALD_HISTORY=3 HERALD_PUBLISH_TOKEN=s3cret \
         exec \"$0\" --addr 127.0.0.1:0 --quiet",
    );
    assert_eq!(post_form(herald.addr, "message=x").status, 401, "the token");
    let ids: Vec<u64> = (0..5)
        .map(|i| publish(herald.addr, &format!("message={i}&token=s3cret")))
        .collect();
    assert_eq!(stat(herald.addr, "history"), 3, "HERALD_HISTORY");
    assert_eq!(ids.len(), 5);
}

#[test]
fn a_bad_variable_exits_2_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_herald"))
        .env("HERALD_HEARTBEAT", "often")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.starts_with("herald: HERALD_HEARTBEAT: --heartbeat takes"),
        "{said}"
    );
}
