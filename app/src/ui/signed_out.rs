//! When a server function answers "not signed in" on a page that was signed in, the session
//! ended elsewhere (forced logout, lock, expiry: SPEC I5). The page then goes to the login page,
//! which says why.

use crate::error::AppError;
use leptos::prelude::*;

pub const SIGNED_OUT_URL: &str = "/login?reason=signed_out";

/// Watches `error` (a resource's or action's latest failure) and leaves for the login page
/// when it is `Unauthenticated`. A full page load, so no state of the old session survives.
pub fn leave_when_signed_out(error: impl Fn() -> Option<AppError> + Send + Sync + 'static) {
    Effect::new(move || {
        if matches!(error(), Some(AppError::Unauthenticated)) {
            let _ = window().location().set_href(SIGNED_OUT_URL);
        }
    });
}
