//! Every server function, with who may call it and a sample call. The authorization matrix and
//! the bad-input tests walk this list; `every_registered_function_is_listed` compares it with
//! the routes the server registers, so a new function cannot be left out.

/// Who the shared guard lets through (SPEC S3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, even one whose delegated access ended (`even_password_change_due`,
    /// `even_delegation_ended`: logging out, changing one's password, going home).
    OwnUser,
    /// A signed-in user whose session is usable (`signed_in`).
    SignedIn,
    /// A member of the account acted on, whatever their roles (`member`).
    Member,
    /// A member holding one of these permission bits in the account acted on.
    Any(u8),
}

pub const USERS_VIEW: u8 = 1;
pub const USERS_MANAGE: u8 = 2;
pub const ROLES_MANAGE: u8 = 4;
pub const ACCOUNT_MANAGE: u8 = 8;
pub const PARTNERS_VIEW: u8 = 16;
pub const PARTNERS_MANAGE: u8 = 32;
pub const PARTNERS_DELEGATE: u8 = 64;
pub const AUDIT_VIEW: u8 = 128;

/// Placeholder → value: the customer's objects (`vic`, `link`…), filled in by the test.
pub type Values = BTreeMap<&'static str, String>;

/// A call's arguments. Placeholders in braces (`{vic}`, `{link}`…) name the customer's
/// objects and are filled in by the test.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    Form(&'static [(&'static str, &'static str)]),
    /// Built from the server function's own argument struct, so an argument renamed or removed
    /// fails to compile here instead of being dropped by the server's deserializer (which
    /// ignores unknown fields and defaults missing ones).
    Json(fn(&Values) -> Value),
    /// A plain GET (the CSV download), query string included.
    Get(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Under `/api/`, or a site path for `Body::Get`.
    pub path: &'static str,
    pub access: Access,
    /// Aimed at the customer's real objects: what a refused caller must not reach.
    pub real: Body,
    /// For callers the guard lets through, when `real` would change what later rows need;
    /// it reaches the function's body and fails there (unknown id, bad value).
    pub harmless: Option<Body>,
    /// Refused while acting for a customer: membership changes (`WhileActingForCustomer`).
    pub home_only: bool,
}

const fn ep(path: &'static str, access: Access, real: Body) -> Endpoint {
    Endpoint { path, access, real, harmless: None, home_only: false }
}

const fn guarded(path: &'static str, access: Access, real: Body, harmless: Body) -> Endpoint {
    Endpoint { path, access, real, harmless: Some(harmless), home_only: false }
}

const fn home(path: &'static str, access: Access, real: Body, harmless: Body) -> Endpoint {
    Endpoint { path, access, real, harmless: Some(harmless), home_only: true }
}

use app::{
    audit::{AuditFilter, ListAuditEvents},
    domain::{Permission, RoleId, UserId},
    me::{Profile, UpdateMyProfile},
    roles::{RoleForm, SaveRole},
    users::{
        BulkAction, CreateUser, Delivery, ImportUsers, ListUsers, PreviewBulkAction, PreviewImport, RunBulkAction,
        Selection, UpdateUser, UserForm, UserQuery,
    },
};
use serde_json::Value;
use std::collections::BTreeMap;
use Access::*;
use Body::*;

fn json(arguments: impl serde::Serialize) -> Value {
    serde_json::to_value(arguments).expect("arguments serialize")
}

/// The id a placeholder stands for.
fn id(values: &Values, name: &str) -> i64 {
    values[name].parse().expect("the placeholder is an id")
}

fn user_form(login_name: &str, email: &str, role_ids: Vec<RoleId>, password: &str) -> UserForm {
    let (first_name, last_name) = if login_name == "mallory" { ("Mal", "Ory") } else { ("Hacked", "Hacked") };
    UserForm {
        first_name: first_name.into(),
        last_name: last_name.into(),
        login_name: login_name.into(),
        email: email.into(),
        locale: "en".into(),
        role_ids,
        password: password.into(),
        ..Default::default()
    }
}

fn delete_victim(values: &Values) -> Selection {
    Selection::Users(vec![UserId(id(values, "vic"))])
}

const NONE: Body = Form(&[]);
const UNKNOWN_ID: Body = Form(&[("id", "999999999")]);

/// In the order the matrix calls them: reads first, then changes, and last what ends a
/// caller's membership or session.
pub const ENDPOINTS: &[Endpoint] = &[
    ep("session/current", Public, NONE),
    ep("invitation/show", Public, Form(&[("token", "not-a-real-token")])),
    ep("links/token", Public, Form(&[("page", "PartnerLink")])),
    ep("partners/preview", SignedIn, Form(&[("token", "{partner_link}")])),
    ep("me/profile", SignedIn, NONE),
    ep("me/sessions", SignedIn, NONE),
    ep("factors/mine", OwnUser, NONE),
    ep("factors/totp/begin", OwnUser, NONE),
    // No enrolment was confirmed by anyone: the code is refused in the function's body.
    ep("factors/totp/confirm", OwnUser, Form(&[("code", "000000"), ("name", "Stolen phone")])),
    ep("factors/totp/rename", OwnUser, Form(&[("name", "Renamed")])),
    ep("factors/totp/remove", OwnUser, Form(&[("password", "not the password")])),
    ep("factors/recovery/regenerate", OwnUser, Form(&[("password", "not the password")])),
    ep("factors/passkey/begin", OwnUser, NONE),
    // No ceremony has that token: the answer is refused in the function's body.
    ep("factors/passkey/finish", OwnUser, Form(&[("ceremony", "unknown"), ("answer", "{}"), ("passkey_name", "Stolen key")])),
    ep("factors/passkey/rename", OwnUser, Form(&[("id", "999999999"), ("name", "Renamed")])),
    ep("factors/passkey/remove", OwnUser, Form(&[("id", "999999999"), ("password", "not the password")])),
    ep("accounts/details", Member, NONE),
    // Sets what is already the default: the rows after it need no second factor.
    ep("accounts/set_factor_policy", Any(ACCOUNT_MANAGE), Form(&[("policy", "Nobody")])),
    ep("dashboard/summary", Member, NONE),
    ep("users/list", Any(USERS_VIEW), Json(|_| json(ListUsers { query: UserQuery::default() }))),
    ep("users/get", Any(USERS_VIEW), Form(&[("id", "{vic}")])),
    ep("invitations/list", Any(USERS_VIEW), NONE),
    ep("users/import/preview", Any(USERS_MANAGE), Json(|_| json(PreviewImport { csv: "first_name,last_name,login_name,email\nMal,Ory,mallet,mallet@example.com\n".into() }))),
    ep("/users/import/template.csv", Any(USERS_MANAGE), Get("/users/import/template.csv")),
    ep("roles/list", Any(USERS_VIEW | ROLES_MANAGE), NONE),
    ep("audit/list", Any(AUDIT_VIEW), Json(|_| json(ListAuditEvents { filter: AuditFilter::default() }))),
    ep("/audit/export.csv", Any(AUDIT_VIEW), Get("/audit/export.csv")),
    ep("partners/list", Any(PARTNERS_VIEW), NONE),
    ep("accounts/key", Any(ACCOUNT_MANAGE), NONE),
    // Changes to the caller's own self.
    guarded("auth/register", Public, Form(&[("first_name", "Eve"), ("last_name", "Doe"), ("email", "victoria@example.com"), ("login_name", "eve"), ("password", "correct horse battery"), ("locale", "en")]),
        Form(&[("first_name", "Eve"), ("last_name", "Doe"), ("email", "not an address"), ("login_name", "eve"), ("password", "x"), ("locale", "en")])),
    ep("auth/login", Public, Form(&[("identifier", "nobody-at-all"), ("password", "wrong password")])),
    // No browser in the matrix is at a second step: refused as expired, whoever calls.
    ep("auth/second_step", Public, Form(&[("code", "123456")])),
    ep("auth/second_step/ways", Public, NONE),
    ep("auth/second_step/passkey_begin", Public, NONE),
    ep("auth/second_step/passkey", Public, Form(&[("ceremony", "unknown"), ("answer", "{}")])),
    ep("auth/passkey/begin", Public, NONE),
    ep("auth/passkey", Public, Form(&[("ceremony", "unknown"), ("answer", "{}")])),
    ep("auth/forgot_password", Public, Form(&[("email", "nobody@nowhere.example")])),
    ep("auth/reset_password_with_link", Public, Form(&[("token", "not-a-real-token"), ("new_password", "a good long password")])),
    ep("invitation/accept", Public, Form(&[("token", "not-a-real-token"), ("first_name", "Eve"), ("last_name", "Doe"), ("password", "a good long password")])),
    ep("auth/verify_email", Public, Form(&[("token", "not-a-real-token")])),
    ep("auth/resend_verification", SignedIn, NONE),
    ep("auth/set_language", SignedIn, Form(&[("locale", "en")])),
    ep("me/update_profile", SignedIn, Json(|_| json(UpdateMyProfile {
        profile: Profile { first_name: "Same".into(), last_name: "Person".into(), locale: "en".into(), subscribe_news: false, subscribe_alerts: true },
    }))),
    guarded("auth/change_password", OwnUser, Form(&[("current_password", "a brand new secret"), ("new_password", "stolen and changed")]),
        Form(&[("current_password", "not my password"), ("new_password", "stolen and changed")])),
    guarded("me/end_session", SignedIn, Form(&[("session_id", "{session}")]), Form(&[("session_id", "999999999")])),
    ep("partners/act_for", OwnUser, Form(&[("account_id", "{acme}")])),
    // Changes to the customer account.
    guarded("users/create", Any(USERS_MANAGE), Json(|_| json(CreateUser { form: user_form("mallory", "mallory@example.com", vec![], "a good long password"), delivery: Delivery::Password })),
        Json(|_| json(CreateUser { form: user_form("mallory", "not an address", vec![], ""), delivery: Delivery::Password }))),
    guarded("users/update", Any(USERS_MANAGE), Json(|v| json(UpdateUser { id: UserId(id(v, "vic")), form: user_form("victoria", "victoria@example.com", vec![RoleId(id(v, "admin_role"))], "") })),
        Json(|_| json(UpdateUser { id: UserId(999_999_999), form: user_form("nobody", "nobody@example.com", vec![], "") }))),
    guarded("users/import/commit", Any(USERS_MANAGE), Json(|_| json(ImportUsers { csv: "first_name,last_name,login_name,email,roles\nMal,Ory,mallet,mallet@example.com,Administrator\n".into() })),
        Json(|_| json(ImportUsers { csv: "first_name\nMal\n".into() }))),
    guarded("users/reset_password", Any(USERS_MANAGE), Form(&[("id", "{vic}")]), UNKNOWN_ID),
    guarded("users/reset_factors", Any(USERS_MANAGE), Form(&[("id", "{vic}")]), UNKNOWN_ID),
    guarded("users/bulk", Any(USERS_MANAGE), Json(|v| json(RunBulkAction { action: BulkAction::Delete, selection: delete_victim(v) })),
        Json(|_| json(RunBulkAction { action: BulkAction::Lock, selection: Selection::Users(vec![UserId(999_999_999)]) }))),
    ep("users/bulk_preview", Any(USERS_MANAGE), Json(|v| json(PreviewBulkAction { action: BulkAction::Delete, selection: delete_victim(v) }))),
    guarded("users/make_primary", Any(USERS_MANAGE), Form(&[("id", "{vic}")]), UNKNOWN_ID),
    guarded("invitations/resend", Any(USERS_MANAGE), Form(&[("id", "{ivy}")]), UNKNOWN_ID),
    guarded("invitations/cancel", Any(USERS_MANAGE), Form(&[("id", "{ivy}")]), UNKNOWN_ID),
    guarded("roles/save", Any(ROLES_MANAGE), Json(|v| json(SaveRole { id: Some(RoleId(id(v, "role"))), form: RoleForm { name: "Owned".into(), description: String::new(), permissions: Permission::ALL.to_vec() } })),
        Json(|_| json(SaveRole { id: Some(RoleId(999_999_999)), form: RoleForm { name: "Owned".into(), ..Default::default() } }))),
    guarded("roles/delete", Any(ROLES_MANAGE), Form(&[("id", "{role}")]), UNKNOWN_ID),
    guarded("accounts/update_details", Any(ACCOUNT_MANAGE), Form(&[("name", "Owned"), ("contact_email", "evil@example.com"), ("default_locale", "en")]),
        Form(&[("name", ""), ("contact_email", "not an address"), ("default_locale", "xx")])),
    ep("accounts/regenerate_key", Any(ACCOUNT_MANAGE), NONE),
    guarded("partners/invite", Any(PARTNERS_MANAGE), Form(&[("partner_id", "{other_partner_id}")]), Form(&[("partner_id", "not a partner id")])),
    guarded("partners/respond", Any(PARTNERS_MANAGE), Form(&[("link_id", "{link}"), ("accept", "false")]), Form(&[("link_id", "999999999"), ("accept", "false")])),
    ep("partners/create_link", Any(PARTNERS_MANAGE), NONE),
    guarded("partners/confirm", Any(PARTNERS_MANAGE), Form(&[("token", "{partner_link}")]), Form(&[("token", "not-a-real-token")])),
    guarded("partners/grant", Any(PARTNERS_DELEGATE), Form(&[("link_id", "{link}"), ("user_id", "{staff}"), ("role_id", "{admin_role}")]),
        Form(&[("link_id", "999999999"), ("user_id", "999999999"), ("role_id", "999999999")])),
    guarded("partners/revoke_grant", Any(PARTNERS_DELEGATE | PARTNERS_MANAGE), Form(&[("grant_id", "{grant}")]), Form(&[("grant_id", "999999999")])),
    guarded("partners/revoke", Any(PARTNERS_MANAGE), Form(&[("link_id", "{link}")]), Form(&[("link_id", "999999999")])),
    // Membership, then the session itself.
    home("accounts/create", SignedIn, Form(&[("account_name", "Shadow corp")]), Form(&[("account_name", "")])),
    home("accounts/join", SignedIn, Form(&[("account_key", "{key}")]), Form(&[("account_key", "not a key")])),
    home("accounts/close", Member, NONE, NONE),
    home("accounts/leave", Member, NONE, NONE),
    ep("me/end_other_sessions", SignedIn, NONE),
    ep("auth/logout", OwnUser, NONE),
];

/// `text` with each `{name}` replaced by its value.
pub fn fill(text: &str, values: &Values) -> String {
    values.iter().fold(text.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
}
