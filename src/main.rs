//! The `herald` command: parse the arguments, start the server, report
//! failure. Everything else lives in the library.

use std::process::ExitCode;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use herald::cli::{self, Command};
use herald::client::listen_command::{self, ListenArgs};
use herald::client::publish_command::{self, PublishArgs};

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args().skip(1), cli::Env::from_process()) {
        Ok(Command::Serve(config)) => config,
        Ok(Command::Publish(args)) => return publish(&args),
        Ok(Command::Listen(args)) => return listen(&args),
        Ok(Command::Repair(dir)) => return repair(&dir),
        Ok(Command::Help) => {
            print!("{}", cli::usage());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Manual) => {
            print!("{}", cli::manual::page());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("herald {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("herald: {error}\n\n{}", cli::usage());
            return ExitCode::from(2);
        }
    };
    let max_clients = config.max_clients;
    let open_to_anyone = config.publish_token.is_none() && config.auth_hook.is_none();
    let server = match herald::Server::bind(config) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("herald: {error}");
            return ExitCode::FAILURE;
        }
    };
    match server.local_addr() {
        Ok(addr) => {
            eprintln!("herald listening on http://{addr}/");
            if open_to_anyone && !addr.ip().is_loopback() {
                warn_open_publishing(addr);
            }
        }
        Err(error) => eprintln!("herald listening (address unknown: {error})"),
    }
    log_connection_limit(max_clients);
    serve_until_signalled(server)
}

/// Serves until SIGTERM or SIGINT, then stops cleanly: every stream ends
/// after a whole event, WebSockets get close 1001, the event log is synced
/// and its lock file removed. A second signal stops at once.
fn serve_until_signalled(server: herald::Server) -> ExitCode {
    // Registered before serving, so a signal is never missed between the
    // two and never kills the process mid-event.
    let mut signals = match Signals::new([SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("herald: cannot catch SIGTERM and SIGINT: {error}");
            return ExitCode::FAILURE;
        }
    };
    let running = match server.spawn() {
        Ok(running) => running,
        Err(error) => {
            eprintln!("herald: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The socket listens and the accept loop runs: systemd may go on.
    if let Err(error) = herald::service_manager::ready() {
        eprintln!("herald: cannot tell the service manager it is ready: {error}");
    }
    let signal = signals.forever().next();
    let _ = herald::service_manager::stopping();
    eprintln!(
        "herald: stopping ({}); a second signal stops at once",
        signal_name(signal)
    );
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            eprintln!("herald: stopped at once");
            std::process::exit(1);
        }
    });
    running.shutdown();
    eprintln!("herald: stopped");
    ExitCode::SUCCESS
}

fn signal_name(signal: Option<i32>) -> &'static str {
    match signal {
        Some(SIGTERM) => "SIGTERM",
        Some(SIGINT) => "SIGINT",
        _ => "a signal",
    }
}

/// Beyond loopback with neither a token nor the app's login, anyone who
/// reaches the address may publish: fine on a trusted desk, not on an
/// intranet, so it is said once, with the way to close it.
fn warn_open_publishing(addr: std::net::SocketAddr) {
    eprintln!(
        "herald: warning: anyone who can reach {addr} can publish; set HERALD_PUBLISH_TOKEN \
         (or --publish-token), or --auth-hook to let the app decide"
    );
}

/// Says how many connections herald takes and what bounds them, so that a
/// low `ulimit -n` shows at start, not when clients are turned away.
fn log_connection_limit(max_clients: usize) {
    let Some(limits) = herald::limits::open_file_limits() else {
        return eprintln!("herald: up to {max_clients} open connections (--max-clients)");
    };
    let raise = if limits.hard > limits.soft {
        format!(
            "; it may be raised to {hard} (`ulimit -n {hard}` before starting herald, or LimitNOFILE= in its unit)",
            hard = limits.hard
        )
    } else {
        String::new()
    };
    eprintln!(
        "herald: up to {max_clients} open connections (--max-clients); the open-file limit is {} (ulimit -n){raise}",
        limits.soft
    );
}

/// `herald publish`: print the id, or the server's reason and fail.
fn publish(args: &PublishArgs) -> ExitCode {
    match publish_command::publish(args) {
        Ok(id) => {
            println!("{id}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("herald publish: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `herald listen`: runs until a final refusal or until stdout closes.
fn listen(args: &ListenArgs) -> ExitCode {
    match listen_command::listen(args, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("herald listen: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `herald repair`: what was kept and skipped, or why it could not be done.
fn repair(dir: &std::path::Path) -> ExitCode {
    match herald::store::repair::repair(dir) {
        Ok(report) => {
            println!("herald repair: {report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("herald repair: {error}");
            ExitCode::FAILURE
        }
    }
}
