//! herald as a library: bind, publish from Rust, run in the background and
//! shut down cleanly.

mod support;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use herald::{Config, Event, Server};
use support::*;

fn config() -> Config {
    Config {
        addr: "127.0.0.1:0".into(),
        access_log: false,
        ..Config::default()
    }
}

#[test]
fn a_publisher_works_from_any_thread() {
    let server = Server::bind(config()).unwrap().spawn().unwrap();
    let addr = server.local_addr();
    let mut subscriber = Subscriber::all(addr);
    let publishers: Vec<_> = (0..4)
        .map(|n| {
            let publisher = server.publisher();
            thread::spawn(move || {
                (0..25)
                    .map(|i| {
                        let event = Event::new(format!("{n}-{i}"))
                            .unwrap()
                            .topic("rust")
                            .unwrap();
                        publisher.publish(event).unwrap()
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut ids: Vec<u64> = publishers
        .into_iter()
        .flat_map(|p| p.join().unwrap())
        .collect();
    ids.sort();
    let received: Vec<u64> = (0..100).map(|_| subscriber.next_event().id()).collect();
    assert_eq!(received, ids, "every event, in id order");
    server.shutdown();
}

#[test]
fn shutdown_ends_streams_closes_connections_and_returns() {
    let server = Server::bind(config()).unwrap().spawn().unwrap();
    let addr = server.local_addr();
    let publisher = server.publisher();
    let mut subscriber = Subscriber::all(addr);
    let mut idle = connect(addr);
    idle.write_all(b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut idle = BufReader::new(idle);
    assert_eq!(read_reply(&mut idle, false).status, 200);
    publisher
        .publish(Event::new("last words").unwrap())
        .unwrap();
    assert_eq!(subscriber.next_event().data, "last words");

    let started = Instant::now();
    server.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        started.elapsed()
    );

    assert_eq!(subscriber.try_next_event(), None, "the stream ended");
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest)
        .expect("the idle connection was closed");
    assert!(rest.is_empty());
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens any more"
    );
    assert!(publisher.publish(Event::new("too late").unwrap()).is_err());
}
