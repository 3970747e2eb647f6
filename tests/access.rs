//! Who may publish (`--publish-token`) and which other sites' pages may
//! listen and publish (`--cors-origin`).

mod support;

use support::*;

fn publish_with(addr: std::net::SocketAddr, extra_headers: &str, body: &str) -> Reply {
    raw(
        addr,
        format!(
            "POST /publish HTTP/1.1\r\nHost: t\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

#[test]
fn with_a_token_publishing_needs_it() {
    let addr = start_with(|config| config.publish_token = Some("s3cret".into()));
    let mut subscriber = Subscriber::all(addr);
    let missing = publish_with(addr, "", "message=no");
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("WWW-Authenticate"), Some("Bearer"));
    assert_eq!(
        publish_with(addr, "Authorization: Bearer wrong\r\n", "message=no").status,
        403
    );
    assert_eq!(publish_with(addr, "", "message=no&token=s3cre").status, 403);
    assert_eq!(
        publish_with(
            addr,
            "Authorization: Bearer s3cret\r\n",
            "message=by+header"
        )
        .status,
        200
    );
    assert_eq!(
        publish_with(addr, "", "message=by+field&token=s3cret").status,
        200
    );
    assert_eq!(subscriber.next_event().data, "by header");
    assert_eq!(subscriber.next_event().data, "by field");
    assert_eq!(
        stat(addr, "published"),
        2,
        "refused publishes publish nothing"
    );
    assert!(
        get(addr, "/stats")
            .text()
            .contains("\"token_required\":true")
    );
}

#[test]
fn without_a_token_anyone_may_publish() {
    let addr = start();
    assert_eq!(publish_with(addr, "", "message=hi").status, 200);
    assert!(
        get(addr, "/stats")
            .text()
            .contains("\"token_required\":false")
    );
}

#[test]
fn allowed_origins_get_cors_headers_on_the_api() {
    let addr = start_with(|config| config.cors_origins = vec!["http://apps.intranet:8080".into()]);
    let from = |origin: &str, request: &str| {
        raw(
            addr,
            format!("{request}\r\nHost: t\r\nOrigin: {origin}\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        )
    };
    let stats = from("http://apps.intranet:8080", "GET /stats HTTP/1.1");
    assert_eq!(
        stats.header("Access-Control-Allow-Origin"),
        Some("http://apps.intranet:8080")
    );
    assert_eq!(stats.header("Vary"), Some("Origin"));
    assert_eq!(
        stats.header("Access-Control-Allow-Credentials"),
        Some("true"),
        "a named origin may send its cookies"
    );
    let refused = publish_with(addr, "Origin: http://apps.intranet:8080\r\n", "");
    assert_eq!(refused.status, 400);
    assert!(
        refused.header("Access-Control-Allow-Origin").is_some(),
        "errors too, so the page can read them"
    );
    let other = from("http://elsewhere", "GET /stats HTTP/1.1");
    assert_eq!(other.header("Access-Control-Allow-Origin"), None);
    let page = from("http://apps.intranet:8080", "GET / HTTP/1.1");
    assert_eq!(
        page.header("Access-Control-Allow-Origin"),
        None,
        "only the API is opened"
    );
    let stream = Subscriber::open(addr, "", "Origin: http://apps.intranet:8080\r\n");
    let allow = stream
        .headers
        .iter()
        .find(|(n, _)| n == "Access-Control-Allow-Origin");
    assert_eq!(
        allow.map(|(_, v)| v.as_str()),
        Some("http://apps.intranet:8080")
    );
}

#[test]
fn a_preflight_is_answered() {
    let addr = start_with(|config| config.cors_origins = vec!["*".into()]);
    let reply = raw(
        addr,
        b"OPTIONS /publish HTTP/1.1\r\nHost: t\r\nOrigin: http://x\r\n\
          Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\n\r\n",
    );
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(
        reply.header("Access-Control-Allow-Credentials"),
        None,
        "never credentials with *"
    );
    assert!(
        reply
            .header("Access-Control-Allow-Methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        reply
            .header("Access-Control-Allow-Headers")
            .unwrap()
            .contains("Authorization")
    );
    assert_eq!(reply.header("Content-Length"), None);
}
