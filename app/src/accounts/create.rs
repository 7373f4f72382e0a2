//! For a signed-in user without an account: confirm the e-mail address first (F1), then create
//! a company account or join one with its key (F2).

use super::{CreateAccount, JoinAccount};
use crate::{
    auth::ResendVerification,
    domain::{AccountKey, AccountName},
    i18n::*,
    session::use_session,
    ui::{AuthCard, FormError, Gate, Need, SubmitButton, TextField, error_of},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn CreateAccountPage() -> impl IntoView {
    view! { <Gate need=Need::NoAccount><CreateAccountForm /></Gate> }
}

#[component]
fn CreateAccountForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let create = ServerAction::<CreateAccount>::new();
    let join = ServerAction::<JoinAccount>::new();
    let error = error_of(create);
    let join_error = error_of(join);
    let navigate = use_navigate();
    Effect::new(move || {
        if matches!(create.value().get(), Some(Ok(_))) || matches!(join.value().get(), Some(Ok(_))) {
            session.refresh();
            navigate("/", Default::default());
        }
    });
    let verified = move || session.user().is_some_and(|u| u.email_verified);
    view! {
        <AuthCard title=move || t!(i18n, account.create_title)>
            <Show when=move || !verified()><VerifyNotice /></Show>
            <p class="mb-6 text-sm text-slate-600">{t!(i18n, account.create_intro)}</p>
            <ActionForm action=create attr:class="space-y-5">
                <FormError error />
                <TextField name="account_name" autocomplete="organization" error validate=|s| AccountName::parse(s).map(drop) autofocus=true>
                    {t!(i18n, account.name)}
                </TextField>
                <SubmitButton pending=create.pending()>{t!(i18n, account.create_submit)}</SubmitButton>
            </ActionForm>
            <div class="my-8 flex items-center gap-3 text-xs uppercase tracking-wide text-slate-500">
                <span class="h-px flex-1 bg-slate-200"></span>{t!(i18n, account.or)}<span class="h-px flex-1 bg-slate-200"></span>
            </div>
            <h2 class="mb-2 text-lg font-semibold text-slate-900">{t!(i18n, account.join_title)}</h2>
            <p class="mb-4 text-sm text-slate-600">{t!(i18n, account.join_intro)}</p>
            <ActionForm action=join attr:class="space-y-5">
                <FormError error=join_error />
                <TextField name="account_key" error=join_error validate=|s| AccountKey::parse(s).map(drop)>
                    {t!(i18n, account.key)}
                </TextField>
                <SubmitButton pending=join.pending()>{t!(i18n, account.join_submit)}</SubmitButton>
            </ActionForm>
        </AuthCard>
    }
}

/// Until the address is confirmed, the forms above are refused; a new link is one click away.
#[component]
fn VerifyNotice() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let resend = ServerAction::<ResendVerification>::new();
    let email = move || session.user().map(|u| u.email).unwrap_or_default();
    let sent = move || matches!(resend.value().get(), Some(Ok(())));
    let failed = move || resend.value().get().and_then(Result::err).map(|e| crate::ui::error_text(i18n.get_locale(), &e));
    view! {
        <div role="status" data-testid="verify-notice" class="mb-6 rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
            <p>{move || t_string!(i18n, account.verify_first, email = email()).to_string()}</p>
            <button type="button" on:click=move |_| { resend.dispatch(ResendVerification {}); } disabled=move || resend.pending().get()
                class="mt-2 font-semibold text-amber-900 underline hover:text-amber-700">
                {t!(i18n, account.resend_verification)}
            </button>
            <Show when=sent><p class="mt-1">{t!(i18n, account.verification_sent)}</p></Show>
            {move || failed().map(|text| view! { <p class="mt-1 text-red-700">{text}</p> })}
        </div>
    }
}
