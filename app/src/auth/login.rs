//! The sign-in page (F1): login name or e-mail and password, or a passkey alone (F15); then the
//! second step, a forced password change or the page asked for.

use super::{Login, SignedIn, begin_passkey_sign_in, passkey_sign_in};
use crate::{
    error::AppError,
    i18n::*,
    second_factor::passkey_browser::{self, Prompt},
    session::use_session,
    ui::{AuthCard, FieldProblem, FormError, Gate, Need, SubmitButton, TextField, error_of, safe_next},
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

/// What a page does once a sign-in step succeeded: the user's language, the session (when one
/// started), then on to `destination` with the page's `next`.
pub(super) fn use_continue_sign_in() -> impl Fn(&SignedIn) + Clone + 'static {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let params = use_query_map();
    move |signed_in: &SignedIn| {
        if let Some(locale) = Locale::get_all().iter().find(|l| l.as_str() == signed_in.locale) {
            i18n.set_locale(*locale);
        }
        if !signed_in.second_step {
            session.refresh();
        }
        navigate(&destination(signed_in, params.with_untracked(|p| p.get("next"))), Default::default());
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <Gate need=Need::SignedOut><LoginForm /></Gate> }
}

#[component]
fn LoginForm() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<Login>::new();
    let error = error_of(login);
    let params = use_query_map();
    let signed_out = move || params.with(|p| p.get("reason").as_deref() == Some("signed_out")) && login.value().get().is_none();
    let continue_sign_in = use_continue_sign_in();
    Effect::new(move || {
        if let Some(Ok(signed_in)) = login.value().get() {
            continue_sign_in(&signed_in);
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
            <PasskeySignIn />
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

/// "Sign in with a passkey": the browser offers the passkeys it holds for Portico; the one
/// chosen names its user, so nothing needs typing.
#[component]
fn PasskeySignIn() -> impl IntoView {
    let i18n = use_i18n();
    let sign_in = Action::new_local(|_: &()| async move {
        let challenge = begin_passkey_sign_in().await?;
        let answer = passkey_browser::prompt(Prompt::Get, &challenge.options).await?;
        passkey_sign_in(challenge.ceremony, answer).await
    });
    let error = Signal::derive(move || sign_in.value().get().and_then(Result::<SignedIn, AppError>::err));
    let continue_sign_in = use_continue_sign_in();
    Effect::new(move || {
        if let Some(Ok(signed_in)) = sign_in.value().get() {
            continue_sign_in(&signed_in);
        }
    });
    view! {
        <div class="mt-6 space-y-4">
            <OrDivider>{t!(i18n, login.or)}</OrDivider>
            <FormError error />
            <button
                type="button"
                disabled=move || sign_in.pending().get()
                aria-busy=move || sign_in.pending().get().to_string()
                on:click=move |_| { sign_in.dispatch(()); }
                class="flex w-full items-center justify-center gap-2 rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-60"
            >
                {t!(i18n, login.passkey)}
            </button>
            <FieldProblem field="passkey" error />
        </div>
    }
}

/// A rule with a word in its middle, between two ways of doing one thing.
#[component]
pub(super) fn OrDivider(children: Children) -> impl IntoView {
    view! {
        <div class="flex items-center gap-3 text-xs uppercase tracking-wide text-slate-500">
            <span class="h-px flex-1 bg-slate-200"></span>
            <span>{children()}</span>
            <span class="h-px flex-1 bg-slate-200"></span>
        </div>
    }
}
