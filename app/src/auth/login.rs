use super::Login;
use crate::{
    i18n::*,
    session::use_session,
    ui::{AuthCard, FormError, Gate, Need, SubmitButton, TextField, error_of, safe_next},
};
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Where a sign-in goes on: the second step (F15) or a forced password change first, each told
/// to continue to `next` afterwards; else `next` itself, or home.
pub(super) fn destination(signed_in: &super::SignedIn, next: Option<String>) -> String {
    let next = safe_next(next);
    let first = if signed_in.second_step {
        "/login/second-step"
    } else if signed_in.must_change_password {
        "/password/change"
    } else {
        return next.unwrap_or_else(|| "/".to_owned());
    };
    match next {
        Some(next) => format!("{first}?next={}", leptos_router::location::Url::escape(&next)),
        None => first.to_owned(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <Gate need=Need::SignedOut><LoginForm /></Gate> }
}

#[component]
fn LoginForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let login = ServerAction::<Login>::new();
    let error = error_of(login);
    let navigate = use_navigate();
    let params = use_query_map();
    let signed_out = move || params.with(|p| p.get("reason").as_deref() == Some("signed_out")) && login.value().get().is_none();
    Effect::new(move || {
        if let Some(Ok(signed_in)) = login.value().get() {
            if let Some(locale) = Locale::get_all().iter().find(|l| l.as_str() == signed_in.locale) {
                i18n.set_locale(*locale);
            }
            if !signed_in.second_step {
                session.refresh();
            }
            navigate(&destination(&signed_in, params.with_untracked(|p| p.get("next"))), Default::default());
        }
    });
    view! {
        <AuthCard title=move || t!(i18n, login.title)>
            <Show when=signed_out>
                <p role="status" data-testid="signed-out" class="mb-5 rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
                    {t!(i18n, errors.signed_out)}
                </p>
            </Show>
            <ActionForm action=login attr:class="space-y-5">
                <FormError error />
                <TextField name="identifier" autocomplete="username" error autofocus=true>
                    {t!(i18n, login.identifier)}
                </TextField>
                <TextField name="password" kind="password" autocomplete="current-password" error>
                    {t!(i18n, login.password)}
                </TextField>
                <SubmitButton pending=login.pending()>{t!(i18n, login.submit)}</SubmitButton>
            </ActionForm>
            <p class="mt-4 text-right text-sm">
                <a href="/password/forgot" class="font-medium text-indigo-600 hover:text-indigo-500">{t!(i18n, login.forgot_link)}</a>
            </p>
            <p class="mt-6 text-center text-sm text-slate-600">
                {t!(i18n, login.no_login)} " "
                <a href="/register" class="font-semibold text-indigo-600 hover:text-indigo-500">{t!(i18n, login.register_link)}</a>
            </p>
        </AuthCard>
    }
}
