//! The audit log page (F8): filter by actor, action, target and days; paged; the filter lives
//! in the URL, and the CSV export uses the same filter. Each event reads as a sentence in the
//! reader's language, its recorded details one click away.

use super::{ACTIONS, AuditEntry, AuditFilter, PAGE_SIZE, action_name, list_audit_events, sentence};
use crate::{
    i18n::*,
    ui::{Gate, Need, error_text, format_time, leave_if_signed_out, problem_text},
};
use crate::ui::style;
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
    // Labels follow the header's language switch; values follow the URL (so "clear the
    // filters" empties the fields too).
    let text_filter = move |key: &'static str, label: Signal<String>, kind: &'static str| {
        let current = move || filter.with(|f| match key {
            "actor" => f.actor.clone(),
            "target" => f.target.clone(),
            "from" => f.from.clone(),
            _ => f.to.clone(),
        });
        let id = format!("audit-{key}");
        view! {
            <div>
                <label for=id.clone() class=style::SMALL_LABEL>{label}</label>
                <input id=id type=kind value=current prop:value=current class=input_class
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
    let label = move |text: fn(Locale) -> &'static str| Signal::derive(move || text(i18n.get_locale()).to_owned());
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, audit.title)}</h1>
            <a href=export_href download="audit-log.csv" rel="external"
                class=style::SECONDARY_BUTTON>
                {t!(i18n, audit.export)}
            </a>
        </div>
        <p class="mt-2 text-sm text-slate-600">{t!(i18n, audit.intro)}</p>
        <div class="mt-6 grid gap-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:grid-cols-5">
            {text_filter("actor", label(|l| td_string!(l, audit.actor)), "search")}
            <div>
                <label for="audit-action" class=style::SMALL_LABEL>{t!(i18n, audit.action)}</label>
                <select id="audit-action" class=input_class
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        set.with_value(|set| set(&|f: &mut AuditFilter| { f.action = value.clone(); f.page = 0; }, false));
                    }>
                    <option value="" selected=move || filter.with(|f| f.action.is_empty())>{t!(i18n, audit.any_action)}</option>
                    {ACTIONS.iter().map(|action| view! {
                        <option value=*action selected=move || filter.with(|f| f.action == *action)>{move || action_name(i18n.get_locale(), action)}</option>
                    }).collect_view()}
                </select>
            </div>
            {text_filter("target", label(|l| td_string!(l, audit.target)), "search")}
            {text_filter("from", label(|l| td_string!(l, audit.from)), "date")}
            {text_filter("to", label(|l| td_string!(l, audit.to)), "date")}
        </div>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"…"</p> }>
            {move || entries.get().map(|answer| match answer {
                Err(error) if error.field_errors().is_empty() => {
                    leave_if_signed_out(&error);
                    view! { <p role="alert" class="mt-6 text-sm text-red-700">{error_text(i18n.get_locale_untracked(), &error)}</p> }.into_any()
                }
                Err(_) => ().into_any(),
                Ok(page) if page.rows.is_empty() => {
                    let filtered = filter.with_untracked(|f| AuditFilter { page: 0, ..f.clone() } != AuditFilter::default());
                    view! {
                        <div class="mt-6 rounded-xl bg-white p-8 text-center shadow-sm ring-1 ring-slate-200" data-testid="audit-empty">
                            {if filtered {
                                view! {
                                    <p class="text-sm text-slate-600">{t!(i18n, audit_sentence.empty_filtered)}</p>
                                    <a href="/audit" class="mt-4 inline-block rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                                        {t!(i18n, audit_sentence.clear_filters)}
                                    </a>
                                }.into_any()
                            } else {
                                view! { <p class="text-sm text-slate-600">{t!(i18n, audit_sentence.empty)}</p> }.into_any()
                            }}
                        </div>
                    }.into_any()
                }
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
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit_sentence.event)}</th>
                                        <th scope="col" class="px-4 py-3">{t!(i18n, audit.ip)}</th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {page.rows.into_iter().map(|entry| view! { <Row entry=entry /> }).collect_view()}
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

/// One event: its time, its sentence (rebuilt when the language changes) with the recorded
/// labels and details in a disclosure, and the client's address.
#[component]
fn Row(entry: AuditEntry) -> impl IntoView {
    let i18n = use_i18n();
    let (action, code) = (entry.action.clone(), entry.action.clone());
    let (occurred_at, client_ip, details) = (entry.occurred_at, entry.client_ip.clone(), entry.details.clone());
    let (actor, target) = (entry.actor.clone(), entry.target.clone());
    let entry = StoredValue::new(entry);
    view! {
        <tr data-testid="audit-row" data-action=action>
            <td class="whitespace-nowrap px-4 py-2 align-top text-slate-500">{format_time(occurred_at)}</td>
            <td class="px-4 py-2 align-top text-slate-900">
                <p data-testid="audit-sentence">{move || entry.with_value(|e| sentence(i18n.get_locale(), e))}</p>
                <details class="group mt-1" data-testid="audit-details">
                    <summary class="cursor-pointer text-xs font-medium text-indigo-600 hover:text-indigo-500">{t!(i18n, audit_sentence.show_details)}</summary>
                    <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-3 text-xs text-slate-600">
                        <dt class="font-medium">{t!(i18n, audit.action)}</dt>
                        <dd class="font-mono">{code}</dd>
                        <dt class="font-medium">{t!(i18n, audit.actor)}</dt>
                        <dd>{actor}</dd>
                        <dt class="font-medium">{t!(i18n, audit.target)}</dt>
                        <dd>{target}</dd>
                    </dl>
                    <pre class="mt-2 whitespace-pre-wrap break-all rounded-md bg-slate-50 p-2 font-mono text-xs text-slate-700" data-testid="audit-json">{details}</pre>
                </details>
            </td>
            <td class="whitespace-nowrap px-4 py-2 align-top text-slate-500">{client_ip}</td>
        </tr>
    }
}
