//! An audit event as a sentence in the reader's language ("Alice Martin locked Bob Stone"): one
//! template per action code, filled with the names the server resolved (`Story`). The audit
//! page, the dashboard and the CSV export share it; the browser calls it again when the
//! language changes, so no page reload is needed.

use super::{AuditEntry, Name};
use crate::i18n::*;

/// The readable name of an action code (the action filter); an unknown code stays as it is.
pub fn action_name(locale: Locale, code: &str) -> String {
    let name = match code {
        "account.closed" => td_string!(locale, audit_sentence.action_account_closed),
        "account.created" => td_string!(locale, audit_sentence.action_account_created),
        "account.factor_policy_changed" => td_string!(locale, audit_sentence.action_account_factor_policy_changed),
        "account.key_regenerated" => td_string!(locale, audit_sentence.action_account_key_regenerated),
        "account.primary_admin_transferred" => td_string!(locale, audit_sentence.action_account_primary_admin_transferred),
        "account.updated" => td_string!(locale, audit_sentence.action_account_updated),
        "invitation.accepted" => td_string!(locale, audit_sentence.action_invitation_accepted),
        "invitation.cancelled" => td_string!(locale, audit_sentence.action_invitation_cancelled),
        "invitation.resent" => td_string!(locale, audit_sentence.action_invitation_resent),
        "member.joined_by_key" => td_string!(locale, audit_sentence.action_member_joined_by_key),
        "member.left" => td_string!(locale, audit_sentence.action_member_left),
        "partner.accepted" => td_string!(locale, audit_sentence.action_partner_accepted),
        "partner.access_granted" => td_string!(locale, audit_sentence.action_partner_access_granted),
        "partner.access_revoked" => td_string!(locale, audit_sentence.action_partner_access_revoked),
        "partner.acting_ended" => td_string!(locale, audit_sentence.action_partner_acting_ended),
        "partner.acting_started" => td_string!(locale, audit_sentence.action_partner_acting_started),
        "partner.declined" => td_string!(locale, audit_sentence.action_partner_declined),
        "partner.invited" => td_string!(locale, audit_sentence.action_partner_invited),
        "partner.link_created" => td_string!(locale, audit_sentence.action_partner_link_created),
        "partner.revoked" => td_string!(locale, audit_sentence.action_partner_revoked),
        "role.created" => td_string!(locale, audit_sentence.action_role_created),
        "role.deleted" => td_string!(locale, audit_sentence.action_role_deleted),
        "role.updated" => td_string!(locale, audit_sentence.action_role_updated),
        "user.created" => td_string!(locale, audit_sentence.action_user_created),
        "user.deleted" => td_string!(locale, audit_sentence.action_user_deleted),
        "user.email_verified" => td_string!(locale, audit_sentence.action_user_email_verified),
        "user.factor_enrolled" => td_string!(locale, audit_sentence.action_user_factor_enrolled),
        "user.factor_removed" => td_string!(locale, audit_sentence.action_user_factor_removed),
        "user.factors_reset" => td_string!(locale, audit_sentence.action_user_factors_reset),
        "user.recovery_codes_regenerated" => td_string!(locale, audit_sentence.action_user_recovery_codes_regenerated),
        "user.second_step_failed" => td_string!(locale, audit_sentence.action_user_second_step_failed),
        "user.language_changed" => td_string!(locale, audit_sentence.action_user_language_changed),
        "user.locked" => td_string!(locale, audit_sentence.action_user_locked),
        "user.logged_in" => td_string!(locale, audit_sentence.action_user_logged_in),
        "user.logged_out" => td_string!(locale, audit_sentence.action_user_logged_out),
        "user.logged_out_by_admin" => td_string!(locale, audit_sentence.action_user_logged_out_by_admin),
        "user.other_sessions_ended" => td_string!(locale, audit_sentence.action_user_other_sessions_ended),
        "user.password_changed" => td_string!(locale, audit_sentence.action_user_password_changed),
        "user.password_reset" => td_string!(locale, audit_sentence.action_user_password_reset),
        "user.password_reset_by_link" => td_string!(locale, audit_sentence.action_user_password_reset_by_link),
        "user.password_reset_requested" => td_string!(locale, audit_sentence.action_user_password_reset_requested),
        "user.profile_updated" => td_string!(locale, audit_sentence.action_user_profile_updated),
        "user.registered" => td_string!(locale, audit_sentence.action_user_registered),
        "user.session_ended" => td_string!(locale, audit_sentence.action_user_session_ended),
        "user.unlocked" => td_string!(locale, audit_sentence.action_user_unlocked),
        "user.updated" => td_string!(locale, audit_sentence.action_user_updated),
        "user.verification_sent" => td_string!(locale, audit_sentence.action_user_verification_sent),
        other => return other.to_owned(),
    };
    name.to_owned()
}

/// Whether a factor event's details (`{"factor": "totp" | "passkey", …}`, compact or
/// pretty-printed) are about a passkey.
fn names_passkey(details: &str) -> bool {
    details.contains("\"factor\":\"passkey\"") || details.contains("\"factor\": \"passkey\"")
}

/// A second-factor policy in words, to end a sentence.
pub fn policy_name(locale: Locale, policy: crate::second_factor::FactorPolicy) -> &'static str {
    use crate::second_factor::FactorPolicy::*;
    match policy {
        Nobody => td_string!(locale, audit_sentence.policy_nobody),
        Administrators => td_string!(locale, audit_sentence.policy_administrators),
        Everyone => td_string!(locale, audit_sentence.policy_everyone),
    }
}

/// The sentence of one event, capitalized, without a final full stop.
pub fn sentence(locale: Locale, entry: &AuditEntry) -> String {
    let story = &entry.story;
    let actor = actor(locale, entry);
    let target = story.target.as_ref().map(|t| name(locale, t)).unwrap_or_default();
    let role = roles(locale, &story.roles);
    let person = story.person.as_ref().map(|p| name(locale, p)).unwrap_or_default();
    let number = story.count.unwrap_or(0);
    // Partner events are written in both companies' logs; the actor's company is set in the
    // log of the company the actor does not belong to.
    let here = entry.actor_company.is_some();
    let text = match entry.action.as_str() {
        "account.closed" => td_string!(locale, audit_sentence.account_closed, actor = actor, target = target).to_string(),
        "account.created" => td_string!(locale, audit_sentence.account_created, actor = actor, target = target).to_string(),
        "account.factor_policy_changed" => {
            // The details hold {"policy": "<key>"}; the keys do not contain one another.
            let policy = crate::second_factor::FactorPolicy::ALL
                .into_iter()
                .find(|p| entry.details.contains(&format!("\"{}\"", p.key())))
                .unwrap_or_default();
            td_string!(locale, audit_sentence.account_factor_policy_changed, actor = actor, policy = policy_name(locale, policy)).to_string()
        }
        "account.key_regenerated" => td_string!(locale, audit_sentence.account_key_regenerated, actor = actor).to_string(),
        "account.primary_admin_transferred" => {
            td_string!(locale, audit_sentence.account_primary_admin_transferred, actor = actor, target = target).to_string()
        }
        "account.updated" => td_string!(locale, audit_sentence.account_updated, actor = actor, target = target).to_string(),
        "invitation.accepted" => td_string!(locale, audit_sentence.invitation_accepted, actor = actor).to_string(),
        "invitation.cancelled" => td_string!(locale, audit_sentence.invitation_cancelled, actor = actor, target = target).to_string(),
        "invitation.resent" => td_string!(locale, audit_sentence.invitation_resent, actor = actor, target = target).to_string(),
        "member.joined_by_key" => td_string!(locale, audit_sentence.member_joined_by_key, actor = actor).to_string(),
        "member.left" => td_string!(locale, audit_sentence.member_left, actor = actor).to_string(),
        "partner.accepted" => td_string!(locale, audit_sentence.partner_accepted, actor = actor, target = target).to_string(),
        "partner.access_granted" if here => {
            td_string!(locale, audit_sentence.partner_access_granted_here, actor = actor, person = person, role = role).to_string()
        }
        "partner.access_granted" => {
            td_string!(locale, audit_sentence.partner_access_granted, actor = actor, person = person, target = target, role = role).to_string()
        }
        "partner.access_revoked" => td_string!(locale, audit_sentence.partner_access_revoked, actor = actor, person = person).to_string(),
        "partner.acting_ended" => td_string!(locale, audit_sentence.partner_acting_ended, actor = actor).to_string(),
        "partner.acting_started" => td_string!(locale, audit_sentence.partner_acting_started, actor = actor, role = role).to_string(),
        "partner.declined" => td_string!(locale, audit_sentence.partner_declined, actor = actor, target = target).to_string(),
        "partner.invited" if here => td_string!(locale, audit_sentence.partner_invited_here, actor = actor, target = target).to_string(),
        "partner.invited" => td_string!(locale, audit_sentence.partner_invited, actor = actor, target = target).to_string(),
        "partner.link_created" => td_string!(locale, audit_sentence.partner_link_created, actor = actor).to_string(),
        "partner.revoked" if story.target.is_none() => td_string!(locale, audit_sentence.partner_revoked_unused, actor = actor).to_string(),
        "partner.revoked" => td_string!(locale, audit_sentence.partner_revoked, actor = actor, target = target).to_string(),
        "role.created" => td_string!(locale, audit_sentence.role_created, actor = actor, role = role).to_string(),
        "role.deleted" if number > 0 => td_string!(locale, audit_sentence.role_deleted_held, actor = actor, role = role, number = number).to_string(),
        "role.deleted" => td_string!(locale, audit_sentence.role_deleted, actor = actor, role = role).to_string(),
        "role.updated" => td_string!(locale, audit_sentence.role_updated, actor = actor, role = role).to_string(),
        "user.created" => match (story.invited, story.roles.is_empty()) {
            (false, true) => td_string!(locale, audit_sentence.user_created, actor = actor, target = target).to_string(),
            (false, false) => td_string!(locale, audit_sentence.user_created_with_roles, actor = actor, target = target, roles = role).to_string(),
            (true, true) => td_string!(locale, audit_sentence.user_invited, actor = actor, target = target).to_string(),
            (true, false) => td_string!(locale, audit_sentence.user_invited_with_roles, actor = actor, target = target, roles = role).to_string(),
        },
        "user.deleted" => td_string!(locale, audit_sentence.user_deleted, actor = actor, target = target).to_string(),
        "user.email_verified" => td_string!(locale, audit_sentence.user_email_verified, actor = actor).to_string(),
        "user.factor_enrolled" if names_passkey(&entry.details) => {
            td_string!(locale, audit_sentence.user_passkey_added, actor = actor).to_string()
        }
        "user.factor_enrolled" => td_string!(locale, audit_sentence.user_factor_enrolled, actor = actor).to_string(),
        "user.factor_removed" if names_passkey(&entry.details) => {
            td_string!(locale, audit_sentence.user_passkey_removed, actor = actor).to_string()
        }
        "user.factor_removed" => td_string!(locale, audit_sentence.user_factor_removed, actor = actor).to_string(),
        "user.factors_reset" => td_string!(locale, audit_sentence.user_factors_reset, actor = actor, target = target).to_string(),
        "user.recovery_codes_regenerated" => td_string!(locale, audit_sentence.user_recovery_codes_regenerated, actor = actor).to_string(),
        "user.second_step_failed" => td_string!(locale, audit_sentence.user_second_step_failed, target = target).to_string(),
        "user.language_changed" => {
            let language = language_name(locale, story.language.as_deref().unwrap_or_default());
            td_string!(locale, audit_sentence.user_language_changed, actor = actor, language = language).to_string()
        }
        "user.locked" => td_string!(locale, audit_sentence.user_locked, actor = actor, target = target).to_string(),
        "user.logged_in" => td_string!(locale, audit_sentence.user_logged_in, actor = actor).to_string(),
        "user.logged_out" => td_string!(locale, audit_sentence.user_logged_out, actor = actor).to_string(),
        "user.logged_out_by_admin" => td_string!(locale, audit_sentence.user_logged_out_by_admin, actor = actor, target = target).to_string(),
        "user.other_sessions_ended" => td_string!(locale, audit_sentence.user_other_sessions_ended, actor = actor, number = number).to_string(),
        "user.password_changed" => td_string!(locale, audit_sentence.user_password_changed, actor = actor).to_string(),
        "user.password_reset" => td_string!(locale, audit_sentence.user_password_reset, actor = actor, target = target).to_string(),
        "user.password_reset_by_link" => td_string!(locale, audit_sentence.user_password_reset_by_link, actor = actor).to_string(),
        "user.password_reset_requested" => td_string!(locale, audit_sentence.user_password_reset_requested, target = target).to_string(),
        "user.profile_updated" => td_string!(locale, audit_sentence.user_profile_updated, actor = actor).to_string(),
        "user.registered" => td_string!(locale, audit_sentence.user_registered, actor = actor).to_string(),
        "user.session_ended" => td_string!(locale, audit_sentence.user_session_ended, actor = actor).to_string(),
        "user.unlocked" => td_string!(locale, audit_sentence.user_unlocked, actor = actor, target = target).to_string(),
        "user.updated" => {
            let changes = user_changes(locale, entry, &target);
            td_string!(locale, audit_sentence.user_updated, actor = actor, changes = changes).to_string()
        }
        "user.verification_sent" => td_string!(locale, audit_sentence.user_verification_sent, actor = actor).to_string(),
        other => td_string!(locale, audit_sentence.unknown, actor = actor, action = other.to_owned()).to_string(),
    };
    capitalized(text)
}

/// A resolved name in words.
pub fn name(locale: Locale, name: &Name) -> String {
    match name {
        Name::Text(text) => text.clone(),
        Name::BuiltinRole(role) => role.name(locale),
        Name::DeletedUser => td_string!(locale, audit_sentence.deleted_user).to_owned(),
        Name::DeletedRole => td_string!(locale, audit_sentence.deleted_role).to_owned(),
        Name::DeletedAccount => td_string!(locale, audit_sentence.deleted_account).to_owned(),
        Name::Operator => td_string!(locale, audit_sentence.operator).to_owned(),
        Name::Nobody => td_string!(locale, audit_sentence.nobody).to_owned(),
    }
}

/// The actor, with their company when they are not of this account: partner staff acting for
/// it, or the other company's administrator in a partner event.
fn actor(locale: Locale, entry: &AuditEntry) -> String {
    let who = name(locale, &entry.story.actor);
    match &entry.actor_company {
        None => who,
        Some(company) if entry.action.starts_with("partner.") => {
            td_string!(locale, audit_sentence.actor_other_company, name = who, company = company.clone()).to_string()
        }
        Some(company) => td_string!(locale, audit_sentence.actor_acting, name = who, company = company.clone()).to_string(),
    }
}

/// "the role A", "the roles A, B and C", or "a deleted role" alone.
fn roles(locale: Locale, roles: &[Name]) -> String {
    match roles {
        [] => String::new(),
        [Name::DeletedRole] => name(locale, &Name::DeletedRole),
        [one] => td_string!(locale, audit_sentence.role_one, name = name(locale, one)).to_string(),
        many => {
            let names = listed(locale, many.iter().map(|r| name(locale, r)).collect());
            td_string!(locale, audit_sentence.role_many, names = names).to_string()
        }
    }
}

/// "A", "A and B", "A, B and C".
fn listed(locale: Locale, mut items: Vec<String>) -> String {
    match items.pop() {
        None => String::new(),
        Some(last) if items.is_empty() => last,
        Some(last) => format!("{}{}{last}", items.join(", "), td_string!(locale, audit_sentence.and)),
    }
}

/// What an edit of a user changed, as clauses: details, roles given, roles taken away.
fn user_changes(locale: Locale, entry: &AuditEntry, target: &str) -> String {
    let story = &entry.story;
    let mut clauses = Vec::new();
    if story.other_changes {
        clauses.push(td_string!(locale, audit_sentence.change_details, target = target.to_owned()).to_string());
    }
    if !story.roles.is_empty() {
        let given = roles(locale, &story.roles);
        clauses.push(td_string!(locale, audit_sentence.change_gave, target = target.to_owned(), roles = given).to_string());
    }
    if !story.roles_removed.is_empty() {
        let taken = roles(locale, &story.roles_removed);
        clauses.push(td_string!(locale, audit_sentence.change_took, target = target.to_owned(), roles = taken).to_string());
    }
    if clauses.is_empty() {
        clauses.push(td_string!(locale, audit_sentence.change_nothing, target = target.to_owned()).to_string());
    }
    listed(locale, clauses)
}

fn language_name(locale: Locale, code: &str) -> String {
    match code {
        "en" => td_string!(locale, audit_sentence.language_en).to_owned(),
        "fr" => td_string!(locale, audit_sentence.language_fr).to_owned(),
        other => other.to_owned(),
    }
}

/// A sentence may begin with a fallback name ("an operator…"): it starts with a capital.
fn capitalized(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{audit::{ACTIONS, Story}, domain::BuiltInRole};

    fn entry(action: &str, story: Story) -> AuditEntry {
        AuditEntry {
            id: 1,
            occurred_at: 0,
            actor: "alice".into(),
            actor_company: None,
            action: action.into(),
            target: "bob".into(),
            details: "{}".into(),
            client_ip: "127.0.0.1".into(),
            story,
        }
    }

    fn alice_to_bob() -> Story {
        Story { actor: Name::Text("Alice Martin".into()), target: Some(Name::Text("Bob Stone".into())), ..Default::default() }
    }

    #[test]
    fn a_lock_reads_as_who_locked_whom_in_both_languages() {
        let locked = entry("user.locked", alice_to_bob());
        assert_eq!(sentence(Locale::en, &locked), "Alice Martin locked Bob Stone");
        assert_eq!(sentence(Locale::fr, &locked), "Alice Martin a verrouillé Bob Stone");
    }

    #[test]
    fn a_role_given_is_named_in_the_readers_language() {
        let story = Story { roles: vec![Name::BuiltinRole(BuiltInRole::UserManager)], ..alice_to_bob() };
        let updated = entry("user.updated", story);
        assert_eq!(sentence(Locale::en, &updated), "Alice Martin gave Bob Stone the role User manager");
        assert_eq!(sentence(Locale::fr, &updated), "Alice Martin a donné le rôle Gestionnaire des utilisateurs à Bob Stone");
    }

    #[test]
    fn an_edit_lists_every_change() {
        let story = Story {
            roles: vec![Name::Text("Support".into())],
            roles_removed: vec![Name::BuiltinRole(BuiltInRole::Auditor), Name::DeletedRole],
            other_changes: true,
            ..alice_to_bob()
        };
        assert_eq!(
            sentence(Locale::en, &entry("user.updated", story)),
            "Alice Martin updated the details of Bob Stone, gave Bob Stone the role Support and took the roles Auditor and a deleted role away from Bob Stone"
        );
    }

    #[test]
    fn partner_staff_are_named_with_their_company() {
        let story = Story { actor: Name::Text("Carol Jones".into()), ..alice_to_bob() };
        let deleted = AuditEntry { actor_company: Some("Partner Co".into()), ..entry("user.deleted", story) };
        assert_eq!(sentence(Locale::en, &deleted), "Carol Jones (Partner Co, acting for this account) deleted Bob Stone");
        assert_eq!(sentence(Locale::fr, &deleted), "Carol Jones (Partner Co, agissant pour ce compte) a supprimé Bob Stone");
    }

    #[test]
    fn fallbacks_read_as_sentences() {
        let story = Story { actor: Name::Operator, target: Some(Name::Text("Acme".into())), ..Default::default() };
        assert_eq!(sentence(Locale::en, &entry("account.created", story)), "An operator (command line) created the account Acme");
        let story = Story { target: Some(Name::DeletedUser), roles: vec![Name::DeletedRole], invited: true, ..alice_to_bob() };
        assert_eq!(sentence(Locale::en, &entry("user.created", story.clone())), "Alice Martin invited a deleted user with a deleted role");
        assert_eq!(sentence(Locale::fr, &entry("user.created", story)), "Alice Martin a invité un utilisateur supprimé avec un rôle supprimé");
    }

    #[test]
    fn french_puts_a_non_breaking_space_before_a_colon() {
        let story = Story { language: Some("fr".into()), ..alice_to_bob() };
        assert_eq!(sentence(Locale::fr, &entry("user.language_changed", story)), "Alice Martin a choisi une nouvelle langue\u{a0}: français");
    }

    #[test]
    fn every_recorded_action_has_a_sentence_and_a_name_in_both_languages() {
        for locale in [Locale::en, Locale::fr] {
            for action in ACTIONS {
                let text = sentence(locale, &entry(action, alice_to_bob()));
                assert!(!text.contains(action), "{locale:?} {action}: {text}");
                assert_ne!(action_name(locale, action), *action, "{locale:?}");
            }
        }
    }
}
