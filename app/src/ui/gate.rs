//! Sends the visitor where they belong before a page renders. UI only: the server functions
//! behind each page check everything again through the guard.

use super::acting::DelegationEndedPanel;
use crate::session::{SessionInfo, use_session};
use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_location, location::Url};

/// What a page needs from the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Signed out (login, registration): signed-in visitors go home.
    SignedOut,
    /// Signed in, even with a password change pending (the change-password form).
    PasswordChange,
    /// Signed in without an account yet (the create-account form).
    NoAccount,
    /// Signed in, as a member of an account.
    Member,
    /// Signed in, even while a second factor is required and missing (the security page).
    Enrolment,
}

fn destination(need: Need, user: Option<&SessionInfo>) -> Option<&'static str> {
    let Some(user) = user else {
        return (need != Need::SignedOut).then_some("/login");
    };
    if user.must_change_password {
        return (need != Need::PasswordChange).then_some("/password/change");
    }
    if user.needs_second_factor && need != Need::Enrolment {
        return Some("/security");
    }
    match (need, user.account.is_some()) {
        (Need::SignedOut, _) => Some("/"),
        (Need::NoAccount, true) => Some("/"),
        (Need::Member, false) => Some("/account/new"),
        (Need::Enrolment, _) => None,
        _ => None,
    }
}

/// Where the login page sends the visitor back to: a path of this site only. Backslashes and
/// control characters are refused too: browsers read `/\host` and `/<tab>/host` as `//host`.
pub fn safe_next(next: Option<String>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()))
}

/// The sign-in page, told to come back to `path?search` afterwards.
fn login_path(path: &str, search: &str) -> String {
    back_here("/login", path, search)
}

/// `target` (sign-in, forced password change), told to come back to `path?search` afterwards.
/// A `token` parameter is left out: a link's secret never rides along in `next=` (S7). The
/// server has already moved it into a cookie before any page renders; this holds even if it
/// had not.
fn back_here(target: &str, path: &str, search: &str) -> String {
    let search: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next().map(Url::unescape).as_deref() != Some("token"))
        .collect();
    let here = if search.is_empty() { path.to_owned() } else { format!("{path}?{}", search.join("&")) };
    if here == "/" { target.to_owned() } else { format!("{target}?next={}", Url::escape(&here)) }
}

#[component]
pub fn Gate(need: Need, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"…"</p> }>
            {move || Suspend::new(async move {
                let user = session.resource.await.ok().flatten();
                let ended = user.as_ref().and_then(|u| u.acting_for.clone()).filter(|a| a.ended);
                match (destination(need, user.as_ref()), ended) {
                    // Signed-out visitors come back here after signing in.
                    (Some("/login"), _) => {
                        let path = login_path(&location.pathname.get_untracked(), &location.search.get_untracked());
                        view! { <Redirect path=path /> }.into_any()
                    }
                    // The user continues where they were going once the password is changed.
                    (Some(target @ ("/password/change" | "/security")), _) => {
                        let path = back_here(target, &location.pathname.get_untracked(), &location.search.get_untracked());
                        view! { <Redirect path=path /> }.into_any()
                    }
                    (Some(path), _) => view! { <Redirect path=path /> }.into_any(),
                    (None, Some(acting)) if need == Need::Member => view! { <DelegationEndedPanel acting /> }.into_any(),
                    (None, _) => children.with_value(|children| children()).into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PermissionSet, UserId};

    fn user(must_change: bool, with_account: bool) -> SessionInfo {
        SessionInfo {
            account: with_account.then(|| crate::session::AccountSummary {
                id: crate::domain::AccountId(1),
                name: "Acme".into(),
                partner_id: "PT-AAAA-BBBB".into(),
            }),
            must_change_password: must_change,
            ..SessionInfo::sample(UserId(1), PermissionSet::EMPTY)
        }
    }

    #[test]
    fn only_paths_of_this_site_are_followed_after_login() {
        assert_eq!(safe_next(Some("/users?page=2".into())).as_deref(), Some("/users?page=2"));
        assert_eq!(safe_next(Some("//evil.example".into())), None);
        assert_eq!(safe_next(Some("https://evil.example".into())), None);
        assert_eq!(safe_next(Some("/\\evil.example".into())), None);
        assert_eq!(safe_next(Some("/\t/evil.example".into())), None);
    }

    #[test]
    fn a_token_never_travels_inside_next() {
        assert_eq!(login_path("/partners/accept", "?token=secret"), "/login?next=%2Fpartners%2Faccept");
        assert_eq!(login_path("/partners/accept", "?a=1&token=secret&b=2"), "/login?next=%2Fpartners%2Faccept%3Fa%3D1%26b%3D2");
        assert_eq!(login_path("/partners/accept", "?token"), "/login?next=%2Fpartners%2Faccept");
        assert_eq!(login_path("/partners/accept", "?%74oken=secret"), "/login?next=%2Fpartners%2Faccept");
        assert_eq!(login_path("/users", "?tokens=1"), "/login?next=%2Fusers%3Ftokens%3D1");
        assert_eq!(login_path("/", ""), "/login");
        assert_eq!(login_path("/", "?token=secret"), "/login");
        assert_eq!(back_here("/password/change", "/users", "?page=2"), "/password/change?next=%2Fusers%3Fpage%3D2");
    }

    #[test]
    fn visitors_are_sent_to_login_except_from_signed_out_pages() {
        assert_eq!(destination(Need::Member, None), Some("/login"));
        assert_eq!(destination(Need::SignedOut, None), None);
    }

    #[test]
    fn a_pending_password_change_sends_everyone_to_the_form() {
        let u = user(true, true);
        assert_eq!(destination(Need::Member, Some(&u)), Some("/password/change"));
        assert_eq!(destination(Need::SignedOut, Some(&u)), Some("/password/change"));
        assert_eq!(destination(Need::PasswordChange, Some(&u)), None);
    }

    #[test]
    fn users_without_an_account_are_sent_to_create_one() {
        assert_eq!(destination(Need::Member, Some(&user(false, false))), Some("/account/new"));
        assert_eq!(destination(Need::NoAccount, Some(&user(false, true))), Some("/"));
    }
}
