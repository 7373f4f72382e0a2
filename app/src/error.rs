//! `AppError`: the one error every server function returns. It carries codes, not sentences:
//! the browser translates them (SPEC S6), and nothing internal ever reaches the client (S7).

use serde::{Deserialize, Serialize};
use leptos::server_fn::{
    self, Encodes, ServerFnError, codec::JsonEncoding, error::FromServerFnError,
};

pub use leptos::server_fn::error::ServerFnErrorErr;

/// Why one input was refused. The UI shows the translated text beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    Required,
    TooLong,
    ControlCharacters,
    InvalidEmail,
    InvalidLoginName,
    PasswordTooShort,
    PasswordTooLong,
    PasswordContainsIdentity,
    PasswordUnchanged,
    WrongCurrentPassword,
    EmailTaken,
    LoginNameTaken,
    AlreadyInAccount,
    RoleNameTaken,
    /// A role that is not the account's or a built-in one.
    UnknownRole,
    /// The link is unknown, used, or expired.
    LinkInvalid,
    TooMany,
    InvalidPartnerId,
    InvalidAccountKey,
    /// No account has this key (or it was regenerated).
    UnknownAccountKey,
    /// No account has this Partner ID.
    UnknownPartnerId,
    /// An account cannot be its own partner.
    OwnAccount,
    /// The user already belongs to this account.
    SameAccount,
    /// An invitation or active link between the two accounts exists already.
    AlreadyPartners,
    /// The e-mail address must be verified before creating or joining an account (F1).
    EmailNotVerified,
    /// The role carries `partners.manage` (or more than the granter holds).
    RoleNotDelegable,
    /// Not an active member of the partner account.
    NotStaff,
    InvalidDate,
    /// Not an action the audit log records.
    UnknownAction,
    /// A second-factor code that is wrong, expired or already used (F15).
    WrongCode,
    /// The user already has an authenticator app: remove it before enrolling another.
    FactorAlreadyEnrolled,
    /// A code was sent to confirm an authenticator app, but no enrolment was started.
    NoEnrolmentStarted,
    /// Recovery codes belong to a second factor, and the user has none.
    NoFactor,
    /// The authenticator's answer did not verify, or its ceremony expired or was used.
    PasskeyNotAccepted,
    /// This authenticator already holds a passkey of this user (or of someone else).
    PasskeyAlreadyRegistered,
    /// The person cancelled the browser's passkey prompt, or it timed out.
    PasskeyCancelled,
    /// No WebAuthn in this browser, or Portico is not opened at its relying party's origin.
    PasskeyUnsupported,
}

/// Why an action on a user (or role) is refused even though the caller holds the permission.
/// Bulk actions report the same reasons for each user they skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Refusal {
    /// Administrators do not lock, delete, reset or log out themselves from the table.
    Yourself,
    /// Only the primary administrator acts on the primary administrator (I4).
    PrimaryAdministrator,
    /// The user holds permissions the caller does not: acting on them would be escalation.
    OutranksYou,
    /// Granting or removing a role carrying a permission the caller lacks (F5).
    NotGrantable,
    /// Only the primary administrator hands the role over (F6).
    OnlyPrimaryAdministrator,
    /// The user has not accepted their invitation yet, or is locked.
    NotActive,
    /// Built-in roles are read-only.
    BuiltInRole,
    /// The primary administrator hands the role over before leaving (F2).
    PrimaryMustTransfer,
    /// The primary administrator, alone in the account, closes it instead of leaving.
    PrimaryMustClose,
    /// Only the primary administrator closes the account, and only when alone in it.
    NotAlone,
    /// Partner staff act for a customer, not on its account membership or partners.
    WhileActingForCustomer,
    /// The primary administrator keeps the Administrator role.
    PrimaryKeepsAdministrator,
}

/// A refused input: the form field's `name` and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: &str, problem: Problem) -> Self {
        Self { field: field.to_owned(), problem }
    }
}

/// An abuse limit (`ssr::quota`): what an account or a user may do per hour or per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quota {
    /// Invitation mails, new or resent, per account per hour.
    Invitations,
    /// Partner invitations, by Partner ID or shareable link, per account per day.
    PartnerInvitations,
    /// Companies created per user per day.
    AccountsCreated,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("a new password must be chosen first")]
    PasswordChangeRequired,
    #[error("forbidden")]
    Forbidden,
    /// The partner link or grant this session acted through was revoked (F7, I5).
    #[error("delegated access ended")]
    DelegationEnded,
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("conflict")]
    Conflict(FieldError),
    #[error("wrong login or password")]
    InvalidCredentials,
    #[error("account locked")]
    UserLocked,
    /// The account's policy (or acting for a customer) requires a second factor, and the user
    /// has none yet: only enrolling, signing out and going home work (F15).
    #[error("a second factor must be added first")]
    SecondFactorRequired,
    /// The sign-in waiting for its second step is unknown or took too long (F15).
    #[error("the second step expired")]
    SecondStepExpired,
    #[error("self-registration is closed")]
    RegistrationClosed,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{quota:?} limit of {limit} reached; retry in {retry_after_secs} s")]
    QuotaReached { quota: Quota, limit: u32, retry_after_secs: u64 },
    /// Too much expensive work (password hashing) is queued; try again shortly (S8).
    #[error("busy; retry in {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    #[error("malformed request")]
    BadRequest,
    /// Details were logged on the server under `reference`; only the reference is shown.
    #[error("internal error (reference {reference})")]
    Internal { reference: String },
    /// The request never got an answer (network down, server restarting).
    #[error("the server could not be reached")]
    Unreachable,
}

impl AppError {
    pub fn field(field: &str, problem: Problem) -> Self {
        Self::Validation(vec![FieldError::new(field, problem)])
    }

    /// The field errors this error carries (empty when it is not about fields).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors,
            Self::Conflict(error) => std::slice::from_ref(error),
            _ => &[],
        }
    }

    pub fn problem_for(&self, field: &str) -> Option<Problem> {
        self.field_errors().iter().find(|e| e.field == field).map(|e| e.problem)
    }

    /// Seconds a refused client should wait, for the `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs }
            | Self::QuotaReached { retry_after_secs, .. }
            | Self::Overloaded { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::PasswordChangeRequired | Self::SecondFactorRequired | Self::Forbidden | Self::DelegationEnded | Self::UserLocked | Self::Refused(_) => 403,
            Self::RegistrationClosed => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::Validation(_) => 422,
            Self::InvalidCredentials | Self::SecondStepExpired => 401,
            Self::RateLimited { .. } | Self::QuotaReached { .. } => 429,
            Self::BadRequest => 400,
            Self::Internal { .. } => 500,
            Self::Unreachable | Self::Overloaded { .. } => 503,
        }
    }
}

/// Collects field errors while parsing a form, so one answer names every bad field.
#[derive(Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, Problem>) -> Option<T> {
        parsed.map_err(|problem| self.0.push(FieldError::new(field, problem))).ok()
    }

    /// The answer once some field was refused (call when a parsed value is missing).
    pub fn into_error(self) -> AppError {
        AppError::Validation(self.0)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unreachable,
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => Self::BadRequest,
            other => Self::Internal { reference: short_reference(&other.to_string()) },
        }
    }

    /// Serializing happens on the server exactly once per failed call, inside the request's
    /// reactive owner: the one place that sees every error, including the framework's own
    /// (malformed arguments), so the real HTTP status is set here.
    fn ser(&self) -> server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(self.status_code()) {
                response.set_status(status);
            }
            if let Some(secs) = self.retry_after_secs() {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
        }
        JsonEncoding::encode(self).unwrap_or_default()
    }
}

impl From<ServerFnError> for AppError {
    fn from(error: ServerFnError) -> Self {
        Self::Internal { reference: short_reference(&error.to_string()) }
    }
}

fn short_reference(text: &str) -> String {
    // Not a secret, just a stable handle for framework errors with no logged cause.
    let hash = text.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    format!("sf-{hash:08x}")
}
