//! The command line: turns `herald --addr 0.0.0.0:8000 --history 500` into a
//! [`Config`], and `herald publish …` / `herald listen …` into the client's
//! arguments.
//!
//! Parsing is a pure function of the arguments (and of the one environment
//! variable herald reads), so it is unit-tested below without starting
//! anything. A bad flag or value becomes a [`UsageError`] with a one-line
//! reason; `main` prints it with the usage and exits with status 2.
//!
//! - this file: the usage text, and which command the arguments name;
//! - `server_args`: the server's flags, each applied to a [`Config`];
//! - [`environment`]: the same flags as `HERALD_<FLAG>` variables;
//! - `client_args`: the arguments of `herald publish` and `herald listen`;
//! - [`manual`]: the man page, written from the usage text.

use std::fmt;
use std::path::PathBuf;

use crate::client::listen_command::ListenArgs;
use crate::client::publish_command::PublishArgs;
use crate::config::Config;
use crate::limits;

mod client_args;
pub mod environment;
pub mod manual;
mod server_args;
use client_args::{parse_listen, parse_publish};
use server_args::{parse_serve, token};

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run the server with these settings.
    Serve(Config),
    /// Publish one message (`herald publish`).
    Publish(PublishArgs),
    /// Print events as they come (`herald listen`).
    Listen(ListenArgs),
    /// Keep every intact record of a damaged event log (`herald repair`).
    Repair(PathBuf),
    /// Print [`usage`] and exit.
    Help,
    /// Print the version and exit.
    Version,
    /// Print the man page ([`manual::page`]) and exit.
    Manual,
}

/// A command line that herald does not understand, with the reason.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The help text, printed by `--help` and after a usage error. Every
/// `[default: …]` is written from the constant the server uses, so the two
/// cannot drift apart.
pub fn usage() -> String {
    format!(
        "\
Usage: herald [serve] [OPTIONS]
       herald publish [--url URL] [--event TYPE] [--topic NAME] [--token TOKEN]
                      [--key KEY [--ttl SECONDS] [--delete]] [MESSAGE | -]
       herald listen [--url URL] [--topic NAME]... [--state] [--presence] [--json]
       herald repair --data-dir DIR

A Server-Sent Events broadcast server: open http://ADDR/ in a browser, or
publish with `curl -d message=hello http://ADDR/publish`.

`publish` sends MESSAGE (or standard input, with - or no MESSAGE) as one
event and prints its id; with --key it becomes that key's current value
(for --ttl SECONDS), and --delete removes it. `listen` prints each event as
it arrives, one line each, and reconnects after a drop without missing any;
--state starts from every key's current value, and --presence prints who
is listening to each topic, as JSON, first and when it changes. --url defaults to
$HERALD_URL or {url}; the token may come from
HERALD_PUBLISH_TOKEN. `repair` rewrites a damaged event log (one that
start-up refuses) with every intact record, keeps the old file beside it,
and says which bytes it skipped; stop the server first.

Server options:
  --addr HOST:PORT           where to listen [default: {addr}]
  --www DIR                  serve the page from DIR instead of the built-in copy
  --history N                events kept for replay [default: {history}]
  --history-bytes BYTES      memory those events may take, at most [default: {history_bytes}]
  --heartbeat SECONDS        comment line on every stream this often [default: {heartbeat}]
  --max-body BYTES           largest request body [default: {max_body}]
  --header-timeout SECONDS   deadline for a request head and body [default: {header_timeout}]
  --keepalive-timeout SECONDS  close idle keep-alive connections [default: {keepalive_timeout}]
  --max-clients N            open connections, subscribers included [default: ulimit -n
                             less {reserved}, and less {closer} (or a quarter of the rest)
                             kept for turning clients away]
  --max-backlog BYTES        how far (bytes) a subscriber may fall behind before it is dropped [default: {max_backlog}]
  --state-keys N             keys with a current value, over all topics [default: {state_keys}]
  --state-bytes BYTES        memory those values may take, at most [default: {state_bytes}]
  --presence-interval SECONDS  send each topic's presence list at most this often [default: {presence}]
  --publish-token TOKEN      require this token to publish (or set HERALD_PUBLISH_TOKEN)
  --cors-origin ORIGIN       allow pages from ORIGIN (repeatable, or *)
  --data-dir DIR             keep the event log in DIR, so history survives restarts
  --fsync always|interval    with --data-dir: acknowledge after each sync (always,
                             the default) or sync every {fsync_ms} ms (interval)
  --redis URL                share events with other instances through Redis
                             (builds with --features redis), e.g. redis://127.0.0.1:6379/0
  --redis-stream NAME        the Redis stream's name [default: {redis_stream}]
  --auth-hook URL            ask the app at this http:// URL who may listen and
                             publish (see the README's \"Private topics\")
  --auth-hook-timeout SECONDS  how long the app may take to answer [default: {auth_timeout}]
  --quiet                    no access log
  -h, --help                 print this help
  -V, --version              print the version
  --man                      print this help as a man page (roff), for man -l

Every server option may also be set in the environment as HERALD_<OPTION>:
HERALD_ADDR, HERALD_HISTORY_BYTES, HERALD_AUTH_HOOK_TIMEOUT and so on
(HERALD_QUIET=1; HERALD_CORS_ORIGIN takes a comma-separated list). An
option on the command line wins over its variable. Keep the publish token
in HERALD_PUBLISH_TOKEN rather than on the command line, which ps shows.
Under systemd with Type=notify, herald sends READY=1 once it listens.
",
        url = limits::DEFAULT_CLIENT_URL,
        addr = limits::DEFAULT_ADDR,
        history = limits::DEFAULT_HISTORY_EVENTS,
        history_bytes = limits::DEFAULT_HISTORY_BYTES,
        heartbeat = limits::DEFAULT_HEARTBEAT.as_secs_f64(),
        max_body = limits::DEFAULT_MAX_BODY_BYTES,
        header_timeout = limits::DEFAULT_HEADER_TIMEOUT.as_secs_f64(),
        keepalive_timeout = limits::DEFAULT_KEEPALIVE_TIMEOUT.as_secs_f64(),
        reserved = limits::RESERVED_FILE_DESCRIPTORS,
        closer = limits::CLOSER_MAX_SOCKETS,
        max_backlog = limits::DEFAULT_MAX_BACKLOG_BYTES,
        state_keys = limits::DEFAULT_STATE_KEYS,
        state_bytes = limits::DEFAULT_STATE_BYTES,
        presence = limits::DEFAULT_PRESENCE_INTERVAL.as_secs_f64(),
        fsync_ms = limits::FSYNC_INTERVAL.as_millis(),
        redis_stream = limits::DEFAULT_REDIS_STREAM,
        auth_timeout = limits::DEFAULT_AUTH_HOOK_TIMEOUT.as_secs_f64(),
    )
}

/// The environment variables herald reads; flags override them.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `HERALD_PUBLISH_TOKEN`: the client's token (the server reads it
    /// from `vars`, as every `HERALD_<FLAG>`).
    pub token: Option<String>,
    /// `HERALD_URL`: the client's default `--url`.
    pub url: Option<String>,
    /// Every `HERALD_*` variable, for the server's options.
    pub vars: Vec<(String, String)>,
}

impl Env {
    /// Reads the variables from this process's environment.
    pub fn from_process() -> Env {
        let read = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Env {
            token: read("HERALD_PUBLISH_TOKEN"),
            url: read("HERALD_URL"),
            vars: std::env::vars()
                .filter(|(name, _)| name.starts_with("HERALD_"))
                .collect(),
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse<I>(args: I, env: Env) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = String>,
{
    let url = match env.url {
        Some(url) => (url, "HERALD_URL"),
        None => (limits::DEFAULT_CLIENT_URL.to_string(), "the default"),
    };
    let env_token = env.token;
    let vars = env.vars;
    let mut args = args.into_iter().peekable();
    match args.peek().map(String::as_str) {
        Some("publish") => {
            args.next();
            return parse_publish(args, url, env_token);
        }
        Some("listen") => {
            args.next();
            return parse_listen(args, url);
        }
        Some("repair") => {
            args.next();
            return parse_repair(args);
        }
        Some("serve") => {
            args.next();
        }
        _ => {}
    }
    parse_serve(args, &vars)
}

/// `repair --data-dir DIR`, its only flag.
fn parse_repair(mut args: impl Iterator<Item = String>) -> Result<Command, UsageError> {
    let flag = args.next();
    let (Some("--data-dir"), Some(dir), None) = (flag.as_deref(), args.next(), args.next()) else {
        return Err(UsageError("usage: herald repair --data-dir DIR".into()));
    };
    Ok(Command::Repair(PathBuf::from(dir)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn serve(args: &[&str]) -> Config {
        match parse(args.iter().map(|s| s.to_string()), Env::default()) {
            Ok(Command::Serve(config)) => config,
            other => panic!("expected a config, got {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match parse(args.iter().map(|s| s.to_string()), Env::default()) {
            Err(UsageError(reason)) => reason,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn no_arguments_give_the_defaults() {
        let config = serve(&[]);
        assert_eq!(config.addr, "127.0.0.1:8000");
        assert_eq!(config.history, 1000);
        assert_eq!(config.heartbeat, Duration::from_secs(15));
        assert_eq!(config.max_body, 65536);
    }

    #[test]
    fn both_flag_forms_and_the_serve_word_are_accepted() {
        let config = serve(&[
            "serve",
            "--addr=0.0.0.0:9",
            "--history",
            "5",
            "--heartbeat",
            "0.5",
        ]);
        assert_eq!(config.addr, "0.0.0.0:9");
        assert_eq!(config.history, 5);
        assert_eq!(config.heartbeat, Duration::from_millis(500));
    }

    #[test]
    fn cors_origins_repeat_and_quiet_turns_off_the_log() {
        let config = serve(&["--cors-origin", "http://a", "--cors-origin", "*", "--quiet"]);
        assert_eq!(config.cors_origins, vec!["http://a", "*"]);
        assert!(!config.access_log);
    }

    #[test]
    fn the_token_comes_from_the_environment_unless_a_flag_overrides_it() {
        let env = Env {
            vars: vec![("HERALD_PUBLISH_TOKEN".into(), "s3cret".into())],
            ..Env::default()
        };
        let from_env = parse(Vec::new(), env.clone());
        assert!(
            matches!(from_env, Ok(Command::Serve(c)) if c.publish_token.as_deref() == Some("s3cret"))
        );
        let args = vec!["--publish-token".to_string(), "other".to_string()];
        let from_flag = parse(args, env);
        assert!(
            matches!(from_flag, Ok(Command::Serve(c)) if c.publish_token.as_deref() == Some("other"))
        );
    }

    #[test]
    fn every_server_flag_has_a_variable_and_a_bad_value_names_it() {
        for &(flag, takes_value) in environment::SERVER_FLAGS {
            let variable = environment::variable_for(flag);
            let value = match flag {
                "--addr" => "0.0.0.0:9",
                "--fsync" => "interval",
                "--auth-hook" => "http://127.0.0.1:9/auth",
                "--heartbeat"
                | "--header-timeout"
                | "--keepalive-timeout"
                | "--auth-hook-timeout" => "3",
                "--history-bytes" | "--max-backlog" => "99999",
                "--cors-origin" => "http://x",
                "--www" | "--data-dir" | "--redis" | "--redis-stream" | "--publish-token" => "x",
                "--quiet" => "1",
                _ => "7",
            };
            let from_variable = Env {
                vars: vec![(variable.clone(), value.to_string())],
                ..Env::default()
            };
            let Ok(Command::Serve(by_variable)) = parse(Vec::new(), from_variable) else {
                panic!("{variable}={value} was refused")
            };
            let mut args = vec![flag.to_string()];
            if takes_value {
                args.push(value.to_string());
            }
            let by_flag = serve(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(
                format!("{by_variable:?}"),
                format!("{by_flag:?}"),
                "{variable} does what {flag} does"
            );
            assert_ne!(
                format!("{by_flag:?}"),
                format!("{:?}", Config::default()),
                "{flag} {value} changes something"
            );
        }
        let bad = Env {
            vars: vec![("HERALD_HISTORY".into(), "many".into())],
            ..Env::default()
        };
        let Err(UsageError(reason)) = parse(Vec::new(), bad.clone()) else {
            panic!("a bad HERALD_HISTORY was taken")
        };
        assert!(
            reason.starts_with("HERALD_HISTORY: --history takes"),
            "{reason}"
        );
        let args = vec!["--history".to_string(), "5".to_string()];
        let Ok(Command::Serve(config)) = parse(args, bad) else {
            panic!("the flag should win over the bad variable")
        };
        assert_eq!(config.history, 5);
    }

    #[test]
    fn bad_flags_and_values_say_why() {
        assert_eq!(error(&["--nope"]), "unknown argument '--nope'");
        assert!(error(&["--port", "8000"]).contains("--addr HOST:PORT"));
        for bare in ["8000", ":8000", "localhost", "localhost:http"] {
            let said = error(&["--addr", bare]);
            assert!(
                said.contains("e.g. --addr 127.0.0.1:8000"),
                "{bare}: {said}"
            );
        }
        assert!(parse(vec!["--addr".into(), "[::1]:8000".into()], Env::default()).is_ok());
        for origin in [
            "http://a.example",
            "https://a.example:8443",
            "http://[::1]:8001",
            "*",
        ] {
            let args = vec!["--cors-origin".to_string(), origin.to_string()];
            assert!(parse(args, Env::default()).is_ok(), "{origin}");
        }
        for wrong in [
            "a.example",
            "http://a.example/",
            "http://a.example/app",
            "ftp://a",
            "http://",
        ] {
            let said = error(&["--cors-origin", wrong]);
            assert!(said.contains("SCHEME://HOST[:PORT]"), "{wrong}: {said}");
        }
        assert_eq!(error(&["--history"]), "--history needs a value");
        assert!(error(&["--history", "many"]).contains("whole number"));
        assert!(error(&["--history", "0"]).contains("at least 1"));
        assert!(error(&["--heartbeat", "-1"]).contains("seconds"));
        assert!(error(&["--publish-token", ""]).contains("non-empty"));
    }

    #[test]
    fn publish_and_listen() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let env = Env {
            token: Some("t".into()),
            url: Some("http://from-env:2".into()),
            vars: Vec::new(),
        };
        let parsed = parse(
            args(&["publish", "--topic=ops", "--url", "http://h:1", "hi there"]),
            env.clone(),
        );
        let Ok(Command::Publish(publish)) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(publish.message.as_deref(), Some("hi there"));
        assert_eq!(publish.topic.as_deref(), Some("ops"));
        assert_eq!(publish.url, "http://h:1");
        assert_eq!(publish.token.as_deref(), Some("t"));
        let Ok(Command::Publish(from_stdin)) = parse(args(&["publish", "-"]), env) else {
            panic!()
        };
        assert_eq!(from_stdin.message, None);
        assert_eq!(
            from_stdin.url, "http://from-env:2",
            "HERALD_URL is the default"
        );
        assert!(parse(args(&["publish", "a", "b"]), Env::default()).is_err());
        let parsed = parse(
            args(&["listen", "--topic", "a", "--topic", "b", "--json"]),
            Env::default(),
        );
        let Ok(Command::Listen(listen)) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(
            (listen.topics, listen.json, listen.url.as_str()),
            (
                vec!["a".to_string(), "b".to_string()],
                true,
                "http://127.0.0.1:8000"
            )
        );
        assert!(parse(args(&["listen", "--nope"]), Env::default()).is_err());
    }

    #[test]
    fn every_default_in_the_help_is_the_servers() {
        let help = usage();
        let defaults = Config::default();
        for (flag, field) in [
            ("--addr", format!("{:?}", defaults.addr)),
            ("--history", format!("{:?}", defaults.history)),
            ("--history-bytes", format!("{:?}", defaults.history_bytes)),
            ("--heartbeat", format!("{:?}", defaults.heartbeat)),
            ("--max-body", format!("{:?}", defaults.max_body)),
            ("--header-timeout", format!("{:?}", defaults.header_timeout)),
            (
                "--keepalive-timeout",
                format!("{:?}", defaults.keepalive_timeout),
            ),
            ("--max-backlog", format!("{:?}", defaults.max_backlog)),
            ("--state-keys", format!("{:?}", defaults.state_keys)),
            ("--state-bytes", format!("{:?}", defaults.state_bytes)),
            (
                "--presence-interval",
                format!("{:?}", defaults.presence_interval),
            ),
            ("--redis-stream", format!("{:?}", defaults.redis_stream)),
            (
                "--auth-hook-timeout",
                format!("{:?}", defaults.auth_hook_timeout),
            ),
        ] {
            let line = help
                .lines()
                .find(|line| line.trim_start().starts_with(flag))
                .unwrap_or_else(|| panic!("{flag} is in the help"));
            let default = line
                .split("[default: ")
                .nth(1)
                .and_then(|rest| rest.strip_suffix(']'))
                .unwrap_or_else(|| panic!("{flag} shows its default: {line}"));
            let parsed = serve(&[flag, default]);
            let parsed_field = match flag {
                "--addr" => format!("{:?}", parsed.addr),
                "--history" => format!("{:?}", parsed.history),
                "--history-bytes" => format!("{:?}", parsed.history_bytes),
                "--heartbeat" => format!("{:?}", parsed.heartbeat),
                "--auth-hook-timeout" => format!("{:?}", parsed.auth_hook_timeout),
                "--max-body" => format!("{:?}", parsed.max_body),
                "--header-timeout" => format!("{:?}", parsed.header_timeout),
                "--keepalive-timeout" => format!("{:?}", parsed.keepalive_timeout),
                "--max-backlog" => format!("{:?}", parsed.max_backlog),
                "--state-keys" => format!("{:?}", parsed.state_keys),
                "--state-bytes" => format!("{:?}", parsed.state_bytes),
                "--presence-interval" => format!("{:?}", parsed.presence_interval),
                _ => format!("{:?}", parsed.redis_stream),
            };
            assert_eq!(parsed_field, field, "{flag}'s default in --help");
        }
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(
            parse(vec!["--help".into()], Env::default()),
            Ok(Command::Help)
        ));
        assert!(matches!(
            parse(vec!["-V".into()], Env::default()),
            Ok(Command::Version)
        ));
        assert!(matches!(
            parse(vec!["--man".into()], Env::default()),
            Ok(Command::Manual)
        ));
    }
}
