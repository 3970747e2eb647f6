//! The page: the files of `www/`, built into the binary or read from a folder.
//!
//! By default the files are compiled in with `include_bytes!`, so `herald`
//! runs from any folder with nothing beside it, and a request is answered
//! from memory. `--www DIR` serves a folder from disk instead, so a person
//! editing the page sees each change on reload.
//!
//! # Security
//! The built-in files are found by exact match in a fixed table: no path a
//! client sends is ever joined to anything, so no path can reach past them.
//! With `--www`, the path is split on `/` *before* it is percent-decoded, and
//! each decoded segment must be a plain name: not empty, not `.` or `..`, no
//! `/`, `\` or NUL, not hidden. An encoded `%2e%2e` or `%2f` is thus
//! refused like a plain one, and the file must be a regular file under the
//! folder once symbolic links are resolved.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use crate::http::error::HttpError;
use crate::http::form;
use crate::http::request::Request;
use crate::http::response::{Header, Response};
use crate::limits::MAX_WWW_FILE_BYTES;

/// Answers `GET` (or `HEAD`) for a file of the page.
///
/// # Errors
/// 404 when there is no such file (whatever the method), 405 for a method
/// other than `GET` and `HEAD`.
pub fn handle(request: &Request, site: &Site) -> Result<Response, HttpError> {
    let asset = site
        .lookup(request.head.path())
        .ok_or(HttpError::NotFound)?;
    if !matches!(request.head.method.as_str(), "GET" | "HEAD") {
        return Err(HttpError::MethodNotAllowed("GET, HEAD"));
    }
    // The page is small and changes with each release: always revalidate.
    const REVALIDATE: &[Header] = &[("Cache-Control", Cow::Borrowed("no-cache"))];
    let mut response = Response::ok(asset.content_type, asset.bytes);
    response.headers = Cow::Borrowed(REVALIDATE);
    Ok(response)
}

/// A file ready to send.
pub struct Asset {
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Cow<'static, [u8]>,
}

/// Where the page's files come from.
pub enum Site {
    /// The copy compiled into the binary.
    Embedded,
    /// A folder on disk (`--www`), already resolved to its canonical path.
    Folder(PathBuf),
}

/// The built-in files: path, type, bytes. `/` is the page itself.
const EMBEDDED: &[(&str, &str, &[u8])] = &[
    ("/", HTML, include_bytes!("../../www/index.html")),
    ("/index.html", HTML, include_bytes!("../../www/index.html")),
    ("/app.css", CSS, include_bytes!("../../www/app.css")),
    ("/app.js", JS, include_bytes!("../../www/app.js")),
    ("/herald.js", JS, include_bytes!("../../www/herald.js")),
    ("/here-now.js", JS, include_bytes!("../../www/here-now.js")),
    (
        "/herald-worker.js",
        JS,
        include_bytes!("../../www/herald-worker.js"),
    ),
    ("/favicon.svg", SVG, include_bytes!("../../www/favicon.svg")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

impl Site {
    /// Serves `folder`, which must exist and be a directory.
    pub fn folder(folder: &Path) -> std::io::Result<Site> {
        let canonical = folder.canonicalize()?;
        if !canonical.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a directory",
            ));
        }
        Ok(Site::Folder(canonical))
    }

    /// The file for a request path (without its query), if there is one.
    pub fn lookup(&self, path: &str) -> Option<Asset> {
        match self {
            Site::Embedded => EMBEDDED.iter().find(|(name, _, _)| *name == path).map(
                |&(_, content_type, bytes)| Asset {
                    content_type,
                    bytes: Cow::Borrowed(bytes),
                },
            ),
            Site::Folder(root) => read_from_folder(root, path),
        }
    }
}

fn read_from_folder(root: &Path, path: &str) -> Option<Asset> {
    let mut file = root.to_path_buf();
    match path.strip_prefix('/')? {
        "" => file.push("index.html"),
        relative => {
            for segment in relative.split('/') {
                file.push(safe_segment(segment)?);
            }
        }
    }
    // Resolve symbolic links and make sure the file is still inside.
    let file = file.canonicalize().ok()?;
    let metadata = fs::metadata(&file).ok()?;
    if !file.starts_with(root) || !metadata.is_file() || metadata.len() > MAX_WWW_FILE_BYTES {
        return None;
    }
    let bytes = fs::read(&file).ok()?;
    Some(Asset {
        content_type: content_type_for(&file),
        bytes: Cow::Owned(bytes),
    })
}

/// One decoded path segment, if it is a plain file or folder name.
fn safe_segment(segment: &str) -> Option<String> {
    let name = form::decode_percent(segment.as_bytes()).ok()?;
    let plain =
        !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0', ':']);
    plain.then_some(name)
}

/// The `Content-Type` for a file, by its extension.
pub fn content_type_for(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => HTML,
        Some("css") => CSS,
        Some("js" | "mjs") => JS,
        Some("svg") => SVG,
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_page_is_found_by_exact_path() {
        let site = Site::Embedded;
        assert!(site.lookup("/").is_some());
        assert_eq!(site.lookup("/app.js").unwrap().content_type, JS);
        for miss in ["/nope", "/../Cargo.toml", "/app.js/", "//app.js", "/APP.JS"] {
            assert!(site.lookup(miss).is_none(), "{miss}");
        }
    }

    #[test]
    fn segments_must_be_plain_names() {
        assert_eq!(safe_segment("app.js").as_deref(), Some("app.js"));
        assert_eq!(safe_segment("a%20b").as_deref(), Some("a b"));
        assert_eq!(safe_segment("a+b.js").as_deref(), Some("a+b.js"));
        for bad in [
            "", ".", "..", "%2e%2e", "%2E%2e", "a%2fb", "a%5cb", "a\\b", "%00", ".env", "c:",
        ] {
            assert!(safe_segment(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn content_types_by_extension() {
        for (name, expected) in [
            ("a.html", HTML),
            ("a.css", CSS),
            ("a.js", JS),
            ("a.svg", SVG),
            ("a.png", "image/png"),
            ("a.ico", "image/x-icon"),
            ("a.json", "application/json"),
            ("a.TXT", "text/plain; charset=utf-8"),
            ("a", "application/octet-stream"),
        ] {
            assert_eq!(content_type_for(Path::new(name)), expected, "{name}");
        }
    }
}
