//! The mails Portico sends (F9), rendered in the recipient's language from the same
//! translation files as the UI. Rendering happens when the mail is queued, inside the
//! transaction of the action (see `outbox`).

use crate::i18n::{Locale, td_string};

/// One mail to one person. Links are complete URLs.
#[derive(Debug)]
pub enum Mail<'a> {
    Invitation { account: &'a str, inviter: &'a str, link: &'a str, valid_days: i64 },
    TemporaryPassword { password: &'a str, valid_hours: i64 },
    PasswordResetLink { link: &'a str, valid_minutes: i64 },
    PrimaryAdministrator { account: &'a str },
    VerifyEmail { link: &'a str, valid_hours: i64 },
    /// To the account's administrators at every use of its key (F2).
    AccountKeyUsed { account: &'a str, member: &'a str },
    /// To the partner's administrators: a customer asks them to administer its account.
    PartnerInvited { customer: &'a str, link: &'a str, valid_days: i64 },
    /// To both sides once a link is active.
    PartnerLinkActive { partner: &'a str, customer: &'a str, link: &'a str },
    PartnerDeclined { partner: &'a str, customer: &'a str },
    PartnerRevoked { partner: &'a str, customer: &'a str, by: &'a str },
    /// News: a company joined the platform (only to users subscribed to news).
    News { account: &'a str, partner_id: &'a str },
    /// Alerts (only to users subscribed to alerts): something pending is about to expire.
    InvitationExpiring { email: &'a str, account: &'a str, link: &'a str },
    PartnerLinkExpiring { partner: &'a str, customer: &'a str, link: &'a str },
    /// To a user whose recovery code was just used to sign in (F15): `left` remain.
    RecoveryCodeUsed { left: i64 },
    /// To a user whose second factor an administrator reset (F15).
    FactorsReset,
}

/// Subject and plain-text body.
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

pub fn locale_of(code: &str) -> Locale {
    if code == "fr" { Locale::fr } else { Locale::en }
}

pub fn render(mail: &Mail<'_>, locale: Locale) -> Rendered {
    let greeting = td_string!(locale, mail.greeting);
    let signature = td_string!(locale, mail.signature);
    let (subject, text) = match mail {
        Mail::Invitation { account, inviter, link, valid_days } => (
            td_string!(locale, mail.invitation_subject, account = *account).to_string(),
            td_string!(locale, mail.invitation_body, account = *account, inviter = *inviter, link = *link, days = *valid_days)
                .to_string(),
        ),
        Mail::TemporaryPassword { password, valid_hours } => (
            td_string!(locale, mail.temporary_password_subject).to_string(),
            td_string!(locale, mail.temporary_password_body, password = *password, hours = *valid_hours).to_string(),
        ),
        Mail::PasswordResetLink { link, valid_minutes } => (
            td_string!(locale, mail.reset_link_subject).to_string(),
            td_string!(locale, mail.reset_link_body, link = *link, minutes = *valid_minutes).to_string(),
        ),
        Mail::PrimaryAdministrator { account } => (
            td_string!(locale, mail.primary_admin_subject, account = *account).to_string(),
            td_string!(locale, mail.primary_admin_body, account = *account).to_string(),
        ),
        Mail::VerifyEmail { link, valid_hours } => (
            td_string!(locale, mail.verify_subject).to_string(),
            td_string!(locale, mail.verify_body, link = *link, hours = *valid_hours).to_string(),
        ),
        Mail::AccountKeyUsed { account, member } => (
            td_string!(locale, mail.key_used_subject, account = *account).to_string(),
            td_string!(locale, mail.key_used_body, account = *account, member = *member).to_string(),
        ),
        Mail::PartnerInvited { customer, link, valid_days } => (
            td_string!(locale, mail.partner_invited_subject, customer = *customer).to_string(),
            td_string!(locale, mail.partner_invited_body, customer = *customer, link = *link, days = *valid_days).to_string(),
        ),
        Mail::PartnerLinkActive { partner, customer, link } => (
            td_string!(locale, mail.partner_active_subject, partner = *partner, customer = *customer).to_string(),
            td_string!(locale, mail.partner_active_body, partner = *partner, customer = *customer, link = *link).to_string(),
        ),
        Mail::PartnerDeclined { partner, customer } => (
            td_string!(locale, mail.partner_declined_subject, partner = *partner, customer = *customer).to_string(),
            td_string!(locale, mail.partner_declined_body, partner = *partner, customer = *customer).to_string(),
        ),
        Mail::PartnerRevoked { partner, customer, by } => (
            td_string!(locale, mail.partner_revoked_subject, partner = *partner, customer = *customer).to_string(),
            td_string!(locale, mail.partner_revoked_body, partner = *partner, customer = *customer, by = *by).to_string(),
        ),
        Mail::News { account, partner_id } => (
            td_string!(locale, mail.news_subject, account = *account).to_string(),
            td_string!(locale, mail.news_body, account = *account, partner_id = *partner_id).to_string(),
        ),
        Mail::InvitationExpiring { email, account, link } => (
            td_string!(locale, mail.invitation_expiring_subject, email = *email).to_string(),
            td_string!(locale, mail.invitation_expiring_body, email = *email, account = *account, link = *link).to_string(),
        ),
        Mail::PartnerLinkExpiring { partner, customer, link } => (
            td_string!(locale, mail.partner_expiring_subject, partner = *partner, customer = *customer).to_string(),
            td_string!(locale, mail.partner_expiring_body, partner = *partner, customer = *customer, link = *link).to_string(),
        ),
        Mail::FactorsReset => (
            td_string!(locale, mail.factors_reset_subject).to_string(),
            td_string!(locale, mail.factors_reset_body).to_string(),
        ),
        Mail::RecoveryCodeUsed { left } => (
            td_string!(locale, mail.recovery_code_used_subject).to_string(),
            td_string!(locale, mail.recovery_code_used_body, count = *left).to_string(),
        ),
    };
    Rendered { subject, body: format!("{greeting}\n\n{text}\n\n{signature}\n") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_carry_their_link_in_the_recipients_language() {
        let mail = Mail::Invitation { account: "Acme", inviter: "Ada", link: "http://x/invitation?token=t", valid_days: 7 };
        let english = render(&mail, Locale::en);
        let french = render(&mail, Locale::fr);
        assert!(english.body.contains("http://x/invitation?token=t") && english.subject.contains("Acme"));
        assert!(french.body.contains("http://x/invitation?token=t"));
        assert_ne!(english.subject, french.subject);
    }
}
