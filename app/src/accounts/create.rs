use super::CreateAccount;
use crate::{
    domain::AccountName,
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
    let error = error_of(create);
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(_)) = create.value().get() {
            session.refresh();
            navigate("/", Default::default());
        }
    });
    view! {
        <AuthCard title=move || t!(i18n, account.create_title)>
            <p class="mb-6 text-sm text-slate-600">{t!(i18n, account.create_intro)}</p>
            <ActionForm action=create attr:class="space-y-5">
                <FormError error />
                <TextField name="account_name" autocomplete="organization" error validate=|s| AccountName::parse(s).map(drop) autofocus=true>
                    {t!(i18n, account.name)}
                </TextField>
                <SubmitButton pending=create.pending()>{t!(i18n, account.create_submit)}</SubmitButton>
            </ActionForm>
        </AuthCard>
    }
}
