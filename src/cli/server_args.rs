//! The server's options: from `HERALD_<FLAG>` variables (see
//! [`super::environment`]), then from the command line, which wins, each
//! checked and applied to a [`Config`].

use std::path::PathBuf;
use std::time::Duration;

use super::environment::{self, Setting};
use super::{Command, UsageError};
use crate::access::hook::HookAddress;
use crate::config::{Config, FsyncMode};
use crate::limits::{self, MAX_FLAG_SECONDS, MIN_FLAG_SECONDS};

/// The server's flags: those the environment gives (see [`environment`]),
/// then those on the command line, which win.
pub(super) fn parse_serve(
    args: impl Iterator<Item = String>,
    vars: &[(String, String)],
) -> Result<Command, UsageError> {
    let given = match command_line(args)? {
        Ok(given) => given,
        Err(command) => return Ok(command),
    };
    let mut config = Config::default();
    for setting in environment::settings(vars, &given)?
        .into_iter()
        .chain(given)
    {
        let variable = setting.variable.clone();
        apply(&mut config, setting).map_err(|UsageError(reason)| match variable {
            Some(variable) => UsageError(format!("{variable}: {reason}")),
            None => UsageError(reason),
        })?;
    }
    Ok(Command::Serve(config))
}

/// The command line as settings, or `--help` / `--version` / `--man` at once.
fn command_line(
    args: impl Iterator<Item = String>,
) -> Result<Result<Vec<Setting>, Command>, UsageError> {
    let mut args = args.peekable();
    let mut given = Vec::new();
    while let Some(arg) = args.next() {
        // `--flag=value` and `--flag value` are both accepted.
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Err(Command::Help)),
            "-V" | "--version" => return Ok(Err(Command::Version)),
            "--man" => return Ok(Err(Command::Manual)),
            _ => {}
        }
        let takes_value = environment::SERVER_FLAGS
            .iter()
            .find(|(known, _)| *known == flag)
            .map(|(_, takes_value)| *takes_value)
            .ok_or_else(|| unknown(&flag))?;
        let value = match takes_value {
            true => Some(
                inline_value
                    .or_else(|| args.next())
                    .ok_or_else(|| UsageError(format!("{flag} needs a value")))?,
            ),
            false => None,
        };
        given.push(Setting {
            flag,
            value,
            variable: None,
        });
    }
    Ok(Ok(given))
}

/// Applies one setting to `config`.
fn apply(config: &mut Config, setting: Setting) -> Result<(), UsageError> {
    let Setting { flag, value, .. } = setting;
    let value = || {
        value
            .clone()
            .ok_or_else(|| UsageError(format!("{flag} needs a value")))
    };
    match flag.as_str() {
        "--addr" => config.addr = address(&value()?)?,
        "--www" => config.www = Some(PathBuf::from(value()?)),
        "--history" => config.history = number(&flag, &value()?, 1)?,
        "--history-bytes" => {
            config.history_bytes = number(&flag, &value()?, limits::MIN_HISTORY_BYTES)?
        }
        "--heartbeat" => config.heartbeat = seconds(&flag, &value()?)?,
        "--max-body" => config.max_body = number(&flag, &value()?, 1)?,
        "--header-timeout" => config.header_timeout = seconds(&flag, &value()?)?,
        "--keepalive-timeout" => config.keepalive_timeout = seconds(&flag, &value()?)?,
        "--max-clients" => config.max_clients = number(&flag, &value()?, 1)?,
        "--max-backlog" => {
            config.max_backlog = number(&flag, &value()?, limits::MIN_MAX_BACKLOG_BYTES)?
        }
        "--state-keys" => config.state_keys = number(&flag, &value()?, 0)?,
        "--state-bytes" => config.state_bytes = number(&flag, &value()?, 0)?,
        "--presence-interval" => config.presence_interval = seconds(&flag, &value()?)?,
        "--publish-token" => config.publish_token = Some(token(&value()?)?),
        "--cors-origin" => config.cors_origins.push(origin(&value()?)?),
        "--quiet" => config.access_log = false,
        "--data-dir" => config.data_dir = Some(PathBuf::from(value()?)),
        "--redis" => config.redis_url = Some(value()?),
        "--redis-stream" => config.redis_stream = value()?,
        "--auth-hook" => {
            let url = value()?;
            // Checked (and resolved) here so a typo is a usage error.
            HookAddress::parse(&url).map_err(|error| UsageError(error.to_string()))?;
            config.auth_hook = Some(url);
        }
        "--auth-hook-timeout" => config.auth_hook_timeout = seconds(&flag, &value()?)?,
        "--fsync" => config.fsync = fsync_mode(&value()?)?,
        _ => return Err(unknown(&flag)),
    }
    Ok(())
}

/// An unknown flag, pointing at the one meant where a habit from another
/// server is likely.
fn unknown(flag: &str) -> UsageError {
    match flag {
        "--port" | "-p" | "--host" | "--bind" | "--listen" => UsageError(format!(
            "unknown argument '{flag}': herald takes --addr HOST:PORT (e.g. --addr 127.0.0.1:8000)"
        )),
        _ => UsageError(format!("unknown argument '{flag}'")),
    }
}

/// `--cors-origin` is an origin as a browser sends it, `scheme://host` with
/// an optional port and nothing after, or `*`: anything else would never
/// match, and the page it was meant for would fail with no word why.
fn origin(text: &str) -> Result<String, UsageError> {
    let wrong = || {
        UsageError(format!(
            "--cors-origin must be SCHEME://HOST[:PORT] as the browser sends it \
             (e.g. http://intranet.example:8001, no path or trailing /) or *, not '{text}'"
        ))
    };
    if text == "*" {
        return Ok(text.to_string());
    }
    let (scheme, rest) = text.split_once("://").ok_or_else(wrong)?;
    let scheme_ok = matches!(scheme, "http" | "https");
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "80"));
    let host_ok = !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']);
    if !scheme_ok || !host_ok || port.parse::<u16>().is_err() {
        return Err(wrong());
    }
    Ok(text.to_string())
}

/// `--addr` is `HOST:PORT`: a bare port or `:PORT` says what to write.
fn address(text: &str) -> Result<String, UsageError> {
    let (host, port) = text.rsplit_once(':').unwrap_or(("", text));
    let port_ok = !port.is_empty() && port.parse::<u16>().is_ok();
    if host.is_empty() || !port_ok {
        return Err(UsageError(format!(
            "--addr must be HOST:PORT, e.g. --addr 127.0.0.1:8000 (or 0.0.0.0:8000 for every interface), not '{text}'"
        )));
    }
    Ok(text.to_string())
}

fn fsync_mode(text: &str) -> Result<FsyncMode, UsageError> {
    match text {
        "always" => Ok(FsyncMode::Always),
        "interval" => Ok(FsyncMode::Interval),
        other => Err(UsageError(format!(
            "--fsync takes always or interval, not '{other}'"
        ))),
    }
}

/// A whole number no smaller than `min`.
fn number(flag: &str, text: &str, min: usize) -> Result<usize, UsageError> {
    match text.parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(UsageError(format!(
            "{flag} takes a whole number of at least {min}, not '{text}'"
        ))),
    }
}

/// A positive number of seconds; fractions are allowed (`0.5`).
fn seconds(flag: &str, text: &str) -> Result<Duration, UsageError> {
    match text.parse::<f64>() {
        Ok(s) if (MIN_FLAG_SECONDS..=MAX_FLAG_SECONDS).contains(&s) => {
            Ok(Duration::from_secs_f64(s))
        }
        _ => Err(UsageError(format!(
            "{flag} takes a number of seconds between {MIN_FLAG_SECONDS} and {MAX_FLAG_SECONDS}, not '{text}'"
        ))),
    }
}

pub(super) fn token(text: &str) -> Result<String, UsageError> {
    if text.is_empty() || text.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(UsageError(
            "--publish-token must be non-empty, without spaces or control characters".into(),
        ));
    }
    Ok(text.to_string())
}
