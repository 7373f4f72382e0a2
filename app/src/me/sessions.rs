//! The user's own open sessions (F10): where and when each was used, ending one or all others.

use super::{EndMySession, EndOtherSessions, list_my_sessions};
use crate::{
    i18n::*,
    session::SessionSummary,
    ui::{FormError, Gate, Need, error_of, format_time},
};
use crate::ui::style;
use leptos::prelude::*;

#[component]
pub fn MySessionsPage() -> impl IntoView {
    view! { <Gate need=Need::Member><MySessions /></Gate> }
}

/// The user's open sessions, with sign-out per session and everywhere else at once.
#[component]
fn MySessions() -> impl IntoView {
    let i18n = use_i18n();
    let end_one = ServerAction::<EndMySession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || (end_one.version().get(), end_others.version().get()),
        |_| list_my_sessions(),
    );
    let error = Signal::derive(move || error_of(end_one).get().or_else(|| error_of(end_others).get()));
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, sessions.title)}</h1>
            <ActionForm action=end_others>
                <button type="submit" class=style::SECONDARY_BUTTON>
                    {t!(i18n, sessions.end_others)}
                </button>
            </ActionForm>
        </div>
        <p class="mt-2 text-sm text-slate-600">{t!(i18n, sessions.intro)}</p>
        <div class="mt-4"><FormError error /></div>
        <div class="mt-6 overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-4 py-3">{t!(i18n, sessions.device)}</th>
                        <th scope="col" class="px-4 py-3">{t!(i18n, sessions.address)}</th>
                        <th scope="col" class="px-4 py-3">{t!(i18n, sessions.signed_in)}</th>
                        <th scope="col" class="px-4 py-3">{t!(i18n, sessions.last_active)}</th>
                        <th scope="col" class="px-4 py-3"><span class="sr-only">{t!(i18n, sessions.actions)}</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    <Transition>
                        {move || sessions.get().and_then(Result::ok).map(|rows| {
                            rows.into_iter().map(|row| view! { <SessionRow row end_one /> }).collect_view()
                        })}
                    </Transition>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn SessionRow(row: SessionSummary, end_one: ServerAction<EndMySession>) -> impl IntoView {
    let i18n = use_i18n();
    let id = row.id;
    view! {
        <tr data-testid="session-row">
            <td class="px-4 py-3 text-slate-900">
                <span class="block max-w-md truncate" title=row.user_agent.clone()>{device_name(&row.user_agent)}</span>
                <Show when=move || row.current>
                    <span class="mt-1 inline-flex rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-inset ring-emerald-200">
                        {t!(i18n, sessions.this_device)}
                    </span>
                </Show>
            </td>
            <td class="px-4 py-3 font-mono text-slate-600">{row.client_ip.clone()}</td>
            <td class="px-4 py-3 text-slate-600">{format_time(row.created_at)}</td>
            <td class="px-4 py-3 text-slate-600">{format_time(row.last_seen_at)}</td>
            <td class="px-4 py-3 text-right">
                <Show when=move || !row.current>
                    <button
                        type="button"
                        on:click=move |_| { end_one.dispatch(EndMySession { session_id: id }); }
                        class="rounded-md px-2 py-1 text-sm font-medium text-red-700 hover:bg-red-50"
                    >
                        {t!(i18n, sessions.end_one)}
                    </button>
                </Show>
            </td>
        </tr>
    }
}

/// A short name for a user agent: the browser and the platform, enough to recognise a device.
fn device_name(user_agent: &str) -> String {
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/"]
        .iter()
        .find(|marker| user_agent.contains(*marker))
        .map(|marker| match *marker {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            _ => "Safari",
        });
    let platform = ["Windows", "Mac OS", "Android", "iPhone", "Linux"]
        .iter()
        .find(|marker| user_agent.contains(*marker))
        .map(|marker| if *marker == "Mac OS" { "macOS" } else { marker });
    match (browser, platform) {
        (Some(b), Some(p)) => format!("{b} · {p}"),
        (Some(b), None) => b.to_owned(),
        _ if user_agent.is_empty() => "—".to_owned(),
        _ => user_agent.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_by_browser_and_platform() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(device_name(chrome), "Chrome · Linux");
        assert_eq!(device_name(""), "—");
        assert_eq!(device_name("curl/8.0"), "curl/8.0");
    }

}
