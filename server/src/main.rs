use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::run(server::cli::Cli::parse()).await
}
