use crate::{
    i18n::*,
    session::use_session,
    ui::{Gate, Need, permission_names},
};
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    view! { <Gate need=Need::Member><Home /></Gate> }
}

/// The member's landing page until the dashboard (F11) arrives: who they are, where, and what
/// they may do.
#[component]
fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let user = move || session.user();
    let first_name = move || user().map(|u| u.first_name).unwrap_or_default();
    let account = move || user().and_then(|u| u.account);
    let permissions = move || {
        user().map(|u| permission_names(i18n.get_locale(), u.permissions)).unwrap_or_default()
    };
    view! {
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">
            {t!(i18n, home.welcome, name = first_name)}
        </h1>
        <div class="mt-8 grid gap-6 md:grid-cols-2">
            <section class="rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200" aria-labelledby="account-heading">
                <h2 id="account-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-500">{t!(i18n, home.account)}</h2>
                <p class="mt-3 text-lg font-medium text-slate-900" data-testid="account-name">{move || account().map(|a| a.name)}</p>
                <dl class="mt-2 text-sm text-slate-600">
                    <dt class="inline">{t!(i18n, account.partner_id)} ": "</dt>
                    <dd class="inline font-mono" data-testid="partner-id">{move || account().map(|a| a.partner_id)}</dd>
                </dl>
                <Show when=move || user().is_some_and(|u| u.is_primary_admin)>
                    <p class="mt-4 inline-flex rounded-full bg-indigo-50 px-3 py-1 text-xs font-medium text-indigo-700 ring-1 ring-inset ring-indigo-200">
                        {t!(i18n, home.primary_admin)}
                    </p>
                </Show>
            </section>
            <section class="rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200" aria-labelledby="permissions-heading">
                <h2 id="permissions-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-500">{t!(i18n, home.permissions)}</h2>
                <ul class="mt-3 flex flex-wrap gap-2">
                    {move || permissions().into_iter().map(|name| view! {
                        <li class="rounded-md bg-slate-100 px-2 py-1 text-xs font-medium text-slate-700">{name}</li>
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
}
