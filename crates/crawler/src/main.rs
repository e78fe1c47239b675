//! `crawler`: the crawler for people. `crawler crawl URL` runs a whole crawl in this
//! process with no services; `crawler serve` runs the HTTP API with every role in one
//! process; the other subcommands are a client for any coordinator and a local webhook sink.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crawler_cli::{client, crawl, keys, serve, sink};

#[derive(Parser)]
#[command(
    version,
    about = "A distributed web crawler with webhooks",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Crawl a site in this process and write one JSON line per page.
    Crawl(crawl::CrawlArgs),
    /// Serve the HTTP API with all roles in this process (local development).
    Serve(serve::ServeArgs),
    /// Receive webhooks locally, verify their signatures and print them.
    Sink(sink::SinkArgs),
    /// Make API keys for a coordinator's configuration.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    #[command(flatten)]
    Client(client::ClientCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The commands whose output is for people log only warnings; `serve` logs like a role.
    let quiet_by_default = !matches!(cli.command, Command::Serve(_));
    crawler_cli::init_logging(quiet_by_default);
    let outcome = match cli.command {
        Command::Crawl(args) => crawl::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Sink(args) => sink::run(args, None, crawler_runtime::shutdown_signal())
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Keys(command) => keys::run(command),
        Command::Client(command) => client::run(command).await,
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
