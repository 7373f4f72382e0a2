//! "Forgot password" (F1) and the page a reset link opens (F1, and F4 in link mode).

use super::{ForgotPassword, ResetPasswordWithLink};
use crate::{
    domain::{Email, Password},
    i18n::*,
    links::{LinkPage, link_token},
    ui::{AuthCard, FormError, Gate, Need, SubmitButton, TextField, error_of, problem_text},
};
use crate::ui::style;
use leptos::prelude::*;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    view! { <Gate need=Need::SignedOut><ForgotPasswordForm /></Gate> }
}

#[component]
fn ForgotPasswordForm() -> impl IntoView {
    let i18n = use_i18n();
    let forgot = ServerAction::<ForgotPassword>::new();
    let error = error_of(forgot);
    let sent = move || matches!(forgot.value().get(), Some(Ok(())));
    view! {
        <AuthCard title=move || t!(i18n, forgot.title)>
            <Show when=sent fallback=move || view! {
                <p class="mb-5 text-sm text-slate-600">{t!(i18n, forgot.intro)}</p>
                <ActionForm action=forgot attr:class="space-y-5">
                    <FormError error />
                    <TextField name="email" kind="email" autocomplete="email" error autofocus=true validate=|s| Email::parse(s).map(drop)>
                        {t!(i18n, register.email)}
                    </TextField>
                    <SubmitButton pending=forgot.pending()>{t!(i18n, forgot.submit)}</SubmitButton>
                </ActionForm>
            }>
                <p role="status" class=style::SUCCESS_BOX>
                    {t!(i18n, forgot.sent)}
                </p>
            </Show>
            <p class="mt-6 text-center text-sm">
                <a href="/login" class="font-semibold text-indigo-600 hover:text-indigo-500">{t!(i18n, register.sign_in_link)}</a>
            </p>
        </AuthCard>
    }
}

/// Opened from a mail: `/password/reset?token=…`, which the server turns into
/// `/password/reset` and a cookie (S7). The token travels on in the form's body.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let token = Resource::new(|| (), |()| link_token(LinkPage::PasswordReset));
    let reset = ServerAction::<ResetPasswordWithLink>::new();
    let error = error_of(reset);
    let done = move || matches!(reset.value().get(), Some(Ok(())));
    let link_problem = move || error.get().and_then(|e| e.problem_for("token")).map(|p| problem_text(i18n.get_locale(), p));
    view! {
        <AuthCard title=move || t!(i18n, reset.title)>
            <Show when=done fallback=move || view! {
                <Show when=move || link_problem().is_some()>
                    <p role="alert" class="mb-5 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{link_problem}</p>
                </Show>
                <ActionForm action=reset attr:class="space-y-5">
                    <Suspense>
                        {move || token.get().map(|token| view! { <input type="hidden" name="token" value=token.unwrap_or_default() /> })}
                    </Suspense>
                    <FormError error />
                    <TextField name="new_password" kind="password" autocomplete="new-password" error autofocus=true
                        validate=|s| Password::choose(s, &[]).map(drop)
                        hint=move || t!(i18n, register.password_hint, min = Password::MIN_CHARS)>
                        {t!(i18n, password.new)}
                    </TextField>
                    <SubmitButton pending=reset.pending()>{t!(i18n, reset.submit)}</SubmitButton>
                </ActionForm>
            }>
                <p role="status" class=style::SUCCESS_BOX>
                    {t!(i18n, reset.done)} " "
                    <a href="/login" class="font-semibold underline">{t!(i18n, register.sign_in_link)}</a>
                </p>
            </Show>
        </AuthCard>
    }
}
