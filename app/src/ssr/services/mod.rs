//! Business rules as plain async functions over typed inputs: no HTTP, testable directly.

pub mod accounts;
pub mod audit_log;
pub mod audit_story;
pub mod auth;
pub mod bulk;
pub mod dashboard;
pub mod import;
pub mod invitations;
pub mod links;
pub mod me;
pub mod membership;
pub mod members;
pub mod partners;
pub mod passkeys;
pub mod recovery;
pub mod roles;
pub mod rules;
pub mod second_factor;
pub mod users;
pub mod verification;
