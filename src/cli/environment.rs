//! Server options from the environment: every `--flag VALUE` may also be
//! given as `HERALD_FLAG=VALUE` (`--history-bytes` as `HERALD_HISTORY_BYTES`).
//!
//! A service manager passes settings this way (systemd's `EnvironmentFile`,
//! a container's environment), and a secret such as the publish token then
//! stays out of the command line, which any user can read in `ps`. A flag
//! on the command line wins over its variable. `HERALD_QUIET` is a switch
//! (`1`, `true` or `yes`; `0`, `false`, `no` or empty for off), and
//! `HERALD_CORS_ORIGIN` takes a comma-separated list, as the repeated flag
//! would. A bad value is reported with the variable's name.

use crate::cli::UsageError;

/// The server flags that have a variable, and whether each takes a value.
pub const SERVER_FLAGS: &[(&str, bool)] = &[
    ("--addr", true),
    ("--www", true),
    ("--history", true),
    ("--history-bytes", true),
    ("--heartbeat", true),
    ("--max-body", true),
    ("--header-timeout", true),
    ("--keepalive-timeout", true),
    ("--max-clients", true),
    ("--max-backlog", true),
    ("--state-keys", true),
    ("--state-bytes", true),
    ("--presence-interval", true),
    ("--publish-token", true),
    ("--cors-origin", true),
    ("--data-dir", true),
    ("--fsync", true),
    ("--redis", true),
    ("--redis-stream", true),
    ("--auth-hook", true),
    ("--auth-hook-timeout", true),
    ("--quiet", false),
];

/// One option to apply, from the command line or from a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The flag, such as `--history`.
    pub flag: String,
    /// Its value, if it takes one.
    pub value: Option<String>,
    /// The variable it came from, if it did not come from the command line.
    pub variable: Option<String>,
}

/// `--history-bytes` becomes `HERALD_HISTORY_BYTES`.
pub fn variable_for(flag: &str) -> String {
    let name = flag.trim_start_matches('-').replace('-', "_");
    format!("HERALD_{}", name.to_ascii_uppercase())
}

/// The settings the variables in `vars` give, for the flags not `given` on
/// the command line.
///
/// # Errors
/// A `HERALD_QUIET` that is neither on nor off.
pub fn settings(vars: &[(String, String)], given: &[Setting]) -> Result<Vec<Setting>, UsageError> {
    let mut settings = Vec::new();
    for &(flag, takes_value) in SERVER_FLAGS {
        let variable = variable_for(flag);
        let Some((_, value)) = vars.iter().find(|(name, _)| *name == variable) else {
            continue;
        };
        if given.iter().any(|setting| setting.flag == flag) {
            continue;
        }
        let setting = |value: Option<&str>| Setting {
            flag: flag.to_string(),
            value: value.map(str::to_string),
            variable: Some(variable.clone()),
        };
        match (flag, takes_value) {
            ("--cors-origin", _) => settings.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|origin| !origin.is_empty())
                    .map(|origin| setting(Some(origin))),
            ),
            (_, true) => settings.push(setting(Some(value))),
            (_, false) if switched_on(&variable, value)? => settings.push(setting(None)),
            (_, false) => {}
        }
    }
    Ok(settings)
}

/// Whether a switch variable says on.
fn switched_on(variable: &str, value: &str) -> Result<bool, UsageError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "" | "0" | "false" | "no" => Ok(false),
        _ => Err(UsageError(format!(
            "{variable} takes 1, true or yes (or 0, false or no), not '{value}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn names_follow_the_flags() {
        assert_eq!(variable_for("--history-bytes"), "HERALD_HISTORY_BYTES");
        assert_eq!(variable_for("--addr"), "HERALD_ADDR");
    }

    #[test]
    fn a_flag_on_the_command_line_hides_its_variable() {
        let given = [Setting {
            flag: "--addr".into(),
            value: Some("127.0.0.1:1".into()),
            variable: None,
        }];
        let found = settings(
            &vars(&[("HERALD_ADDR", "0.0.0.0:9"), ("HERALD_HISTORY", "5")]),
            &given,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].flag, "--history");
        assert_eq!(found[0].variable.as_deref(), Some("HERALD_HISTORY"));
    }

    #[test]
    fn switches_and_lists() {
        let on = settings(&vars(&[("HERALD_QUIET", "yes")]), &[]).unwrap();
        assert_eq!(on[0].flag, "--quiet");
        assert!(
            settings(&vars(&[("HERALD_QUIET", "0")]), &[])
                .unwrap()
                .is_empty()
        );
        let bad = settings(&vars(&[("HERALD_QUIET", "loud")]), &[]).unwrap_err();
        assert!(bad.0.starts_with("HERALD_QUIET takes"), "{bad}");
        let origins = settings(&vars(&[("HERALD_CORS_ORIGIN", "http://a, http://b")]), &[]);
        let values: Vec<_> = origins.unwrap().into_iter().map(|s| s.value).collect();
        assert_eq!(values, [Some("http://a".into()), Some("http://b".into())]);
    }
}
