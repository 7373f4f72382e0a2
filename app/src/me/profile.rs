//! The user's own profile (F10): names, language and e-mail subscriptions.

use super::{Profile, UpdateMyProfile, my_profile};
use crate::{
    i18n::*,
    session::use_session,
    ui::{FormError, Gate, LanguageChoice, Need, SubmitButton, SubscriptionChoices, TextField, leave_if_signed_out, leave_when_signed_out},
};
use crate::ui::style;
use leptos::prelude::*;
use leptos_i18n::Locale as _;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! { <Gate need=Need::Member><ProfileLoader /></Gate> }
}

#[component]
fn ProfileLoader() -> impl IntoView {
    let profile = Resource::new(|| (), |_| my_profile());
    view! {
        <Suspense>
            {move || profile.get().map(|answer| match answer {
                Ok(profile) => Some(view! { <ProfileForm profile /> }),
                Err(error) => {
                    leave_if_signed_out(&error);
                    None
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileForm(profile: Profile) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let save = ServerAction::<UpdateMyProfile>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    leave_when_signed_out(move || error.get());
    let first_name = RwSignal::new(profile.first_name.clone());
    let last_name = RwSignal::new(profile.last_name.clone());
    let locale = RwSignal::new(profile.locale.clone());
    let news = RwSignal::new(profile.subscribe_news);
    let alerts = RwSignal::new(profile.subscribe_alerts);
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    Effect::new(move || {
        if let Some(Ok(())) = save.value().get() {
            let chosen = locale.get_untracked();
            if let Some(l) = Locale::get_all().iter().find(|l| l.as_str() == chosen) {
                i18n.set_locale(*l);
            }
            session.refresh();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateMyProfile {
            profile: Profile {
                first_name: first_name.get_untracked(),
                last_name: last_name.get_untracked(),
                locale: locale.get_untracked(),
                subscribe_news: news.get_untracked(),
                subscribe_alerts: alerts.get_untracked(),
            },
        });
    };
    view! {
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, profile.title)}</h1>
        <form on:submit=submit novalidate class="mt-6 max-w-xl space-y-6 rounded-xl bg-white p-8 shadow-sm ring-1 ring-slate-200">
            <FormError error />
            <Show when=saved>
                <p role="status" class=style::SUCCESS_BOX>{t!(i18n, profile.saved)}</p>
            </Show>
            <TextField name="first_name" error value=first_name>{t!(i18n, register.first_name)}</TextField>
            <TextField name="last_name" error value=last_name>{t!(i18n, register.last_name)}</TextField>
            <LanguageChoice id="profile-locale" locale />
            <SubscriptionChoices news alerts />
            <div class="max-w-xs"><SubmitButton pending=save.pending()>{t!(i18n, common.save)}</SubmitButton></div>
        </form>
    }
}
