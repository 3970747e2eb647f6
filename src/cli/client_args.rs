//! The client subcommands' arguments: `herald publish …` and
//! `herald listen …` become [`PublishArgs`] and [`ListenArgs`].

use super::{Command, UsageError, token};
use crate::client::listen_command::ListenArgs;
use crate::client::publish_command::PublishArgs;

/// Splits `--flag=value` into its two parts; other arguments stay whole.
fn split_flag(arg: String) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => {
            (flag.to_string(), Some(value.to_string()))
        }
        _ => (arg, None),
    }
}

/// The value of `flag`: after `=`, or the next argument.
fn value_of(
    flag: &str,
    inline: Option<String>,
    args: &mut impl Iterator<Item = String>,
) -> Result<String, UsageError> {
    inline
        .or_else(|| args.next())
        .ok_or_else(|| UsageError(format!("{flag} needs a value")))
}

pub(super) fn parse_publish(
    mut args: impl Iterator<Item = String>,
    (url, url_from): (String, &'static str),
    env_token: Option<String>,
) -> Result<Command, UsageError> {
    let mut publish = PublishArgs {
        url,
        url_from,
        message: None,
        event: None,
        topic: None,
        token: env_token,
        key: None,
        ttl: None,
        delete: false,
    };
    let mut message_given = false;
    while let Some(arg) = args.next() {
        let (flag, inline) = split_flag(arg);
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--url" => {
                publish.url = value_of(&flag, inline, &mut args)?;
                publish.url_from = "--url";
            }
            "--event" => publish.event = Some(value_of(&flag, inline, &mut args)?),
            "--topic" => publish.topic = Some(value_of(&flag, inline, &mut args)?),
            "--token" => publish.token = Some(token(&value_of(&flag, inline, &mut args)?)?),
            "--key" => publish.key = Some(value_of(&flag, inline, &mut args)?),
            "--ttl" => publish.ttl = Some(value_of(&flag, inline, &mut args)?),
            "--delete" => publish.delete = true,
            _ if flag.starts_with("--") => {
                return Err(UsageError(format!("unknown argument '{flag}'")));
            }
            _ if message_given => return Err(UsageError("give one MESSAGE (quote it)".into())),
            "-" => message_given = true,
            _ => {
                publish.message = Some(flag);
                message_given = true;
            }
        }
    }
    if publish.key.is_none() && (publish.delete || publish.ttl.is_some()) {
        return Err(UsageError("--delete and --ttl need --key KEY".into()));
    }
    if publish.delete && message_given {
        return Err(UsageError("--delete takes no MESSAGE".into()));
    }
    Ok(Command::Publish(publish))
}

pub(super) fn parse_listen(
    mut args: impl Iterator<Item = String>,
    (url, url_from): (String, &'static str),
) -> Result<Command, UsageError> {
    let mut listen = ListenArgs {
        url,
        url_from,
        topics: Vec::new(),
        json: false,
        state: false,
        presence: false,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = split_flag(arg);
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--url" => {
                listen.url = value_of(&flag, inline, &mut args)?;
                listen.url_from = "--url";
            }
            "--topic" => listen.topics.push(value_of(&flag, inline, &mut args)?),
            "--json" => listen.json = true,
            "--state" => listen.state = true,
            "--presence" => listen.presence = true,
            _ => return Err(UsageError(format!("unknown argument '{flag}'"))),
        }
    }
    Ok(Command::Listen(listen))
}
