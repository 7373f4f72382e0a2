//! When a server function answers "not signed in" on a page that was signed in, the session
//! ended elsewhere (forced logout, lock, expiry: SPEC I5). The page then goes to the login page,
//! which says why.

use crate::error::AppError;
use leptos::prelude::*;

pub const SIGNED_OUT_URL: &str = "/login?reason=signed_out";

/// Watches `error` (an action's latest failure) and leaves for the login page when it is
/// `Unauthenticated` (or home when it is `DelegationEnded`). A full page load, so no state of the old session survives.
/// Not for resources: an effect reading a resource joins the page's outer `Suspense`, which
/// then re-mounts the page on every refetch (inputs lose focus). Call `leave_if_signed_out`
/// where the resource is already read, inside its `Suspense`/`Transition`.
pub fn leave_when_signed_out(error: impl Fn() -> Option<AppError> + Send + Sync + 'static) {
    Effect::new(move || {
        if let Some(error) = error() {
            leave_if_signed_out(&error);
        }
    });
}

/// Leaves for the login page if `error` says the session is gone, or for the start page
/// (which explains) if the customer access this page acted through has ended.
pub fn leave_if_signed_out(error: &AppError) {
    match error {
        AppError::Unauthenticated => load_page(SIGNED_OUT_URL),
        AppError::DelegationEnded => load_page("/"),
        _ => {}
    }
}

/// A full page load of `url` (in the browser only): nothing of the current page survives.
pub fn load_page(url: &str) {
    #[cfg(feature = "hydrate")]
    let _ = window().location().set_href(url);
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}
