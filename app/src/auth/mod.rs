//! Sign-up, sign-in, sign-out and password changes (SPEC F1): server functions and pages.

mod api;
mod change_password;
mod invitation;
mod login;
mod recovery;
mod register;
mod second_step;
mod verify;

pub use api::*;
pub use change_password::ChangePasswordPage;
pub use invitation::AcceptInvitationPage;
pub use recovery::{ForgotPasswordPage, ResetPasswordPage};
pub use login::LoginPage;
pub use register::RegisterPage;
pub use second_step::SecondStepPage;
pub use verify::VerifyEmailPage;

/// The language code the server stores: one of the UI's locales, English otherwise.
pub fn known_locale(code: &str) -> &'static str {
    use leptos_i18n::Locale as _;
    crate::i18n::Locale::get_all()
        .iter()
        .map(|l| l.as_str())
        .find(|l| *l == code)
        .unwrap_or("en")
}
