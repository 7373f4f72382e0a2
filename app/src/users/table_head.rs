//! The users table's head: the checkbox that selects the page, and the column headers, the
//! sortable ones as buttons that sort by them (again: the other way).

use super::{SortColumn, actions::TableState, list::QueryUpdate};
use crate::i18n::*;
use leptos::prelude::*;
use std::collections::HashSet;

#[component]
pub(super) fn TableHead(update: QueryUpdate, page_ids: Signal<Option<Vec<i64>>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <thead class="bg-slate-50 text-left text-xs text-slate-500">
            <tr>
                <th scope="col" class="w-10 px-4 py-3">
                    <Transition>{move || page_ids.get().map(|ids| view! { <SelectPage ids /> })}</Transition>
                </th>
                <SortHeader update column=SortColumn::FirstName label=|l| td_string!(l, users.first_name) />
                <SortHeader update column=SortColumn::LastName label=|l| td_string!(l, users.last_name) />
                <SortHeader update column=SortColumn::LoginName label=|l| td_string!(l, users.login_name) />
                <SortHeader update column=SortColumn::Email label=|l| td_string!(l, users.email) />
                <th scope="col" class="px-3 py-3 font-semibold uppercase tracking-wide">{t!(i18n, users.roles)}</th>
                <th scope="col" class="px-3 py-3 font-semibold uppercase tracking-wide">{t!(i18n, users.status)}</th>
                <SortHeader update column=SortColumn::LastLogin label=|l| td_string!(l, users.last_login) />
                <th scope="col" class="px-3 py-3"><span class="sr-only">{t!(i18n, users.actions)}</span></th>
            </tr>
        </thead>
    }
}

/// Checks or unchecks every user on the page.
#[component]
fn SelectPage(ids: Vec<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let all_checked = {
        let ids = ids.clone();
        move || !ids.is_empty() && state.selection.with(|s| ids.iter().all(|id| s.contains(id)))
    };
    view! {
        <input type="checkbox" data-testid="select-page"
            aria-label=move || t_string!(i18n, users.select_page)
            prop:checked=all_checked
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                state.all_matching.set(false);
                state.selection.update(|s: &mut HashSet<i64>| for id in &ids {
                    if on { s.insert(*id); } else { s.remove(id); }
                });
            }
            class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
    }
}

#[component]
fn SortHeader(update: QueryUpdate, column: SortColumn, label: fn(Locale) -> &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let query = update.query();
    let aria_sort = move || match query.with(|q| (q.sort == column, q.descending)) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let arrow = move || match aria_sort() {
        "ascending" => "▲",
        "descending" => "▼",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=aria_sort class="px-3 py-3">
            <button
                type="button"
                class="inline-flex items-center gap-1 font-semibold uppercase tracking-wide hover:text-slate-900"
                on:click=move |_| update.apply(|q| {
                    q.descending = q.sort == column && !q.descending;
                    q.sort = column;
                    q.first_page();
                }, false)
            >
                {move || label(i18n.get_locale())}
                <span aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}
