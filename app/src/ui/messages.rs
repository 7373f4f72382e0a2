//! Translated text for every error code the server can send (SPEC S6).

use crate::{
    domain::{Password, PermissionSet},
    error::{AppError, Problem, Quota, Refusal},
    i18n::*,
};

pub fn problem_text(locale: Locale, problem: Problem) -> String {
    match problem {
        Problem::Required => td_string!(locale, errors.required).to_string(),
        Problem::TooLong => td_string!(locale, errors.too_long).to_string(),
        Problem::ControlCharacters => td_string!(locale, errors.control_characters).to_string(),
        Problem::InvalidEmail => td_string!(locale, errors.invalid_email).to_string(),
        Problem::InvalidLoginName => td_string!(locale, errors.invalid_login_name).to_string(),
        Problem::PasswordTooShort => {
            td_string!(locale, errors.password_too_short, min = Password::MIN_CHARS).to_string()
        }
        Problem::PasswordTooLong => {
            td_string!(locale, errors.password_too_long, max = Password::MAX_CHARS).to_string()
        }
        Problem::PasswordContainsIdentity => {
            td_string!(locale, errors.password_contains_identity).to_string()
        }
        Problem::PasswordUnchanged => td_string!(locale, errors.password_unchanged).to_string(),
        Problem::WrongCurrentPassword => {
            td_string!(locale, errors.wrong_current_password).to_string()
        }
        Problem::EmailTaken => td_string!(locale, errors.email_taken).to_string(),
        Problem::LoginNameTaken => td_string!(locale, errors.login_name_taken).to_string(),
        Problem::AlreadyInAccount => td_string!(locale, errors.already_in_account).to_string(),
        Problem::RoleNameTaken => td_string!(locale, errors.role_name_taken).to_string(),
        Problem::UnknownRole => td_string!(locale, errors.unknown_role).to_string(),
        Problem::LinkInvalid => td_string!(locale, errors.link_invalid).to_string(),
        Problem::TooMany => td_string!(locale, errors.too_many).to_string(),
        Problem::InvalidPartnerId => td_string!(locale, errors.invalid_partner_id).to_string(),
        Problem::InvalidAccountKey => td_string!(locale, errors.invalid_account_key).to_string(),
        Problem::UnknownAccountKey => td_string!(locale, errors.unknown_account_key).to_string(),
        Problem::UnknownPartnerId => td_string!(locale, errors.unknown_partner_id).to_string(),
        Problem::OwnAccount => td_string!(locale, errors.own_account).to_string(),
        Problem::SameAccount => td_string!(locale, errors.same_account).to_string(),
        Problem::AlreadyPartners => td_string!(locale, errors.already_partners).to_string(),
        Problem::EmailNotVerified => td_string!(locale, errors.email_not_verified).to_string(),
        Problem::RoleNotDelegable => td_string!(locale, errors.role_not_delegable).to_string(),
        Problem::NotStaff => td_string!(locale, errors.not_staff).to_string(),
        Problem::InvalidDate => td_string!(locale, errors.invalid_date).to_string(),
        Problem::UnknownAction => td_string!(locale, errors.unknown_action).to_string(),
        Problem::WrongCode => td_string!(locale, errors.wrong_code).to_string(),
        Problem::FactorAlreadyEnrolled => td_string!(locale, errors.factor_already_enrolled).to_string(),
        Problem::NoEnrolmentStarted => td_string!(locale, errors.no_enrolment_started).to_string(),
        Problem::NoFactor => td_string!(locale, errors.no_factor).to_string(),
        Problem::PasskeyNotAccepted => td_string!(locale, errors.passkey_not_accepted).to_string(),
        Problem::PasskeyAlreadyRegistered => td_string!(locale, errors.passkey_already_registered).to_string(),
        Problem::PasskeyCancelled => td_string!(locale, errors.passkey_cancelled).to_string(),
        Problem::PasskeyUnsupported => td_string!(locale, errors.passkey_unsupported).to_string(),
    }
}

pub fn error_text(locale: Locale, error: &AppError) -> String {
    match error {
        AppError::Unauthenticated => td_string!(locale, errors.unauthenticated).to_string(),
        AppError::PasswordChangeRequired => {
            td_string!(locale, errors.password_change_required).to_string()
        }
        AppError::Forbidden => td_string!(locale, errors.forbidden).to_string(),
        AppError::DelegationEnded => td_string!(locale, errors.delegation_ended).to_string(),
        AppError::Refused(refusal) => refusal_text(locale, *refusal).to_owned(),
        AppError::NotFound => td_string!(locale, errors.not_found).to_string(),
        AppError::Validation(_) | AppError::Conflict(_) => {
            td_string!(locale, errors.invalid_input).to_string()
        }
        AppError::InvalidCredentials => td_string!(locale, errors.invalid_credentials).to_string(),
        AppError::UserLocked => td_string!(locale, errors.user_locked).to_string(),
        AppError::SecondFactorRequired => td_string!(locale, errors.second_factor_required).to_string(),
        AppError::SecondStepExpired => td_string!(locale, errors.second_step_expired).to_string(),
        AppError::RegistrationClosed => td_string!(locale, errors.registration_closed).to_string(),
        AppError::RateLimited { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            td_string!(locale, errors.rate_limited, minutes).to_string()
        }
        AppError::QuotaReached { quota, limit, retry_after_secs } => {
            let wait = wait_text(locale, *retry_after_secs);
            match quota {
                Quota::Invitations => td_string!(locale, errors.quota_invitations, limit, wait).to_string(),
                Quota::PartnerInvitations => td_string!(locale, errors.quota_partner_invitations, limit, wait).to_string(),
                Quota::AccountsCreated => td_string!(locale, errors.quota_accounts_created, limit, wait).to_string(),
            }
        }
        AppError::Overloaded { .. } => td_string!(locale, errors.overloaded).to_string(),
        AppError::BadRequest => td_string!(locale, errors.bad_request).to_string(),
        AppError::Internal { reference } => {
            td_string!(locale, errors.internal, reference = reference).to_string()
        }
        AppError::Unreachable => td_string!(locale, errors.unreachable).to_string(),
    }
}

/// A wait in minutes, or in hours beyond two (a day's quota can be hours away).
fn wait_text(locale: Locale, secs: u64) -> String {
    let minutes = secs.div_ceil(60).max(1);
    if minutes <= 120 {
        td_string!(locale, errors.wait_minutes, n = minutes).to_string()
    } else {
        td_string!(locale, errors.wait_hours, n = minutes.div_ceil(60)).to_string()
    }
}

/// One sentence for an error shown away from any field (a link's page): the first field's
/// problem when there is one, else the error itself.
pub fn error_summary(locale: Locale, error: &AppError) -> String {
    error.field_errors().first().map_or_else(|| error_text(locale, error), |f| problem_text(locale, f.problem))
}

/// Why an action on a user was refused or skipped.
pub fn refusal_text(locale: Locale, refusal: Refusal) -> &'static str {
    match refusal {
        Refusal::Yourself => td_string!(locale, refusal.yourself),
        Refusal::PrimaryAdministrator => td_string!(locale, refusal.primary_administrator),
        Refusal::OutranksYou => td_string!(locale, refusal.outranks_you),
        Refusal::NotGrantable => td_string!(locale, refusal.not_grantable),
        Refusal::OnlyPrimaryAdministrator => td_string!(locale, refusal.only_primary_administrator),
        Refusal::NotActive => td_string!(locale, refusal.not_active),
        Refusal::BuiltInRole => td_string!(locale, refusal.built_in_role),
        Refusal::PrimaryKeepsAdministrator => td_string!(locale, refusal.primary_keeps_administrator),
        Refusal::PrimaryMustTransfer => td_string!(locale, refusal.primary_must_transfer),
        Refusal::PrimaryMustClose => td_string!(locale, refusal.primary_must_close),
        Refusal::NotAlone => td_string!(locale, refusal.not_alone),
        Refusal::WhileActingForCustomer => td_string!(locale, refusal.while_acting),
    }
}

/// The permission names, translated, for display.
pub fn permission_names(locale: Locale, permissions: PermissionSet) -> Vec<String> {
    use crate::domain::Permission::*;
    permissions
        .iter()
        .map(|p| match p {
            UsersView => td_string!(locale, permissions.users_view),
            UsersManage => td_string!(locale, permissions.users_manage),
            RolesManage => td_string!(locale, permissions.roles_manage),
            AccountManage => td_string!(locale, permissions.account_manage),
            PartnersView => td_string!(locale, permissions.partners_view),
            PartnersManage => td_string!(locale, permissions.partners_manage),
            PartnersDelegate => td_string!(locale, permissions.partners_delegate),
            AuditView => td_string!(locale, permissions.audit_view),
        })
        .map(str::to_owned)
        .collect()
}
