//! The audit log (SPEC F8): who did what, on whose behalf, to whom. Filterable and paged on
//! its page, and exported as CSV (`/audit/export.csv` with the same filter).

mod page;
mod sentence;

pub use page::AuditPage;
pub use sentence::{action_name, sentence};

use crate::error::{AppError, FieldErrors, Problem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;
/// The actions an administrator can filter by (every action the code records).
pub const ACTIONS: &[&str] = &[
    "account.closed",
    "account.created",
    "account.factor_policy_changed",
    "account.key_regenerated",
    "account.primary_admin_transferred",
    "account.updated",
    "invitation.accepted",
    "invitation.cancelled",
    "invitation.resent",
    "member.joined_by_key",
    "member.left",
    "partner.accepted",
    "partner.access_granted",
    "partner.access_revoked",
    "partner.acting_ended",
    "partner.acting_started",
    "partner.declined",
    "partner.invited",
    "partner.link_created",
    "partner.revoked",
    "role.created",
    "role.deleted",
    "role.updated",
    "user.created",
    "user.deleted",
    "user.email_verified",
    "user.factor_enrolled",
    "user.factor_removed",
    "user.factors_reset",
    "user.language_changed",
    "user.locked",
    "user.logged_in",
    "user.logged_out",
    "user.logged_out_by_admin",
    "user.other_sessions_ended",
    "user.password_changed",
    "user.password_reset",
    "user.password_reset_by_link",
    "user.password_reset_requested",
    "user.profile_updated",
    "user.recovery_codes_regenerated",
    "user.registered",
    "user.second_step_failed",
    "user.session_ended",
    "user.unlocked",
    "user.updated",
    "user.verification_sent",
];

/// The filter as typed (and as it appears in the URL): every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    /// First day included, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub from: String,
    /// Last day included, `YYYY-MM-DD` (UTC).
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: i64,
}

/// The filter, checked: terms bounded, the action known, dates real, as Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedAuditFilter {
    pub actor: Option<String>,
    pub action: Option<&'static str>,
    pub target: Option<String>,
    pub from: Option<i64>,
    /// Exclusive end: the day after the last day included.
    pub until: Option<i64>,
    pub page: i64,
}

const MAX_TERM_CHARS: usize = 100;

impl AuditFilter {
    pub fn parse(&self) -> Result<ParsedAuditFilter, AppError> {
        let mut errors = FieldErrors::default();
        let term = |text: &str| -> Result<Option<String>, Problem> {
            let text = text.trim();
            if text.chars().count() > MAX_TERM_CHARS {
                return Err(Problem::TooLong);
            }
            if text.chars().any(char::is_control) {
                return Err(Problem::ControlCharacters);
            }
            Ok((!text.is_empty()).then(|| text.to_lowercase()))
        };
        let actor = errors.check("actor", term(&self.actor));
        let target = errors.check("target", term(&self.target));
        let action = errors.check("action", match self.action.trim() {
            "" => Ok(None),
            action => ACTIONS.iter().copied().find(|a| *a == action).map(Some).ok_or(Problem::UnknownAction),
        });
        let from = errors.check("from", day_start(&self.from));
        let until = errors.check("to", day_start(&self.to).map(|day| day.map(|d| d + 86_400)));
        match (actor, target, action, from, until) {
            (Some(actor), Some(target), Some(action), Some(from), Some(until)) => {
                Ok(ParsedAuditFilter { actor, action, target, from, until, page: self.page.clamp(0, 100_000) })
            }
            _ => Err(errors.into_error()),
        }
    }
}

/// Midnight UTC of a `YYYY-MM-DD` day, as Unix seconds; empty means no bound.
fn day_start(text: &str) -> Result<Option<i64>, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map(|date| Some(date.midnight().assume_utc().unix_timestamp()))
        .map_err(|_| Problem::InvalidDate)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: i64,
    /// The actor's login name as recorded (what the actor filter searches).
    pub actor: String,
    /// The actor's own company when it is not the account acted on (partner staff).
    pub actor_company: Option<String>,
    pub action: String,
    /// The target's login or account name as recorded (what the target filter searches).
    pub target: String,
    /// The recorded details as JSON (pretty-printed for the page and the dashboard).
    pub details: String,
    pub client_ip: String,
    /// What the event's sentence names, resolved when the page was loaded.
    pub story: Story,
}

/// A person, company or role an event names, as the server found it. The browser turns it
/// into words in the reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Name {
    /// Its current name, or, when it no longer exists, the name recorded at the time.
    Text(String),
    /// A built-in role, by key: its name depends on the reader's language.
    BuiltinRole(crate::domain::BuiltInRole),
    DeletedUser,
    DeletedRole,
    DeletedAccount,
    /// An operator at the command line (`server create-account`, `server reset-password`).
    Operator,
    /// Nobody signed in (a "forgot password" request).
    #[default]
    Nobody,
}

/// Everything an event's sentence needs besides its action code, with ids already turned into
/// names. Built by the server from the recorded details (old rows included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    pub actor: Name,
    /// The user or account acted on; `None` when the event has none.
    pub target: Option<Name>,
    /// Roles given (or the role concerned by a role or partner event).
    pub roles: Vec<Name>,
    /// Roles taken away.
    pub roles_removed: Vec<Name>,
    /// Another person the details name: the partner staff member of a grant.
    pub person: Option<Name>,
    /// A number the sentence says: holders of a deleted role, sessions ended.
    pub count: Option<i64>,
    /// `user.updated`: fields other than the roles changed too.
    pub other_changes: bool,
    /// `user.created`: the user was sent an invitation rather than given a password.
    pub invited: bool,
    /// A language code (`user.language_changed`).
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntries {
    pub rows: Vec<AuditEntry>,
    pub total: i64,
}

#[server(prefix = "/api", endpoint = "audit/list", input = server_fn::codec::Json)]
pub async fn list_audit_events(filter: AuditFilter) -> Result<AuditEntries, AppError> {
    use crate::{domain::Permission, ssr::{guard, services::audit}};
    let req = guard::permission(Permission::AuditView).await?;
    let filter = filter.parse()?;
    audit::log::list(&req, &filter).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn filters_parse_days_into_a_half_open_range() {
        let filter = AuditFilter { from: "2026-01-01".into(), to: "2026-01-01".into(), ..Default::default() };
        let parsed = filter.parse().unwrap();
        assert_eq!(parsed.until.unwrap() - parsed.from.unwrap(), 86_400);
    }

    #[test]
    fn bad_filters_name_their_fields() {
        let filter = AuditFilter { from: "yesterday".into(), action: "user.hacked".into(), ..Default::default() };
        let error = filter.parse().unwrap_err();
        assert_eq!(error.problem_for("from"), Some(Problem::InvalidDate));
        assert_eq!(error.problem_for("action"), Some(Problem::UnknownAction));
    }

    #[test]
    fn terms_are_compared_in_lower_case() {
        let filter = AuditFilter { actor: " Jane ".into(), ..Default::default() };
        assert_eq!(filter.parse().unwrap().actor.as_deref(), Some("jane"));
    }

    proptest! {
        /// Whatever arrives, the filter is refused field by field or comes out bounded and clean.
        #[test]
        fn any_filter_parses_into_bounded_terms_or_names_its_fields(
            actor in "\\PC{0,120}|.{0,5}", target in "\\PC{0,120}", action in ".{0,20}",
            from in "[0-9-]{0,12}|\\PC{0,12}", to in "[0-9-]{0,12}", page in any::<i64>(),
        ) {
            let filter = AuditFilter { actor, action, target, from, to, page };
            match filter.parse() {
                Ok(parsed) => {
                    for term in [&parsed.actor, &parsed.target].into_iter().flatten() {
                        prop_assert!(term.chars().count() <= MAX_TERM_CHARS);
                        prop_assert!(!term.chars().any(char::is_control));
                    }
                    prop_assert!((0..=100_000).contains(&parsed.page));
                }
                Err(error) => {
                    let named = ["actor", "action", "target", "from", "to"].iter().any(|field| error.problem_for(field).is_some());
                    prop_assert!(named, "{:?}", error);
                }
            }
        }
    }
}
