//! The password change form (F1): the current password, then the new one twice; also where a
//! user with a temporary password lands before anything else.

use super::ChangePassword;
use crate::{
    domain::Password,
    i18n::*,
    session::use_session,
    ui::{AuthCard, FormError, Gate, Need, SubmitButton, TextField, error_of, safe_next},
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    view! { <Gate need=Need::PasswordChange><ChangePasswordForm /></Gate> }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let change = ServerAction::<ChangePassword>::new();
    let error = error_of(change);
    let done = move || matches!(change.value().get(), Some(Ok(())));
    let required = move || !done() && session.user().is_some_and(|u| u.must_change_password);
    let navigate = use_navigate();
    let query = use_query_map();
    let next = move || safe_next(query.with_untracked(|q| q.get("next"))).unwrap_or_else(|| "/".to_owned());
    // The session is read again only when leaving: re-reading it here would re-render this
    // page (its gate depends on the session) and lose the confirmation.
    let leave = StoredValue::new(move || {
        session.refresh();
        navigate(&next(), Default::default());
    });
    // A change the user was made to do continues at once to where they were going; one they
    // chose shows the confirmation.
    let was_required = session.user().is_some_and(|u| u.must_change_password);
    Effect::new(move || {
        if was_required && done() {
            leave.with_value(|leave| leave());
        }
    });
    let continue_home = move |_| leave.with_value(|leave| leave());
    view! {
        <AuthCard title=move || t!(i18n, password.title)>
            <Show when=required>
                <p class="mb-5 rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-inset ring-amber-200" role="status">
                    {t!(i18n, password.required_notice)}
                </p>
            </Show>
            <Show when=done>
                <div class="mb-5 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200" role="status">
                    {t!(i18n, password.changed)} " "
                    <button type="button" on:click=continue_home class="font-semibold underline">
                        {t!(i18n, password.continue_link)}
                    </button>
                </div>
            </Show>
            <ActionForm action=change attr:class="space-y-5">
                <FormError error />
                <TextField name="current_password" kind="password" autocomplete="current-password" error autofocus=true>
                    {t!(i18n, password.current)}
                </TextField>
                <TextField
                    name="new_password"
                    kind="password"
                    autocomplete="new-password"
                    error
                    validate=|s| Password::choose(s, &[]).map(drop)
                    hint=move || t!(i18n, register.password_hint, min = Password::MIN_CHARS)
                >
                    {t!(i18n, password.new)}
                </TextField>
                <SubmitButton pending=change.pending()>{t!(i18n, password.submit)}</SubmitButton>
            </ActionForm>
        </AuthCard>
    }
}
