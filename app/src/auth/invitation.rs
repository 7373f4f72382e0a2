//! The page an invitation link opens (F3): who invites whom, then names and password.

use super::{AcceptInvitation, show_invitation};
use crate::{
    domain::{Password, PersonName},
    error::AppError,
    i18n::*,
    links::{LinkPage, link_token},
    session::use_session,
    ui::{AuthCard, FormError, SubmitButton, TextField, error_of, error_summary},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Opened from a mail: `/invitation?token=…`, which the server turns into `/invitation` and a
/// cookie (S7). The token travels on in the form's body.
#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let i18n = use_i18n();
    let invitation = Resource::new(|| (), |()| async move {
        let token = link_token(LinkPage::Invitation).await?;
        let info = show_invitation(token.clone()).await?;
        Ok::<_, AppError>((info, token))
    });
    view! {
        <Suspense>
            {move || invitation.get().map(|answer| match answer {
                Ok((info, token)) => view! { <AcceptForm info token /> }.into_any(),
                Err(error) => view! {
                    <AuthCard title=move || t!(i18n, invitation.invalid_title)>
                        <p role="alert" class="text-sm text-red-800">{
                            move || error_summary(i18n.get_locale(), &error)
                        }</p>
                    </AuthCard>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn AcceptForm(info: super::InvitationInfo, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = error_of(accept);
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(_)) = accept.value().get() {
            session.refresh();
            navigate("/", Default::default());
        }
    });
    let account = info.account_name.clone();
    let first_name = RwSignal::new(info.first_name.clone());
    let last_name = RwSignal::new(info.last_name.clone());
    view! {
        <AuthCard title=move || t!(i18n, invitation.title, account = account.clone())>
            <p class="mb-5 text-sm text-slate-600">
                {
                    let (login, email) = (info.login_name.clone(), info.email.clone());
                    move || td_string!(i18n.get_locale(), invitation.intro, login = login.clone(), email = email.clone()).to_string()
                }
            </p>
            <ActionForm action=accept attr:class="space-y-5">
                <input type="hidden" name="token" value=token />
                <FormError error />
                <TextField name="first_name" autocomplete="given-name" error value=first_name validate=|s| PersonName::parse(s).map(drop)>
                    {t!(i18n, register.first_name)}
                </TextField>
                <TextField name="last_name" autocomplete="family-name" error value=last_name validate=|s| PersonName::parse(s).map(drop)>
                    {t!(i18n, register.last_name)}
                </TextField>
                <TextField name="password" kind="password" autocomplete="new-password" error autofocus=true
                    validate=|s| Password::choose(s, &[]).map(drop)
                    hint=move || t!(i18n, register.password_hint, min = Password::MIN_CHARS)>
                    {t!(i18n, register.password)}
                </TextField>
                <SubmitButton pending=accept.pending()>{t!(i18n, invitation.submit)}</SubmitButton>
            </ActionForm>
        </AuthCard>
    }
}
