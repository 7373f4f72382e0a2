//! The server's integration tests, in one binary: each module starts real Portico servers
//! (`common::spawn_app`) and calls them over HTTP, most on both SQLite and PostgreSQL
//! (`on_both_backends!`). One binary links the application once instead of once per file.

#[macro_use]
mod common;

mod accounts;
mod admin;
mod audit;
mod auth;
mod authorization;
mod bad_input;
mod brute_force;
mod client_address;
mod counts;
mod crash;
mod import;
mod instances;
mod link_pages;
mod mail;
mod membership;
mod nothing_outlives;
mod operations;
mod partners;
mod passkeys;
mod quotas;
mod rendering;
mod second_factor;
mod sessions;
mod sweeping;
mod users;
