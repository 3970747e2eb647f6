//! Telling a service manager that herald is ready: systemd's notify
//! protocol (`sd_notify(3)`), in a few lines of std.
//!
//! With `Type=notify`, systemd sets `NOTIFY_SOCKET` to a Unix datagram
//! socket and waits for `READY=1` on it before `systemctl start` returns
//! and units ordered after herald start. herald sends it once its socket
//! listens (a connection made then is queued and answered), and `STOPPING=1`
//! when it begins to stop. Without `NOTIFY_SOCKET` nothing is sent. A name
//! starting with `@` is in Linux's abstract namespace, as systemd may give.

use std::io;
use std::os::unix::net::UnixDatagram;

/// Sends `READY=1`: the server listens.
pub fn ready() -> io::Result<()> {
    notify(b"READY=1")
}

/// Sends `STOPPING=1`: the server has begun to stop.
pub fn stopping() -> io::Result<()> {
    notify(b"STOPPING=1")
}

/// Sends `state` to `$NOTIFY_SOCKET`, if it is set.
fn notify(state: &[u8]) -> io::Result<()> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let socket = UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(abstract_name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let address = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name)?;
        socket.send_to_addr(state, &address)?;
    } else {
        socket.send_to(state, path)?;
    }
    Ok(())
}
