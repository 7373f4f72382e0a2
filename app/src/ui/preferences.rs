//! The language and e-mail subscription fields, shared by the profile (F10) and the
//! administrator's user form (F4).

use crate::i18n::*;
use leptos::prelude::*;

/// News and alerts checkboxes (F9 subscriptions).
#[component]
pub fn SubscriptionChoices(news: RwSignal<bool>, alerts: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset>
            <legend class="text-sm font-medium text-slate-700">{t!(i18n, user_form.subscriptions)}</legend>
            <label class="mt-2 flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" prop:checked=news on:change=move |ev| news.set(event_target_checked(&ev)) class="h-4 w-4 rounded border-slate-300" />
                {t!(i18n, user_form.news)}
            </label>
            <label class="mt-2 flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" prop:checked=alerts on:change=move |ev| alerts.set(event_target_checked(&ev)) class="h-4 w-4 rounded border-slate-300" />
                {t!(i18n, user_form.alerts)}
            </label>
        </fieldset>
    }
}

/// A user's stored language (not the interface's: the header switches that).
#[component]
pub fn LanguageChoice(id: &'static str, locale: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let initial = locale.get_untracked();
    view! {
        <div>
            <label for=id class="block text-sm font-medium text-slate-700">{t!(i18n, user_form.language)}</label>
            <select id=id on:change=move |ev| locale.set(event_target_value(&ev))
                class="mt-1 block w-full rounded-md border-0 py-2 pl-3 pr-8 text-sm ring-1 ring-inset ring-slate-300">
                <option value="en" selected=initial == "en">"English"</option>
                <option value="fr" selected=initial == "fr">"Français"</option>
            </select>
        </div>
    }
}
