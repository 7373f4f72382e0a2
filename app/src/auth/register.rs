//! Self-registration (F1): names, login, e-mail and password, checked in the browser with the
//! server's own parsers; the new user is signed in, without an account yet.

use super::Register;
use crate::{
    domain::{Email, LoginName, Password, PersonName},
    i18n::*,
    session::use_session,
    ui::{AuthCard, FormError, Gate, Need, SubmitButton, TextField, error_of},
};
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_navigate;

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! { <Gate need=Need::SignedOut><RegisterForm /></Gate> }
}

#[component]
fn RegisterForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let register = ServerAction::<Register>::new();
    let error = error_of(register);
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(_)) = register.value().get() {
            session.refresh();
            navigate("/account/new", Default::default());
        }
    });
    view! {
        <AuthCard title=move || t!(i18n, register.title)>
            <ActionForm action=register attr:class="space-y-5">
                <FormError error />
                <input type="hidden" name="locale" value=move || i18n.get_locale().as_str() />
                <div class="grid grid-cols-1 gap-5 sm:grid-cols-2">
                    <TextField name="first_name" autocomplete="given-name" error validate=|s| PersonName::parse(s).map(drop) autofocus=true>
                        {t!(i18n, register.first_name)}
                    </TextField>
                    <TextField name="last_name" autocomplete="family-name" error validate=|s| PersonName::parse(s).map(drop)>
                        {t!(i18n, register.last_name)}
                    </TextField>
                </div>
                <TextField name="email" kind="email" autocomplete="email" error validate=|s| Email::parse(s).map(drop)>
                    {t!(i18n, register.email)}
                </TextField>
                <TextField
                    name="login_name"
                    autocomplete="username"
                    error
                    validate=|s| LoginName::parse(s).map(drop)
                    hint=move || t!(i18n, register.login_name_hint)
                >
                    {t!(i18n, register.login_name)}
                </TextField>
                <TextField
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    error
                    validate=|s| Password::choose(s, &[]).map(drop)
                    hint=move || t!(i18n, register.password_hint, min = Password::MIN_CHARS)
                >
                    {t!(i18n, register.password)}
                </TextField>
                <SubmitButton pending=register.pending()>{t!(i18n, register.submit)}</SubmitButton>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-slate-600">
                {t!(i18n, register.have_login)} " "
                <a href="/login" class="font-semibold text-indigo-600 hover:text-indigo-500">{t!(i18n, register.sign_in_link)}</a>
            </p>
        </AuthCard>
    }
}
