//! Portico's application: pages, components and server functions shared by the server and
//! the browser, and (behind the `ssr` feature) everything that runs only on the server.

// Large forms nest deep view types; the compiler's default limit is too low for them.
#![recursion_limit = "256"]

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod domain;
pub mod error;
pub mod links;
pub mod me;
pub mod partners;
pub mod roles;
pub mod second_factor;
pub mod session;
mod shell;
#[cfg(all(test, feature = "ssr"))]
mod french_typography;
pub mod ui;
pub mod users;

#[cfg(feature = "ssr")]
pub mod ssr;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub use shell::{App, shell};
