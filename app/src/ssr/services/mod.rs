//! Business rules as plain async functions over typed inputs: no HTTP, testable directly.

pub mod accounts;
pub mod auth;
pub mod me;
pub mod users;
