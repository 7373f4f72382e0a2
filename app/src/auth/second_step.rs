//! The second step of a sign-in (F15): after a right password, one of the user's passkeys, a
//! code from their authenticator app, or one of their recovery codes. The session starts only
//! here.

use super::{SecondStep, SecondStepChoices, begin_second_step_passkey, login::OrDivider, second_step_passkey, second_step_ways};
use crate::{
    error::AppError,
    i18n::*,
    second_factor::passkey_browser::{self, Prompt},
    ui::{AuthCard, FieldProblem, FormError, Gate, Need, SubmitButton, TextField, error_of},
};
use leptos::prelude::*;

#[component]
pub fn SecondStepPage() -> impl IntoView {
    view! { <Gate need=Need::SignedOut><SecondStepForm /></Gate> }
}

#[component]
fn SecondStepForm() -> impl IntoView {
    let i18n = use_i18n();
    let second_step = ServerAction::<SecondStep>::new();
    let error = error_of(second_step);
    let continue_sign_in = super::login::use_continue_sign_in();
    Effect::new(move || {
        if let Some(Ok(signed_in)) = second_step.value().get() {
            continue_sign_in(&signed_in);
        }
    });
    // Without an answer (the step expired, say), the page offers what always works: a code.
    let ways = Resource::new(|| (), |_| second_step_ways());
    let ways = move || ways.get().and_then(Result::ok).unwrap_or(SecondStepChoices { app: true, passkey: false });
    view! {
        <AuthCard title=move || t!(i18n, second_step.title)>
            <Suspense>
                <p class="mb-5 text-sm text-slate-600">
                    {move || if ways().app { t!(i18n, second_step.intro).into_any() } else { t!(i18n, second_step.intro_passkey).into_any() }}
                </p>
                <Show when=move || ways().passkey>
                    <PasskeyStep />
                </Show>
            </Suspense>
            <ActionForm action=second_step attr:class="space-y-5">
                <FormError error />
                <TextField name="code" autocomplete="one-time-code" error autofocus=true hint=move || t!(i18n, second_step.hint)>
                    {t!(i18n, second_step.code)}
                </TextField>
                <SubmitButton pending=second_step.pending()>{t!(i18n, second_step.submit)}</SubmitButton>
            </ActionForm>
            <p class="mt-6 text-center text-sm">
                <a href="/login" class="font-medium text-indigo-600 hover:text-indigo-500">{t!(i18n, second_step.back)}</a>
            </p>
        </AuthCard>
    }
}

/// "Use a passkey": the browser asks for one of the user's passkeys.
#[component]
fn PasskeyStep() -> impl IntoView {
    let i18n = use_i18n();
    let confirm = Action::new_local(|_: &()| async move {
        let challenge = begin_second_step_passkey().await?;
        let answer = passkey_browser::prompt(Prompt::Get, &challenge.options).await?;
        second_step_passkey(challenge.ceremony, answer).await
    });
    let error = Signal::derive(move || confirm.value().get().and_then(Result::<super::SignedIn, AppError>::err));
    let continue_sign_in = super::login::use_continue_sign_in();
    Effect::new(move || {
        if let Some(Ok(signed_in)) = confirm.value().get() {
            continue_sign_in(&signed_in);
        }
    });
    view! {
        <div class="mb-6 space-y-4">
            <FormError error />
            <button
                type="button"
                disabled=move || confirm.pending().get()
                aria-busy=move || confirm.pending().get().to_string()
                on:click=move |_| { confirm.dispatch(()); }
                class="flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
            >
                {t!(i18n, second_step.use_passkey)}
            </button>
            <FieldProblem field="passkey" error />
            <OrDivider>{t!(i18n, second_step.or)}</OrDivider>
        </div>
    }
}
