//! `herald.1`, the man page, written from the text of `--help` (`herald --man`
//! prints it; the Debian package is built with it).
//!
//! The page is not a second copy of the help kept in step by hand: it is the
//! help itself, cut into the sections a man page has. The usage lines become
//! SYNOPSIS, the paragraphs DESCRIPTION, each option an indented entry of
//! OPTIONS, and the last paragraph (the environment) ENVIRONMENT. Only FILES
//! and SEE ALSO are added, since they describe the installed package rather
//! than the command line. A flag added to the help is in the page at once.

use super::usage;

/// The man page in roff, for `man -l` or `/usr/share/man/man1/herald.1`.
pub fn page() -> String {
    let help = usage();
    let parts = HelpParts::split(&help);
    let mut roff = format!(
        ".TH HERALD 1 \"\" \"herald {version}\" \"User Commands\"\n\
         .SH NAME\n\
         herald \\- {summary}\n",
        version = env!("CARGO_PKG_VERSION"),
        summary = escape(&lower_first(env!("CARGO_PKG_DESCRIPTION"))),
    );
    roff += ".SH SYNOPSIS\n.nf\n";
    for line in &parts.synopsis {
        roff += &escape(line);
        roff += "\n";
    }
    roff += ".fi\n.SH DESCRIPTION\n";
    roff += &paragraphs(&parts.description);
    roff += ".SH OPTIONS\n";
    for (flag, text) in &parts.options {
        roff += &format!(".TP\n.B {}\n{}\n", escape(flag), escape(text));
    }
    roff += ".SH ENVIRONMENT\n";
    roff += &paragraphs(&parts.environment);
    roff += FILES_AND_SEE_ALSO;
    roff
}

/// What the installed package adds: where its configuration and history
/// live. (Written for the Debian package's unit and default file.)
const FILES_AND_SEE_ALSO: &str = "\
.SH FILES
.TP
.I /etc/default/herald
The service's settings as HERALD_<OPTION> variables, read by its systemd
unit; the place for HERALD_PUBLISH_TOKEN.
.TP
.I /var/lib/herald
The service's event log (HERALD_DATA_DIR), kept across restarts and
upgrades and removed only by purging the package.
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
and herald's README (/usr/share/doc/herald/README.md), whose tour follows
one message through the server.
";

/// The help text cut at its seams.
struct HelpParts<'a> {
    synopsis: Vec<&'a str>,
    description: Vec<String>,
    options: Vec<(&'a str, String)>,
    environment: Vec<String>,
}

impl<'a> HelpParts<'a> {
    /// The help's layout: usage lines, a blank line, paragraphs, a
    /// "Server options:" heading with two-space-indented flags (their
    /// descriptions continued on deeper-indented lines), then paragraphs
    /// about the environment.
    fn split(help: &'a str) -> HelpParts<'a> {
        let (head, rest) = help.split_once("Server options:\n").unwrap_or((help, ""));
        let (options, environment) = rest.split_once("\n\n").unwrap_or((rest, ""));
        let (usage_lines, description) = head.split_once("\n\n").unwrap_or((head, ""));
        HelpParts {
            synopsis: usage_lines
                .lines()
                .map(|line| line.trim_start_matches("Usage:").trim())
                .collect(),
            description: joined_paragraphs(description),
            options: option_entries(options),
            environment: joined_paragraphs(environment),
        }
    }
}

/// Each option with its description, continuation lines joined: a line
/// indented two spaces starts an entry, a deeper one continues it.
fn option_entries(block: &str) -> Vec<(&str, String)> {
    let mut entries: Vec<(&str, String)> = Vec::new();
    for line in block.lines() {
        let starts_entry = line.starts_with("  -");
        match (starts_entry, entries.last_mut()) {
            (true, _) => {
                let entry = line.trim();
                // The flag and its value name end where two spaces begin.
                let (flag, text) = entry.split_once("  ").unwrap_or((entry, ""));
                entries.push((flag, text.trim().to_string()));
            }
            (false, Some((_, text))) => {
                text.push(' ');
                text.push_str(line.trim());
            }
            (false, None) => {}
        }
    }
    entries
}

/// Paragraphs (separated by blank lines) with their lines joined, since
/// roff fills lines itself.
fn joined_paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|paragraph| !paragraph.is_empty())
        .collect()
}

/// "A small … server" as NAME's "herald \- a small … server".
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

fn paragraphs(paragraphs: &[String]) -> String {
    let escaped: Vec<String> = paragraphs.iter().map(|p| escape(p)).collect();
    escaped.join("\n.PP\n") + "\n"
}

/// Text as roff reads it literally: a backslash is roff's escape, `-` in a
/// flag must be a minus sign (so it can be searched for and copied), and a
/// line starting with `.` or `'` would be taken for a request.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.starts_with(['.', '\'']) {
        true => format!("\\&{escaped}"),
        false => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_the_help_is_an_entry_with_its_whole_text() {
        let help = usage();
        let parts = HelpParts::split(&help);
        let flags_in_help = help.lines().filter(|line| line.starts_with("  -")).count();
        assert_eq!(parts.options.len(), flags_in_help);
        let (flag, text) = parts
            .options
            .iter()
            .find(|(flag, _)| *flag == "--max-clients N")
            .expect("--max-clients is an entry");
        assert_eq!(*flag, "--max-clients N");
        assert!(text.ends_with("kept for turning clients away]"), "{text}");
        assert!(
            !text.contains("  "),
            "continuation lines are joined: {text}"
        );
    }

    #[test]
    fn the_page_has_each_section_and_escapes_what_roff_would_read() {
        let page = page();
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "ENVIRONMENT",
            "FILES",
        ] {
            assert!(page.contains(&format!("\n.SH {section}\n")), "{section}");
        }
        assert!(page.contains(".B \\-\\-addr HOST:PORT\n"));
        assert!(page.contains("herald publish [\\-\\-url URL]"));
        assert!(page.contains("HERALD_ADDR, HERALD_HISTORY_BYTES"));
        // No line of text may start a roff request by accident.
        let requests = [
            ".TH", ".SH", ".TP", ".B ", ".PP", ".nf", ".fi", ".I ", ".BR",
        ];
        for line in page.lines().filter(|line| line.starts_with('.')) {
            assert!(
                requests.iter().any(|request| line.starts_with(request)),
                "{line}"
            );
        }
    }

    #[test]
    fn escape_keeps_text_literal() {
        assert_eq!(escape("--help"), "\\-\\-help");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("a\\b"), "a\\eb");
    }
}
