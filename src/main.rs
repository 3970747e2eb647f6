//! The `herald` command: parse the arguments, start the server, report
//! failure. Everything else lives in the library.

use std::process::ExitCode;

use herald::cli::{self, Command, USAGE};
use herald::client::listen::{self as listener, ListenArgs};
use herald::client::publish::{self as publisher, PublishArgs};

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args().skip(1), cli::Env::from_process()) {
        Ok(Command::Serve(config)) => config,
        Ok(Command::Publish(args)) => return publish(&args),
        Ok(Command::Listen(args)) => return listen(&args),
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("herald {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("herald: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let max_clients = config.max_clients;
    let server = match herald::Server::bind(config) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("herald: {error}");
            return ExitCode::FAILURE;
        }
    };
    match server.local_addr() {
        Ok(addr) => eprintln!("herald listening on http://{addr}/"),
        Err(error) => eprintln!("herald listening (address unknown: {error})"),
    }
    match herald::limits::open_file_limit() {
        Some(limit) => eprintln!(
            "herald: up to {max_clients} open connections (--max-clients); the open-file limit is {limit} (ulimit -n)"
        ),
        None => eprintln!("herald: up to {max_clients} open connections (--max-clients)"),
    }
    server.run();
    ExitCode::SUCCESS
}

/// `herald publish`: print the id, or the server's reason and fail.
fn publish(args: &PublishArgs) -> ExitCode {
    match publisher::publish(args) {
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
    match listener::listen(args, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("herald listen: {error}");
            ExitCode::FAILURE
        }
    }
}
