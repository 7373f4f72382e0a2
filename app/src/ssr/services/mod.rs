//! Business rules as plain async functions over typed inputs: no HTTP, testable directly.
//! The folders mirror the pages (`crate::users`, `crate::partners`, …), so the rules behind a
//! page are found under the same name.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod me;
pub mod partners;
pub mod roles;
pub mod rules;
pub mod second_factor;
pub mod users;
