//! The page and its files: served with the right types, built in or from
//! `--www`, and never anything outside the served folder.

mod support;

use std::fs;
use std::path::PathBuf;

use support::*;

#[test]
fn the_page_is_served_and_holds_the_form() {
    let addr = start();
    let page = get(addr, "/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    // Relative, so the page also works behind a proxy at a path.
    assert!(html.contains(r#"<form id="publish" method="post" action="publish">"#));
    assert!(html.contains(r#"name="message""#));
    assert!(html.contains(r#"aria-live="polite""#));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
    assert_eq!(
        get(addr, "/?topic=ops").status,
        200,
        "a topic page is the same page"
    );
}

#[test]
fn every_file_has_its_content_type() {
    let addr = start();
    for (path, content_type) in [
        ("/index.html", "text/html; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let reply = get(addr, path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("Content-Type"), Some(content_type), "{path}");
        assert!(!reply.body.is_empty(), "{path}");
    }
}

const TRAVERSALS: &[&str] = &[
    "/../Cargo.toml",
    "/..%2fCargo.toml",
    "/%2e%2e/Cargo.toml",
    "/%2E%2E%2FCargo.toml",
    "/..\\Cargo.toml",
    "/..%5cCargo.toml",
    "/./../secret.txt",
    "/sub/../../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/secret.txt%00.html",
    "/.hidden",
];

#[test]
fn no_path_reaches_outside_the_built_in_page() {
    let addr = start();
    for path in TRAVERSALS {
        assert_eq!(get(addr, path).status, 404, "{path}");
    }
}

/// A folder `www/` with a `sub/` inside, next to a `secret.txt` outside it.
fn site_folder(name: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!("herald-test-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(base.join("www/sub")).unwrap();
    fs::write(base.join("secret.txt"), "secret").unwrap();
    fs::write(base.join("www/index.html"), "<p>from disk</p>").unwrap();
    fs::write(base.join("www/data.json"), "{}").unwrap();
    fs::write(base.join("www/sub/note.txt"), "note").unwrap();
    fs::write(base.join("www/.hidden"), "hidden").unwrap();
    base
}

#[test]
fn a_www_folder_is_served_from_disk_and_nothing_outside_it() {
    let base = site_folder("www");
    let www = base.join("www");
    let addr = start_with(|config| config.www = Some(www));
    assert_eq!(get(addr, "/").text(), "<p>from disk</p>");
    let json = get(addr, "/data.json");
    assert_eq!(json.header("Content-Type"), Some("application/json"));
    assert_eq!(get(addr, "/sub/note.txt").text(), "note");
    assert_eq!(
        get(addr, "/sub/no%74e.txt").text(),
        "note",
        "encoded names are decoded"
    );
    for path in TRAVERSALS {
        let reply = get(addr, path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.text().contains("secret"), "{path}");
    }
    assert_eq!(get(addr, "/sub").status, 404, "a folder is not a file");
    let _ = fs::remove_dir_all(base);
}

#[test]
fn a_plus_in_a_www_path_is_a_plus_not_a_space() {
    // In a URL path `+` is an ordinary character; only a form turns it
    // into a space (WHATWG URL, "path percent-decode").
    let base = site_folder("www-plus");
    let www = base.join("www");
    fs::write(www.join("a+b.js"), "plus").unwrap();
    fs::write(www.join("c d.js"), "space").unwrap();
    let addr = start_with(|config| config.www = Some(www));
    assert_eq!(get(addr, "/a+b.js").text(), "plus");
    assert_eq!(get(addr, "/a%2Bb.js").text(), "plus");
    assert_eq!(get(addr, "/c%20d.js").text(), "space");
    assert_eq!(get(addr, "/c+d.js").status, 404, "a + is not a space");
    let _ = fs::remove_dir_all(base);
}

#[test]
fn a_missing_www_folder_is_a_clear_start_error() {
    let config = herald::Config {
        addr: "127.0.0.1:0".into(),
        www: Some(PathBuf::from("/no/such/folder")),
        ..Default::default()
    };
    let error = herald::Server::bind(config).err().expect("start must fail");
    assert!(
        error
            .to_string()
            .contains("cannot serve --www /no/such/folder"),
        "{error}"
    );
}
