//! Portico's server: configuration, telemetry, HTTP layers, router and CLI around the `app`
//! crate. `main.rs` only parses the command line; tests start the same `Application`.

pub mod cli;
pub mod config;
pub mod http_layers;
mod link_tokens;
mod metrics;
pub mod startup;
pub mod telemetry;
