//! The `herald` command: parse the arguments, start the server, report
//! failure. Everything else lives in the library.

use std::process::ExitCode;

use herald::cli::{self, Command, USAGE};

fn main() -> ExitCode {
    let token = std::env::var("HERALD_PUBLISH_TOKEN").ok();
    let config = match cli::parse(std::env::args().skip(1), token) {
        Ok(Command::Serve(config)) => config,
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
