//! History that survives a restart: the event log under crashes, damage,
//! compaction, a full disk and a second server, with the real binary.

mod support;

use std::fs;
use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use support::*;

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("herald-durable-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn dir_arg(dir: &Path) -> String {
    dir.display().to_string()
}

/// Every event held, after a resume from id 0 (which first says "missed").
/// A sentinel published after subscribing marks the end.
fn everything_held(addr: SocketAddr) -> Vec<SseEvent> {
    let mut subscriber = Subscriber::resume(addr, 0);
    let notice = subscriber.next_event();
    assert_eq!(notice.event.as_deref(), Some("herald-missed"));
    let sentinel = publish(addr, "message=sentinel");
    let mut events = Vec::new();
    loop {
        let event = subscriber.next_event();
        if event.id() == sentinel {
            return events;
        }
        events.push(event);
    }
}

/// Publishes on one keep-alive connection until `stop` or a failure;
/// returns the ids that got a 2xx.
fn publish_until_stopped(addr: SocketAddr, worker: usize, stop: &AtomicBool) -> Vec<u64> {
    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut acked = Vec::new();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let body = format!("message=w{worker}-{n}");
        let sent = write!(
            writer,
            "POST /publish HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if sent.is_err() {
            break;
        }
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_reply(&mut reader, false)
        }));
        match reply {
            Ok(reply) if reply.status == 200 => acked.push(reply.text().trim().parse().unwrap()),
            _ => break,
        }
    }
    acked
}

#[test]
fn after_kill_9_every_acknowledged_event_is_there_once_in_order() {
    let dir = data_dir("crash");
    let server = HeraldProcess::start(&["--data-dir", &dir_arg(&dir), "--history", "1000000"]);
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let publishers: Vec<_> = (0..8)
        .map(|worker| {
            let stop = Arc::clone(&stop);
            thread::spawn(move || publish_until_stopped(addr, worker, &stop))
        })
        .collect();
    wait_until(Duration::from_secs(10), "some events to be stored", || {
        stat(addr, "published") >= 200
    });
    server.crash();
    stop.store(true, Ordering::Relaxed);
    let mut acked: Vec<u64> = publishers
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    acked.sort();
    assert!(acked.len() >= 200);

    let restarted = HeraldProcess::start(&["--data-dir", &dir_arg(&dir), "--history", "1000000"]);
    let held: Vec<u64> = everything_held(restarted.addr)
        .iter()
        .map(SseEvent::id)
        .collect();
    assert!(held.windows(2).all(|w| w[0] < w[1]), "in order, once each");
    let missing: Vec<&u64> = acked
        .iter()
        .filter(|id| held.binary_search(id).is_err())
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let next = publish(restarted.addr, "message=after+the+restart");
    assert!(next > *held.last().unwrap(), "ids continue upward");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn a_tab_from_before_the_crash_gets_exactly_what_it_missed() {
    let dir = data_dir("tab");
    let server = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
    let mut tab = Subscriber::all(server.addr);
    publish(server.addr, "message=seen");
    let last_seen = tab.next_event().id();
    drop(tab);
    let missed: Vec<u64> = (0..3)
        .map(|i| publish(server.addr, &format!("message=just+before+the+crash+{i}")))
        .collect();
    server.crash();
    let restarted = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
    let mut tab = Subscriber::resume(restarted.addr, last_seen);
    let got: Vec<u64> = (0..3).map(|_| tab.next_event().id()).collect();
    assert_eq!(got, missed);
    let live = publish(restarted.addr, "message=live");
    assert_eq!(tab.next_event().id(), live, "then live, nothing else");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn a_torn_tail_is_cut_and_a_damaged_middle_stops_start_up() {
    let dir = data_dir("torn");
    let server = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
    for i in 0..3 {
        publish(server.addr, &format!("message=event+{i}"));
    }
    server.crash();
    let log = dir.join("events.log");
    fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(&[9, 0, 0])
        .unwrap();

    let restarted = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
    assert!(
        restarted.said("cut 3 bytes"),
        "{:?}",
        restarted.stderr.lock().unwrap()
    );
    let held = everything_held(restarted.addr);
    assert_eq!(held.len(), 3);
    restarted.crash();

    let mut bytes = fs::read(&log).unwrap();
    let header = b"herald event log v1\n".len();
    bytes[header + 8 + 20] ^= 0x01; // inside the first record's payload
    fs::write(&log, &bytes).unwrap();
    let lines = HeraldProcess::try_start(&["--data-dir", &dir_arg(&dir)])
        .err()
        .expect("start-up must stop");
    let said = lines.join("\n");
    assert!(
        said.contains(&format!("damaged at byte {header}")),
        "{said}"
    );
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn compaction_under_load_keeps_every_retained_event() {
    let dir = data_dir("compact");
    let args = ["--data-dir", &dir_arg(&dir), "--history", "50"];
    let server = HeraldProcess::start(&args);
    let mut subscriber = Subscriber::all(server.addr);
    let addr = server.addr;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let publishers: Vec<_> = (0..4)
        .map(|worker| {
            let acked = Arc::clone(&acked);
            thread::spawn(move || {
                for n in 0..150 {
                    let id = publish(addr, &format!("message=w{worker}-{n}"));
                    acked.lock().unwrap().push(id);
                }
            })
        })
        .collect();
    for publisher in publishers {
        publisher.join().unwrap();
    }
    let mut acked = acked.lock().unwrap().clone();
    acked.sort();
    let live: Vec<u64> = (0..600).map(|_| subscriber.next_event().id()).collect();
    assert_eq!(live, acked, "every event went out live, in order");
    let size = fs::metadata(dir.join("events.log")).unwrap().len();
    assert!(size < 20_000, "the log was compacted: {size} bytes");
    server.crash();

    let restarted = HeraldProcess::start(&args);
    let held: Vec<u64> = everything_held(restarted.addr)
        .iter()
        .map(SseEvent::id)
        .collect();
    assert_eq!(held, acked[acked.len() - 50..], "the newest 50, each once");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn fsync_interval_survives_a_process_crash() {
    let dir = data_dir("interval");
    let args = ["--data-dir", &dir_arg(&dir), "--fsync", "interval"];
    let server = HeraldProcess::start(&args);
    let ids: Vec<u64> = (0..20)
        .map(|i| publish(server.addr, &format!("message={i}")))
        .collect();
    server.crash();
    let restarted = HeraldProcess::start(&args);
    let held: Vec<u64> = everything_held(restarted.addr)
        .iter()
        .map(SseEvent::id)
        .collect();
    assert_eq!(held, ids);
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn a_second_server_on_the_same_folder_refuses_to_start() {
    let dir = data_dir("lock");
    let _first = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
    let lines = HeraldProcess::try_start(&["--data-dir", &dir_arg(&dir)])
        .err()
        .expect("the second must not start");
    let said = lines.join("\n");
    assert!(said.contains("in use by another herald (pid"), "{said}");
    let _ = fs::remove_dir_all(dir);
}

/// A tmpfs of a few hundred KiB, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(name: &str) -> Option<SmallDisk> {
        let dir = data_dir(name);
        fs::create_dir_all(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must be able to mount a tmpfs"
            );
            eprintln!("skipped the disk-full test: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_full_disk_refuses_publishes_with_503_until_there_is_room() {
    let Some(disk) = SmallDisk::mount("full") else {
        return;
    };
    let server = HeraldProcess::start(&["--data-dir", &dir_arg(&disk.0.join("data"))]);
    let mut subscriber = Subscriber::all(server.addr);
    publish(server.addr, "message=before");
    assert_eq!(subscriber.next_event().data, "before");

    // Fill what is left of the disk.
    let filler = disk.0.join("filler");
    let mut file = fs::File::create(&filler).unwrap();
    while file.write_all(&[b'x'; 4096]).is_ok() {}
    let _ = file.sync_all();
    drop(file);

    let big = format!("message={}", "y".repeat(8000));
    let refused = post_form(server.addr, &big);
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert!(
        refused.text().contains("disk is full"),
        "{}",
        refused.text()
    );
    assert_eq!(
        stat(server.addr, "listeners"),
        1,
        "subscribers keep their streams"
    );
    assert_eq!(get(server.addr, "/").status, 200, "the server stays up");
    let health = get(server.addr, "/health");
    assert_eq!(health.status, 503, "a probe learns why");
    assert!(health.text().contains("event log"), "{}", health.text());

    fs::remove_file(&filler).unwrap();
    let id = publish(server.addr, &big);
    let event = subscriber.next_event();
    assert_eq!(
        event.id(),
        id,
        "publishing works again, and nothing half-stored went out"
    );
    assert_eq!(get(server.addr, "/health").status, 200, "and healthy again");
    drop(server);
}

#[test]
fn a_data_dir_that_cannot_be_written_is_a_clear_start_error() {
    let lines = HeraldProcess::try_start(&["--data-dir", "/dev/null/herald"])
        .err()
        .expect("start-up must fail");
    let said = lines.join("\n");
    assert!(
        said.contains("herald: cannot use /dev/null/herald"),
        "{said}"
    );
    let file = data_dir("a-file").with_extension("txt");
    std::fs::write(&file, "not a folder").unwrap();
    let lines = HeraldProcess::try_start(&["--data-dir", &dir_arg(&file)])
        .err()
        .expect("start-up must fail");
    let said = lines.join("\n");
    assert!(said.contains("is not a folder: name a folder"), "{said}");
}

/// Runs `herald repair --data-dir DIR`; its status and what it printed.
fn repair(dir: &Path) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["repair", "--data-dir", &dir_arg(dir)])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

#[test]
fn repair_keeps_every_intact_record_after_damage_of_any_kind() {
    let header = b"herald event log v1\n".len();
    // Each damage, and the messages that must survive it.
    type Damage = fn(&mut Vec<u8>, usize);
    let damages: [(&str, Damage, &[usize]); 3] = [
        (
            "length",
            |bytes, second| bytes[second] = 0xEE,
            &[0, 2, 3, 4],
        ),
        (
            "checksum",
            |bytes, second| bytes[second + 4] ^= 0x10,
            &[0, 2, 3, 4],
        ),
        (
            "garbage",
            |bytes, second| {
                let garbage = [0xA5u8; 37];
                bytes.splice(second..second, garbage);
            },
            &[0, 1, 2, 3, 4],
        ),
    ];
    for (name, damage, survivors) in damages {
        let dir = data_dir(&format!("repair-{name}"));
        let server = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
        for i in 0..5 {
            publish(server.addr, &format!("message=event+{i}"));
        }
        server.crash();
        let log = dir.join("events.log");
        let mut bytes = fs::read(&log).unwrap();
        let first_len = u32::from_le_bytes(bytes[header..header + 4].try_into().unwrap());
        let second = header + 8 + first_len as usize;
        damage(&mut bytes, second);
        fs::write(&log, &bytes).unwrap();

        let refused = HeraldProcess::try_start(&["--data-dir", &dir_arg(&dir)])
            .err()
            .expect("start-up refuses damage in the middle")
            .join("\n");
        assert!(refused.contains("herald repair --data-dir"), "{refused}");

        let (ok, said) = repair(&dir);
        assert!(ok, "{name}: {said}");
        assert!(
            said.contains(&format!(
                "kept {} intact records; skipped bytes {second}..",
                survivors.len()
            )),
            "{name}: {said}"
        );
        assert!(dir.join("events.log.before-repair").exists());
        assert_eq!(
            fs::read(dir.join("events.log.before-repair")).unwrap(),
            bytes,
            "the old log is kept as it was"
        );

        let restarted = HeraldProcess::start(&["--data-dir", &dir_arg(&dir)]);
        let held: Vec<String> = everything_held(restarted.addr)
            .into_iter()
            .map(|event| event.data)
            .collect();
        let expected: Vec<String> = survivors.iter().map(|i| format!("event {i}")).collect();
        assert_eq!(held, expected, "{name}");
        drop(restarted);
        let (ok, said) = repair(&dir);
        assert!(
            ok && said.contains("intact"),
            "a second repair changes nothing: {said}"
        );
        let _ = fs::remove_dir_all(dir);
    }
}
