//! The audit log page (F8): filter by actor, action, target and days; paged; the filter lives
//! in the URL, and the CSV export uses the same filter.

use super::{ACTIONS, AuditFilter, PAGE_SIZE, list_audit_events};
use crate::{
    i18n::*,
    ui::{Gate, Need, error_text, format_time, leave_if_signed_out, problem_text},
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::{use_navigate, use_query_map}, location::Url};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <Gate need=Need::Member><AuditLog /></Gate> }
}

fn to_query_string(filter: &AuditFilter) -> String {
    let page = (filter.page > 0).then(|| filter.page.to_string()).unwrap_or_default();
    [("actor", &filter.actor), ("action", &filter.action), ("target", &filter.target), ("from", &filter.from), ("to", &filter.to), ("page", &page)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", Url::escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
fn AuditLog() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_query_map();
    let filter = Memo::new(move |_| {
        params.with(|p| {
            let text = |key: &str| p.get(key).unwrap_or_default();
            AuditFilter {
                actor: text("actor"),
                action: text("action"),
                target: text("target"),
                from: text("from"),
                to: text("to"),
                page: text("page").parse().unwrap_or(0),
            }
        })
    });
    let entries = Resource::new(move || filter.get(), |filter| list_audit_events(filter));
    let navigate = use_navigate();
    let go = StoredValue::new(move |next: AuditFilter, replace: bool| {
        let qs = to_query_string(&next);
        let url = if qs.is_empty() { "/audit".to_owned() } else { format!("/audit?{qs}") };
        navigate(&url, NavigateOptions { replace, scroll: false, ..Default::default() });
    });
    let set = move |change: &dyn Fn(&mut AuditFilter), replace: bool| {
        let mut next = filter.get_untracked();
        change(&mut next);
        go.with_value(|go| go(next, replace));
    };
    let set = StoredValue::new(set);
    let field_error = move |field: &'static str| {
        entries.get().and_then(Result::err).and_then(|e| e.problem_for(field)).map(|p| problem_text(i18n.get_locale(), p))
    };
    let input_class = "mt-1 block w-full rounded-md border-0 px-3 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";
    let text_filter = move |key: &'static str, label: String, kind: &'static str| {
        let initial = filter.with_untracked(|f| match key {
            "actor" => f.actor.clone(),
            "target" => f.target.clone(),
            "from" => f.from.clone(),
            _ => f.to.clone(),
        });
        let id = format!("audit-{key}");
        view! {
            <div>
                <label for=id.clone() class="block text-xs font-medium text-slate-600">{label}</label>
                <input id=id type=kind value=initial class=input_class
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        set.with_value(|set| set(&|f: &mut AuditFilter| {
                            match key {
                                "actor" => f.actor = value.clone(),
                                "target" => f.target = value.clone(),
                                "from" => f.from = value.clone(),
                                _ => f.to = value.clone(),
                            }
                            f.page = 0;
                        }, true));
                    } />
                <p class="text-xs text-red-600" role="alert">{move || field_error(if key == "to" { "to" } else { key })}</p>
            </div>
        }
    };
    let export_href = move || {
        let mut all = filter.get();
        all.page = 0;
        let qs = to_query_string(&all);
        if qs.is_empty() { "/audit/export.csv".to_owned() } else { format!("/audit/export.csv?{qs}") }
    };
    let locale = i18n.get_locale_untracked();
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, audit.title)}</h1>
            <a href=export_href download="audit-log.csv" rel="external"
                class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
                {t!(i18n, audit.export)}
            </a>
        </div>
        <p class="mt-2 text-sm text-slate-600">{t!(i18n, audit.intro)}</p>
        <div class="mt-6 grid gap-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:grid-cols-5">
            {text_filter("actor", td_string!(locale, audit.actor).to_owned(), "search")}
            <div>
                <label for="audit-action" class="block text-xs font-medium text-slate-600">{t!(i18n, audit.action)}</label>
                <select id="audit-action" class=input_class
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        set.with_value(|set| set(&|f: &mut AuditFilter| { f.action = value.clone(); f.page = 0; }, false));
                    }>
                    <option value="" selected=move || filter.with(|f| f.action.is_empty())>{t!(i18n, audit.any_action)}</option>
                    {ACTIONS.iter().map(|action| view! {
                        <option value=*action selected=move || filter.with(|f| f.action == *action)>{*action}</option>
                    }).collect_view()}
                </select>
            </div>
            {text_filter("target", td_string!(locale, audit.target).to_owned(), "search")}
            {text_filter("from", td_string!(locale, audit.from).to_owned(), "date")}
            {text_filter("to", td_string!(locale, audit.to).to_owned(), "date")}
        </div>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"…"</p> }>
            {move || entries.get().map(|answer| match answer {
                Err(error) if error.field_errors().is_empty() => {
                    leave_if_signed_out(&error);
                    view! { <p role="alert" class="mt-6 text-sm text-red-700">{error_text(i18n.get_locale_untracked(), &error)}</p> }.into_any()
                }
                Err(_) => ().into_any(),
                Ok(page) => {
                    let total = page.total;
                    let current = filter.with_untracked(|f| f.page);
                    let last = (total - 1).max(0) / PAGE_SIZE;
                    let (at_start, at_end) = (current == 0, current >= last);
                    view! {
                        <p class="mt-6 text-sm text-slate-600" data-testid="audit-total">{t!(i18n, audit.total, count = move || total)}</p>
                        <div class="mt-2 overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
                            <table class="min-w-full divide-y divide-slate-200 text-sm">
                                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                    <tr>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.time)}</th>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.actor)}</th>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.action)}</th>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.target)}</th>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.details)}</th>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.ip)}</th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {page.rows.into_iter().map(|e| {
                                        let action = e.action.clone();
                                        view! {
                                        <tr data-testid="audit-row" data-action=action>
                                            <td class="whitespace-nowrap px-4 py-2 text-slate-500">{format_time(e.occurred_at)}</td>
                                            <td class="px-4 py-2 text-slate-900">
                                                {e.actor}
                                                {e.actor_company.map(|c| view! { <span class="block text-xs text-amber-700" data-testid="actor-company">{td_string!(locale, audit.for_partner, company = c).to_string()}</span> })}
                                            </td>
                                            <td class="px-4 py-2 font-mono text-xs text-indigo-700">{e.action}</td>
                                            <td class="px-4 py-2 text-slate-700">{e.target}</td>
                                            <td class="max-w-xs truncate px-4 py-2 font-mono text-xs text-slate-500" title=e.details.clone()>{e.details.clone()}</td>
                                            <td class="px-4 py-2 text-slate-500">{e.client_ip}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <nav class="mt-4 flex items-center justify-between text-sm" aria-label=move || t_string!(i18n, audit.paging)>
                            <button type="button" disabled=at_start class="rounded-md px-3 py-1.5 font-medium text-slate-700 ring-1 ring-inset ring-slate-300 disabled:opacity-40"
                                on:click=move |_| set.with_value(|set| set(&|f: &mut AuditFilter| f.page = (f.page - 1).max(0), false))>
                                {t!(i18n, audit.previous)}
                            </button>
                            <span class="text-slate-600">{t!(i18n, audit.page_of, page = current + 1, pages = last + 1)}</span>
                            <button type="button" disabled=at_end class="rounded-md px-3 py-1.5 font-medium text-slate-700 ring-1 ring-inset ring-slate-300 disabled:opacity-40"
                                on:click=move |_| set.with_value(|set| set(&|f: &mut AuditFilter| f.page += 1, false))>
                                {t!(i18n, audit.next)}
                            </button>
                        </nav>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
