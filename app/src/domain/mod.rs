//! Domain types that can only hold valid values: parse at the edge, trust afterwards.
//! The same parsers give instant feedback in the browser and are applied again on the server.

mod codes;
mod email;
mod ids;
mod names;
mod password;
mod permissions;

pub use codes::{AccountKey, PartnerId, READABLE};
pub use email::Email;
pub use ids::{AccountId, GrantId, LinkId, RoleId, SessionId, UserId};
pub use names::{AccountName, LoginName, PersonName, RoleDescription, RoleName};
pub use password::Password;
pub use permissions::{BuiltInRole, Permission, PermissionSet};

use crate::error::Problem;

/// Trims, refuses empty and control characters, bounds the length in characters.
fn clean_text(input: &str, max_chars: usize) -> Result<String, Problem> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Problem::Required);
    }
    if text.chars().any(char::is_control) {
        return Err(Problem::ControlCharacters);
    }
    if text.chars().count() > max_chars {
        return Err(Problem::TooLong);
    }
    Ok(text.to_owned())
}
