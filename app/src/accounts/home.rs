//! The dashboard (F11): who you are and where, the account's counts, pending partner
//! invitations, news and alerts, and recent audit events (as sentences, like the audit page).

use super::{Alert, Dashboard, get_dashboard};
use crate::{
    audit::sentence,
    i18n::*,
    partners::{LinkStatus, PartnerLink, Side},
    session::use_session,
    ui::{CopyButton, Gate, Need, format_time, leave_if_signed_out, permission_names},
};
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    view! { <Gate need=Need::Member><Home /></Gate> }
}

const CARD: &str = "rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200";
const CARD_TITLE: &str = "text-sm font-semibold uppercase tracking-wide text-slate-500";

#[component]
fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let user = move || session.user();
    let first_name = move || user().map(|u| u.first_name).unwrap_or_default();
    let account = move || user().and_then(|u| u.account);
    let acting = move || user().is_some_and(|u| u.acting_for.is_some());
    let permissions = move || user().map(|u| permission_names(i18n.get_locale(), u.permissions)).unwrap_or_default();
    let summary = Resource::new(|| (), |_| get_dashboard());
    view! {
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">
            {t!(i18n, home.welcome, name = first_name)}
        </h1>
        <div class="mt-8 grid gap-6 md:grid-cols-2">
            <section class=CARD aria-labelledby="account-heading">
                <h2 id="account-heading" class=CARD_TITLE>
                    {move || if acting() { t_string!(i18n, home.acting_for) } else { t_string!(i18n, home.account) }}
                </h2>
                <p class="mt-3 text-lg font-medium text-slate-900" data-testid="account-name">{move || account().map(|a| a.name)}</p>
                <dl class="mt-2 text-sm text-slate-600">
                    <dt class="inline">{t!(i18n, account.partner_id)} {t!(i18n, users.colon)} " "</dt>
                    <dd class="inline font-mono" data-testid="partner-id">{move || account().map(|a| a.partner_id)}</dd>
                    <dd class="ml-2 inline">
                        <CopyButton value=Signal::derive(move || account().map(|a| a.partner_id).unwrap_or_default()) what=|l| td_string!(l, account.partner_id) />
                    </dd>
                </dl>
                <Show when=move || user().is_some_and(|u| u.is_primary_admin)>
                    <p class="mt-4 inline-flex rounded-full bg-indigo-50 px-3 py-1 text-xs font-medium text-indigo-700 ring-1 ring-inset ring-indigo-200">
                        {t!(i18n, home.primary_admin)}
                    </p>
                </Show>
                <h3 class="mt-5 text-xs font-semibold uppercase tracking-wide text-slate-500">{t!(i18n, home.permissions)}</h3>
                <ul class="mt-2 flex flex-wrap gap-2">
                    {move || permissions().into_iter().map(|name| view! {
                        <li class="rounded-md bg-slate-100 px-2 py-1 text-xs font-medium text-slate-700">{name}</li>
                    }).collect_view()}
                </ul>
            </section>
            <Transition fallback=|| view! { <p class="text-slate-500">"…"</p> }>
                // Reads the language too: the panels are drawn again when the header switches it.
                {move || {
                    let _ = i18n.get_locale();
                    summary.get().and_then(|answer| answer.inspect_err(leave_if_signed_out).ok()).map(|d| view! { <Panels summary=d /> })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn Panels(summary: Dashboard) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let counts = summary.counts.map(|c| view! {
        <section class=CARD aria-labelledby="counts-heading">
            <h2 id="counts-heading" class=CARD_TITLE>{t!(i18n, dashboard.people)}</h2>
            <dl class="mt-4 grid grid-cols-2 gap-4 text-center sm:grid-cols-4">
                {[
                    (td_string!(locale, dashboard.members), c.members, "members"),
                    (td_string!(locale, dashboard.locked), c.locked, "locked"),
                    (td_string!(locale, dashboard.invited), c.invited, "invited"),
                    (td_string!(locale, dashboard.admins_without_factor), c.admins_without_factor, "admins-without-factor"),
                ]
                    .into_iter().map(|(label, count, key)| view! {
                        <div class="rounded-lg bg-slate-50 p-3">
                            <dt class="text-xs text-slate-500">{label}</dt>
                            <dd class="mt-1 text-2xl font-semibold text-slate-900" data-testid=format!("count-{key}")>{count}</dd>
                        </div>
                    }).collect_view()}
            </dl>
        </section>
    });
    let pending = summary.pending_links.map(|links| view! {
        <section class=CARD aria-labelledby="pending-heading">
            <h2 id="pending-heading" class=CARD_TITLE>{t!(i18n, dashboard.pending_links)}</h2>
            {if links.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-500">{t!(i18n, dashboard.nothing_pending)}</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 divide-y divide-slate-100 text-sm">
                        {links.into_iter().map(|link| view! { <li class="py-2" data-testid="pending-link">{pending_text(locale, &link)}</li> }).collect_view()}
                    </ul>
                    <a href="/partners" class="mt-3 inline-block text-sm font-medium text-indigo-600 hover:text-indigo-500">{t!(i18n, dashboard.to_partners)}</a>
                }.into_any()
            }}
        </section>
    });
    let alerts = (!summary.alerts.is_empty()).then(|| view! {
        <section class="rounded-xl bg-amber-50 p-6 shadow-sm ring-1 ring-amber-200" aria-labelledby="alerts-heading">
            <h2 id="alerts-heading" class="text-sm font-semibold uppercase tracking-wide text-amber-800">{t!(i18n, dashboard.alerts)}</h2>
            <ul class="mt-3 space-y-1 text-sm text-amber-950">
                {summary.alerts.into_iter().map(|alert| view! { <li data-testid="alert">{alert_text(locale, &alert)}</li> }).collect_view()}
            </ul>
        </section>
    });
    let news = view! {
        <section class=CARD aria-labelledby="news-heading">
            <h2 id="news-heading" class=CARD_TITLE>{t!(i18n, dashboard.news)}</h2>
            <ul class="mt-3 space-y-1 text-sm text-slate-700">
                {summary.news.into_iter().map(|item| view! {
                    <li>{td_string!(locale, dashboard.news_item, name = item.name, partner_id = item.partner_id, date = format_time(item.joined_at)).to_string()}</li>
                }).collect_view()}
            </ul>
        </section>
    };
    let recent = summary.recent_events.map(|events| view! {
        <section class=format!("{CARD} md:col-span-2") aria-labelledby="recent-heading">
            <h2 id="recent-heading" class=CARD_TITLE>{t!(i18n, dashboard.recent)}</h2>
            {if events.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-500" data-testid="recent-empty">{t!(i18n, audit_sentence.dashboard_empty)}</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 divide-y divide-slate-100 text-sm">
                        {events.into_iter().map(|e| {
                            let occurred_at = e.occurred_at;
                            let event = StoredValue::new(e);
                            view! {
                                <li class="flex flex-wrap gap-x-3 py-2" data-testid="recent-event">
                                    <span class="text-slate-500">{format_time(occurred_at)}</span>
                                    <span class="text-slate-900">{move || event.with_value(|e| sentence(i18n.get_locale(), e))}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <a href="/audit" class="mt-3 inline-block text-sm font-medium text-indigo-600 hover:text-indigo-500">{t!(i18n, dashboard.to_audit)}</a>
        </section>
    });
    view! { {counts} {alerts} {pending} {news} {recent} }
}

fn pending_text(locale: Locale, link: &PartnerLink) -> String {
    let other = link.other.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| td_string!(locale, partners.open_link).to_owned());
    let until = format_time(link.expires_at);
    match (link.side, link.initiated_here, link.status) {
        (Side::Partner, false, LinkStatus::Invited) => td_string!(locale, dashboard.awaiting_you, other = other, until = until).to_string(),
        _ => td_string!(locale, dashboard.awaiting_them, other = other, until = until).to_string(),
    }
}

fn alert_text(locale: Locale, alert: &Alert) -> String {
    match alert {
        Alert::InvitationExpiring { email, expires_at } => {
            td_string!(locale, dashboard.invitation_expiring, email = email.clone(), until = format_time(*expires_at)).to_string()
        }
        Alert::PartnerInvitationExpiring { other, expires_at } => {
            td_string!(locale, dashboard.partner_expiring, other = other.clone(), until = format_time(*expires_at)).to_string()
        }
    }
}
