//! The server functions of sign-up and sign-in. Each begins with the guard, parses its input
//! into domain types, and hands over to `ssr::services::auth`.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    domain::{Email, LoginName, Password, PersonName},
    error::{FieldErrors, Problem},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the browser needs after signing in: where to go and in which language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub locale: String,
    pub must_change_password: bool,
    /// The password was right; a second factor is asked next (`/login/second-step`).
    pub second_step: bool,
}

#[server(prefix = "/api", endpoint = "auth/register")]
pub async fn register(
    first_name: String,
    last_name: String,
    email: String,
    login_name: String,
    password: String,
    locale: String,
) -> Result<SignedIn, AppError> {
    use crate::ssr::{cookies, guard, services::auth};
    let caller = guard::public().await?;
    let mut errors = FieldErrors::default();
    let first = errors.check("first_name", PersonName::parse(&first_name));
    let last = errors.check("last_name", PersonName::parse(&last_name));
    let parsed_email = errors.check("email", Email::parse(&email));
    let login = errors.check("login_name", LoginName::parse(&login_name));
    let secret = errors.check("password", Password::choose(&password, &[&login_name, &email]));
    let (Some(first_name), Some(last_name), Some(email), Some(login_name), Some(password)) =
        (first, last, parsed_email, login, secret)
    else {
        return Err(errors.into_error());
    };
    let new = auth::NewUser {
        first_name,
        last_name,
        email,
        login_name,
        password,
        locale: super::known_locale(&locale).to_owned(),
    };
    let grant = auth::register(&caller.state, &caller.client, new).await?;
    let settings = &caller.state.settings;
    cookies::set_session(&grant.token, settings.session_absolute_secs, settings.secure_cookies);
    Ok(SignedIn { locale: grant.locale, must_change_password: false, second_step: false })
}

#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(identifier: String, password: String) -> Result<SignedIn, AppError> {
    use crate::ssr::{cookies, guard, services::auth};
    let caller = guard::public().await?;
    let mut errors = FieldErrors::default();
    let id = errors.check("identifier", non_empty(&identifier));
    let secret = errors.check("password", Password::attempt(&password));
    let (Some(identifier), Some(password)) = (id, secret) else {
        return Err(errors.into_error());
    };
    let settings = &caller.state.settings;
    match auth::login(&caller.state, &caller.client, identifier, password, caller.session_token()).await? {
        auth::SignIn::Done(grant) => {
            cookies::set_session(&grant.token, settings.session_absolute_secs, settings.secure_cookies);
            cookies::set_locale(&grant.locale, settings.secure_cookies);
            Ok(SignedIn { locale: grant.locale, must_change_password: grant.must_change_password, second_step: false })
        }
        auth::SignIn::SecondStep { token, locale } => {
            use crate::ssr::services::second_factor::SECOND_STEP_SECS;
            cookies::set_second_step(&token, SECOND_STEP_SECS, settings.secure_cookies);
            cookies::set_locale(&locale, settings.secure_cookies);
            Ok(SignedIn { locale, must_change_password: false, second_step: true })
        }
    }
}

/// The second step of a sign-in (F15): a code from the user's authenticator app or one of
/// their recovery codes, for the sign-in whose password was right in this browser.
#[server(prefix = "/api", endpoint = "auth/second_step")]
pub async fn second_step(code: String) -> Result<SignedIn, AppError> {
    use crate::ssr::{cookies, guard, services::auth};
    let caller = guard::public().await?;
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::field("code", Problem::Required));
    }
    if code.len() > 32 || code.chars().any(char::is_control) {
        return Err(AppError::field("code", Problem::WrongCode));
    }
    let step = caller.second_step_token().ok_or(AppError::SecondStepExpired)?;
    let grant = auth::second_step(&caller.state, &caller.client, step, code, caller.session_token()).await?;
    let settings = &caller.state.settings;
    cookies::clear_second_step(settings.secure_cookies);
    Ok(signed_in_with(grant, settings))
}

/// What the second step waiting in this browser can take (F15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondStepChoices {
    /// A code from an authenticator app.
    pub app: bool,
    pub passkey: bool,
}

#[server(prefix = "/api", endpoint = "auth/second_step/ways")]
pub async fn second_step_ways() -> Result<SecondStepChoices, AppError> {
    use crate::ssr::{guard, services::auth};
    let caller = guard::public().await?;
    let step = caller.second_step_token().ok_or(AppError::SecondStepExpired)?;
    let (app, passkey) = auth::second_step_ways(&caller.state, step).await?;
    Ok(SecondStepChoices { app, passkey })
}

#[server(prefix = "/api", endpoint = "auth/second_step/passkey_begin")]
pub async fn begin_second_step_passkey() -> Result<crate::second_factor::PasskeyChallenge, AppError> {
    use crate::ssr::{guard, services::auth};
    let caller = guard::public().await?;
    let step = caller.second_step_token().ok_or(AppError::SecondStepExpired)?;
    auth::begin_second_step_passkey(&caller.state, step).await
}

/// The second step passed with one of the user's passkeys.
#[server(prefix = "/api", endpoint = "auth/second_step/passkey")]
pub async fn second_step_passkey(ceremony: String, answer: String) -> Result<SignedIn, AppError> {
    use crate::ssr::{cookies, guard, services::auth};
    let caller = guard::public().await?;
    let (ceremony, answer) = crate::second_factor::ceremony_answer(&ceremony, &answer)?;
    let step = caller.second_step_token().ok_or(AppError::SecondStepExpired)?;
    let grant = auth::second_step_with_passkey(&caller.state, &caller.client, step, ceremony, answer, caller.session_token()).await?;
    let settings = &caller.state.settings;
    cookies::clear_second_step(settings.secure_cookies);
    Ok(signed_in_with(grant, settings))
}

#[server(prefix = "/api", endpoint = "auth/passkey/begin")]
pub async fn begin_passkey_sign_in() -> Result<crate::second_factor::PasskeyChallenge, AppError> {
    use crate::ssr::{guard, services::auth};
    let caller = guard::public().await?;
    auth::begin_passkey_sign_in(&caller.state, &caller.client).await
}

/// Signs in with a passkey alone (F15).
#[server(prefix = "/api", endpoint = "auth/passkey")]
pub async fn passkey_sign_in(ceremony: String, answer: String) -> Result<SignedIn, AppError> {
    use crate::ssr::{guard, services::auth};
    let caller = guard::public().await?;
    let (ceremony, answer) = crate::second_factor::ceremony_answer(&ceremony, &answer)?;
    let grant = auth::passkey_sign_in(&caller.state, &caller.client, ceremony, answer, caller.session_token()).await?;
    Ok(signed_in_with(grant, &caller.state.settings))
}

/// Sets the new session's cookies and tells the browser where it goes next.
#[cfg(feature = "ssr")]
fn signed_in_with(grant: crate::ssr::services::auth::LoginGrant, settings: &crate::ssr::Settings) -> SignedIn {
    use crate::ssr::cookies;
    cookies::set_session(&grant.token, settings.session_absolute_secs, settings.secure_cookies);
    cookies::set_locale(&grant.locale, settings.secure_cookies);
    SignedIn { locale: grant.locale, must_change_password: grant.must_change_password, second_step: false }
}

/// An e-mail or login name as typed, bounded: it also keys the throttle table.
#[cfg(feature = "ssr")]
fn non_empty(text: &str) -> Result<&str, Problem> {
    let text = text.trim();
    match text.len() {
        0 => Err(Problem::Required),
        n if n > Email::MAX_LEN => Err(Problem::TooLong),
        // No login name or address holds one, and PostgreSQL refuses NUL in text.
        _ if text.chars().any(char::is_control) => Err(Problem::ControlCharacters),
        _ => Ok(text),
    }
}

/// Signing out is allowed while a password change is pending: nobody is trapped.
#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::ssr::{cookies, guard, services::auth};
    let req = guard::even_password_change_due().await?;
    auth::logout(&req).await?;
    cookies::clear_session(req.state.settings.secure_cookies);
    Ok(())
}

/// The one function open while a password change is pending (F1).
#[server(prefix = "/api", endpoint = "auth/change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::auth};
    let req = guard::even_password_change_due().await?;
    let mut errors = FieldErrors::default();
    let current = errors.check("current_password", Password::attempt(&current_password));
    let identity = [req.actor.info.login_name.as_str(), req.actor.info.email.as_str()];
    let new = errors.check("new_password", Password::choose(&new_password, &identity));
    let (Some(current), Some(new)) = (current, new) else {
        return Err(errors.into_error());
    };
    auth::change_password(&req, current, new).await
}

/// Saves the signed-in user's language (F12).
#[server(prefix = "/api", endpoint = "auth/set_language")]
pub async fn set_language(locale: String) -> Result<(), AppError> {
    use crate::ssr::{cookies, guard, services::auth};
    let req = guard::signed_in().await?;
    let locale = super::known_locale(&locale);
    auth::set_locale(&req, locale).await?;
    cookies::set_locale(locale, req.state.settings.secure_cookies);
    Ok(())
}

/// "Forgot password" (F1): always the same answer, known address or not.
#[server(prefix = "/api", endpoint = "auth/forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use crate::ssr::{guard, services::auth};
    let caller = guard::public().await?;
    let email = Email::parse(&email).map_err(|p| AppError::field("email", p))?;
    auth::recovery::forgot(&caller.state, &caller.client, &email).await
}

/// Sets a new password through a reset link (forgot password, or an administrator's reset in
/// link mode). The token comes in the body, never in a URL the server logs; once it is spent
/// its cookie goes too (`crate::links`).
#[server(prefix = "/api", endpoint = "auth/reset_password_with_link")]
pub async fn reset_password_with_link(token: String, new_password: String) -> Result<(), AppError> {
    use crate::{links::LinkPage, ssr::{cookies, guard, services::auth}};
    let caller = guard::public().await?;
    auth::recovery::reset_with_link(&caller.state, &caller.client, &token, &new_password).await?;
    cookies::clear_link(LinkPage::PasswordReset, caller.state.settings.secure_cookies);
    Ok(())
}

/// Who an invitation is for, shown before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub account_name: String,
    pub email: String,
    pub login_name: String,
    pub first_name: String,
    pub last_name: String,
}

#[server(prefix = "/api", endpoint = "invitation/show")]
pub async fn show_invitation(token: String) -> Result<InvitationInfo, AppError> {
    use crate::ssr::{guard, services::users};
    let caller = guard::public().await?;
    users::invitations::show(&caller.state, &token).await
}

/// Accepting signs the invitee in; a session the browser held before ends.
#[server(prefix = "/api", endpoint = "invitation/accept")]
pub async fn accept_invitation(token: String, first_name: String, last_name: String, password: String) -> Result<SignedIn, AppError> {
    use crate::{links::LinkPage, ssr::{cookies, guard, services::users}};
    let caller = guard::public().await?;
    let info = users::invitations::show(&caller.state, &token).await?;
    let mut errors = FieldErrors::default();
    let first = errors.check("first_name", PersonName::parse(&first_name));
    let last = errors.check("last_name", PersonName::parse(&last_name));
    let secret = errors.check("password", Password::choose(&password, &[&info.login_name, &info.email]));
    let (Some(first_name), Some(last_name), Some(password)) = (first, last, secret) else {
        return Err(errors.into_error());
    };
    let names = (first_name, last_name);
    let grant = users::invitations::accept(&caller.state, &caller.client, &token, names, password, caller.session_token()).await?;
    let settings = &caller.state.settings;
    cookies::set_session(&grant.token, settings.session_absolute_secs, settings.secure_cookies);
    cookies::set_locale(&grant.locale, settings.secure_cookies);
    cookies::clear_link(LinkPage::Invitation, settings.secure_cookies);
    Ok(SignedIn { locale: grant.locale, must_change_password: false, second_step: false })
}

/// Confirms the e-mail address behind a verification link (F1). The token proves it.
#[server(prefix = "/api", endpoint = "auth/verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::{links::LinkPage, ssr::{cookies, guard, services::auth}};
    let caller = guard::public().await?;
    auth::verification::verify(&caller.state, &caller.client, &token).await?;
    cookies::clear_link(LinkPage::EmailVerification, caller.state.settings.secure_cookies);
    Ok(())
}

/// Mails a new verification link to the signed-in user (at most five an hour).
#[server(prefix = "/api", endpoint = "auth/resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::ssr::{guard, services::auth};
    let req = guard::signed_in().await?;
    auth::verification::resend(&req).await
}
