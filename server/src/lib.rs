//! Portico's server: configuration, telemetry, HTTP layers, router and CLI around the `app`
//! crate. `main.rs` only parses the command line; tests start the same `Application`.

pub mod cli;
pub mod config;
mod http_layers;
pub mod startup;
pub mod telemetry;
