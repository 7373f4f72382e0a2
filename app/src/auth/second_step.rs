//! The second step of a sign-in (F15): after a right password, a code from the user's
//! authenticator app or one of their recovery codes. The session starts only here.

use super::SecondStep;
use crate::{
    i18n::*,
    session::use_session,
    ui::{AuthCard, FormError, Gate, Need, SubmitButton, TextField, error_of},
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn SecondStepPage() -> impl IntoView {
    view! { <Gate need=Need::SignedOut><SecondStepForm /></Gate> }
}

#[component]
fn SecondStepForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let second_step = ServerAction::<SecondStep>::new();
    let error = error_of(second_step);
    let navigate = use_navigate();
    let params = use_query_map();
    Effect::new(move || {
        if let Some(Ok(signed_in)) = second_step.value().get() {
            session.refresh();
            navigate(&super::login::destination(&signed_in, params.with_untracked(|p| p.get("next"))), Default::default());
        }
    });
    view! {
        <AuthCard title=move || t!(i18n, second_step.title)>
            <p class="mb-5 text-sm text-slate-600">{t!(i18n, second_step.intro)}</p>
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
