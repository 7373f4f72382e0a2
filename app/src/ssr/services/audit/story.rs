//! What an audit event's sentence names (F8): the ids of a page of events and of their details
//! become names, read in one query per kind (users, roles, accounts) for the whole page, never
//! per row. Something that no longer exists falls back to the name its details recorded, else
//! to a neutral word ("a deleted user"). Ids are never reused (S9), so an id names one thing.

use crate::{
    audit::{Name, Story},
    domain::BuiltInRole,
    error::AppError,
    ssr::sql::{BINDS_PER_STATEMENT, placeholders},
};
use serde_json::Value;
use sqlx::AnyPool;
use std::collections::{BTreeSet, HashMap};

/// What one recorded event says about whom it concerns.
pub struct Recorded<'a> {
    pub action: &'a str,
    pub actor_user_id: Option<i64>,
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    pub details: &'a Value,
    pub client_ip: &'a str,
}

/// The names found, by id.
#[derive(Default)]
struct Found {
    users: HashMap<i64, String>,
    roles: HashMap<i64, Name>,
    accounts: HashMap<i64, String>,
}

/// One story per event, in the same order.
#[tracing::instrument(skip_all)]
pub async fn stories(pool: &AnyPool, events: &[Recorded<'_>]) -> Result<Vec<Story>, AppError> {
    let (mut users, mut roles, mut accounts) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for event in events {
        users.extend(event.actor_user_id);
        match event.target_type {
            "user" => users.extend(event.target_id),
            "account" => accounts.extend(event.target_id),
            _ => {}
        }
        users.extend(event.details.get("staff_id").and_then(Value::as_i64));
        roles.extend(event.details.get("role_id").and_then(Value::as_i64));
        for key in ["roles", "roles_before", "roles_after"] {
            roles.extend(ids(&event.details[key]));
        }
    }
    let mut found = Found::default();
    for (id, first, last) in fetch::<(i64, String, String)>(pool, "SELECT id, first_name, last_name FROM users", &users).await? {
        found.users.insert(id, format!("{first} {last}").trim().to_owned());
    }
    for (id, name, key) in fetch::<(i64, String, Option<BuiltInRole>)>(pool, "SELECT id, name, builtin_key FROM roles", &roles).await? {
        found.roles.insert(id, key.map_or(Name::Text(name), Name::BuiltinRole));
    }
    for (id, name) in fetch::<(i64, String)>(pool, "SELECT id, name FROM accounts", &accounts).await? {
        found.accounts.insert(id, name);
    }
    Ok(events.iter().map(|event| story(event, &found)).collect())
}

/// `select` with `WHERE id IN (…)` over `ids`, a few hundred at a time.
async fn fetch<T>(pool: &AnyPool, select: &str, ids: &BTreeSet<i64>) -> Result<Vec<T>, AppError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut rows = Vec::new();
    // An export reads up to 100,000 events.
    for chunk in ids.chunks(BINDS_PER_STATEMENT) {
        let sql = format!("{select} WHERE id IN ({})", placeholders(1, chunk.len()));
        let mut query = sqlx::query_as::<_, T>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        rows.extend(query.fetch_all(pool).await?);
    }
    Ok(rows)
}

fn ids(value: &Value) -> Vec<i64> {
    value.as_array().map(|ids| ids.iter().filter_map(Value::as_i64).collect()).unwrap_or_default()
}

fn text(details: &Value, key: &str) -> Option<String> {
    details.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

fn story(event: &Recorded<'_>, found: &Found) -> Story {
    let details = event.details;
    let user = |id: i64, recorded: Option<String>| {
        found.users.get(&id).cloned().or(recorded).map_or(Name::DeletedUser, Name::Text)
    };
    let role = |id: Option<i64>, recorded: Option<Name>| {
        id.and_then(|id| found.roles.get(&id).cloned()).or(recorded).unwrap_or(Name::DeletedRole)
    };
    let roles = |ids: &[i64]| ids.iter().map(|id| role(Some(*id), None)).collect::<Vec<_>>();
    let actor = match event.actor_user_id {
        Some(id) => user(id, None),
        None if event.client_ip == "cli" => Name::Operator,
        None => Name::Nobody,
    };
    let target = match (event.target_type, event.target_id) {
        ("user", Some(id)) => Some(user(id, snapshot_name(details))),
        ("account", Some(id)) => {
            Some(found.accounts.get(&id).cloned().or_else(|| text(details, "name")).map_or(Name::DeletedAccount, Name::Text))
        }
        _ => None,
    };
    let mut story = Story { actor, target, ..Default::default() };
    match event.action {
        "user.created" => {
            story.roles = roles(&ids(&details["roles"]));
            story.invited = text(details, "delivery").as_deref() == Some("invitation");
        }
        "user.updated" => {
            let (before, after) = (ids(&details["roles_before"]), ids(&details["roles_after"]));
            let added: Vec<i64> = after.iter().copied().filter(|id| !before.contains(id)).collect();
            let removed: Vec<i64> = before.iter().copied().filter(|id| !after.contains(id)).collect();
            story.roles = roles(&added);
            story.roles_removed = roles(&removed);
            story.other_changes = details["changed"].as_array().is_some_and(|changed| !changed.is_empty());
        }
        "role.created" | "role.updated" | "role.deleted" => {
            story.roles = vec![role(details["role_id"].as_i64(), text(details, "name").map(Name::Text))];
            story.count = details["holders"].as_i64();
        }
        "partner.access_granted" | "partner.access_revoked" => {
            let staff = text(details, "staff");
            story.person = Some(match details["staff_id"].as_i64() {
                Some(id) => user(id, staff),
                None => staff.map_or(Name::DeletedUser, Name::Text),
            });
            story.roles = vec![role(details["role_id"].as_i64(), text(details, "role").map(Name::Text))];
        }
        "partner.acting_started" => {
            let builtin = text(details, "role_builtin_key").and_then(|key| BuiltInRole::from_key(&key)).map(Name::BuiltinRole);
            story.roles = vec![builtin.or_else(|| text(details, "role").map(Name::Text)).unwrap_or(Name::DeletedRole)];
        }
        "user.other_sessions_ended" => story.count = details["ended"].as_i64(),
        "user.language_changed" => story.language = text(details, "locale"),
        _ => {}
    }
    story
}

/// The name a deleted user's event kept of them (F4 delete, invitation cancelled).
fn snapshot_name(details: &Value) -> Option<String> {
    let name = [text(details, "first_name"), text(details, "last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recorded<'a>(action: &'a str, details: &'a Value) -> Recorded<'a> {
        Recorded { action, actor_user_id: Some(1), target_type: "user", target_id: Some(2), details, client_ip: "::1" }
    }

    fn found() -> Found {
        let mut found = Found::default();
        found.users.insert(1, "Alice Martin".into());
        found.roles.insert(10, Name::BuiltinRole(BuiltInRole::Auditor));
        found.roles.insert(11, Name::Text("Support".into()));
        found
    }

    #[test]
    fn an_edit_names_the_roles_given_and_taken_and_whether_more_changed() {
        let details = json!({ "changed": [], "roles_before": [10, 12], "roles_after": [11, 12] });
        let story = story(&recorded("user.updated", &details), &found());
        assert_eq!(story.actor, Name::Text("Alice Martin".into()));
        assert_eq!(story.target, Some(Name::DeletedUser));
        assert_eq!(story.roles, vec![Name::Text("Support".into())]);
        assert_eq!(story.roles_removed, vec![Name::BuiltinRole(BuiltInRole::Auditor)]);
        assert!(!story.other_changes);
    }

    #[test]
    fn what_is_gone_falls_back_to_the_recorded_name_else_a_neutral_word() {
        let details = json!({ "first_name": "Bob", "last_name": "Stone" });
        assert_eq!(story(&recorded("user.deleted", &details), &found()).target, Some(Name::Text("Bob Stone".into())));
        let details = json!({ "role_id": 99, "name": "Night shift", "holders": 3 });
        let deleted = story(&recorded("role.deleted", &details), &found());
        assert_eq!((deleted.roles, deleted.count), (vec![Name::Text("Night shift".into())], Some(3)));
        let details = json!({ "roles": [99] });
        assert_eq!(story(&recorded("user.created", &details), &found()).roles, vec![Name::DeletedRole]);
    }

    #[test]
    fn events_without_a_signed_in_actor_say_who_it_was() {
        let details = json!({});
        let cli = Recorded { actor_user_id: None, client_ip: "cli", ..recorded("user.password_reset", &details) };
        assert_eq!(story(&cli, &found()).actor, Name::Operator);
        let anonymous = Recorded { actor_user_id: None, ..recorded("user.password_reset_requested", &details) };
        assert_eq!(story(&anonymous, &found()).actor, Name::Nobody);
    }
}
