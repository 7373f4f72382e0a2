//! The users table: filters that update as you type, sortable columns, paging, all in the URL.

use super::{PAGE_SIZE, SortColumn, UserQuery, UserRow, UserStatus, list_users};
use crate::{
    i18n::*,
    ui::{Gate, Need, error_text},
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::{use_navigate, use_query_map}};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <Gate need=Need::Member><UsersTable /></Gate> }
}

#[component]
fn UsersTable() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| UserQuery::from_params(|key| p.get(key))));
    let page = Resource::new(move || query.get(), list_users);
    let navigate = use_navigate();
    // Typing replaces the history entry; sorting and paging add one, so Back undoes them.
    let go = move |next: UserQuery, replace: bool| {
        let qs = next.to_query_string();
        let url = if qs.is_empty() { "/users".to_owned() } else { format!("/users?{qs}") };
        navigate(&url, NavigateOptions { replace, scroll: false, ..Default::default() });
    };
    let go = StoredValue::new(go);
    let update = move |change: &dyn Fn(&mut UserQuery), replace: bool| {
        let mut next = query.get_untracked();
        change(&mut next);
        go.with_value(|go| go(next, replace));
    };
    let update = StoredValue::new(update);
    let filter_input = move |key: &'static str, label: String| {
        let initial = query.with_untracked(|q| match key {
            "first_name" => q.filter.first_name.clone(),
            "last_name" => q.filter.last_name.clone(),
            "login_name" => q.filter.login_name.clone(),
            _ => q.filter.email.clone(),
        });
        let id = format!("filter-{key}");
        view! {
            <div>
                <label for=id.clone() class="block text-xs font-medium text-slate-600">{label}</label>
                <input
                    id=id
                    type="search"
                    value=initial
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        update.with_value(|update| update(&|q: &mut UserQuery| {
                            let filter = &mut q.filter;
                            match key {
                                "first_name" => filter.first_name = value.clone(),
                                "last_name" => filter.last_name = value.clone(),
                                "login_name" => filter.login_name = value.clone(),
                                _ => filter.email = value.clone(),
                            }
                            q.page = 0;
                        }, true));
                    }
                    class="mt-1 block w-full rounded-md border-0 px-3 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
                />
            </div>
        }
    };
    let sort_header = move |column: SortColumn, label: String| {
        let active = move || query.with(|q| q.sort == column);
        let aria_sort = move || match (active(), query.with(|q| q.descending)) {
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
            <th scope="col" aria-sort=aria_sort class="px-4 py-3">
                <button
                    type="button"
                    class="inline-flex items-center gap-1 font-semibold uppercase tracking-wide hover:text-slate-900"
                    on:click=move |_| update.with_value(|update| update(&|q: &mut UserQuery| {
                        q.descending = q.sort == column && !q.descending;
                        q.sort = column;
                        q.page = 0;
                    }, false))
                >
                    {label}
                    <span aria-hidden="true">{arrow}</span>
                </button>
            </th>
        }
    };
    let status_option = move |status: UserStatus| view! {
        <option value=status.key() selected=move || query.with(|q| q.filter.status == Some(status))>
            {move || status_text(i18n.get_locale(), status)}
        </option>
    };
    let total = move || page.get().and_then(Result::ok).map(|p| p.total);
    let error = move || page.get().and_then(Result::err).map(|e| error_text(i18n.get_locale(), &e));
    let range = move || {
        let current = query.with(|q| q.page);
        total().map(|total| {
            let first = if total == 0 { 0 } else { current * PAGE_SIZE + 1 };
            let last = (current * PAGE_SIZE + PAGE_SIZE).min(total);
            td_string!(i18n.get_locale(), users.range, first, last, total).to_string()
        })
    };
    let has_next = move || total().is_some_and(|t| (query.with(|q| q.page) + 1) * PAGE_SIZE < t);
    let has_previous = move || query.with(|q| q.page) > 0;
    view! {
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, users.title)}</h1>
        <div role="search" class="mt-6 grid grid-cols-2 gap-4 md:grid-cols-5">
            {filter_input("first_name", t_string!(i18n, users.first_name).to_owned())}
            {filter_input("last_name", t_string!(i18n, users.last_name).to_owned())}
            {filter_input("login_name", t_string!(i18n, users.login_name).to_owned())}
            {filter_input("email", t_string!(i18n, users.email).to_owned())}
            <div>
                <label for="filter-status" class="block text-xs font-medium text-slate-600">{t!(i18n, users.status)}</label>
                <select
                    id="filter-status"
                    class="mt-1 block w-full rounded-md border-0 py-1.5 pl-3 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
                    on:change=move |ev| {
                        let status = UserStatus::from_key(&event_target_value(&ev));
                        update.with_value(|update| update(&|q: &mut UserQuery| {
                            q.filter.status = status;
                            q.page = 0;
                        }, false));
                    }
                >
                    <option value="" selected=move || query.with(|q| q.filter.status.is_none())>{t!(i18n, users.any_status)}</option>
                    // One option each, not an iterator: a list's comment marker inside
                    // <select> does not survive the browser's HTML parser, so hydration failed.
                    {status_option(UserStatus::Active)}
                    {status_option(UserStatus::Locked)}
                    {status_option(UserStatus::Invited)}
                    {status_option(UserStatus::MustChangePassword)}
                </select>
            </div>
        </div>
        // Everything that reads the page resource sits in a Transition, so the server renders
        // it with the data and hydration finds the same nodes.
        <Transition>
            <p role="alert" class="mt-4 text-sm text-red-700">{error}</p>
        </Transition>
        <div class="mt-4 overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs text-slate-500">
                    <tr>
                        {sort_header(SortColumn::FirstName, t_string!(i18n, users.first_name).to_owned())}
                        {sort_header(SortColumn::LastName, t_string!(i18n, users.last_name).to_owned())}
                        {sort_header(SortColumn::LoginName, t_string!(i18n, users.login_name).to_owned())}
                        {sort_header(SortColumn::Email, t_string!(i18n, users.email).to_owned())}
                        <th scope="col" class="px-4 py-3 font-semibold uppercase tracking-wide">{t!(i18n, users.roles)}</th>
                        <th scope="col" class="px-4 py-3 font-semibold uppercase tracking-wide">{t!(i18n, users.status)}</th>
                        {sort_header(SortColumn::LastLogin, t_string!(i18n, users.last_login).to_owned())}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    <Transition>
                        {move || page.get().and_then(Result::ok).map(|page| {
                            page.rows.into_iter().map(|row| view! { <UserRowView row /> }).collect_view()
                        })}
                    </Transition>
                </tbody>
            </table>
        </div>
        <Transition>
        <nav class="mt-4 flex items-center justify-between text-sm text-slate-600" aria-label=move || t_string!(i18n, users.pages)>
            <p data-testid="users-range">{range}</p>
            <div class="flex gap-2">
                <button
                    type="button"
                    disabled=move || !has_previous()
                    on:click=move |_| update.with_value(|update| update(&|q: &mut UserQuery| q.page -= 1, false))
                    class="rounded-md bg-white px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-40"
                >
                    {t!(i18n, users.previous)}
                </button>
                <button
                    type="button"
                    disabled=move || !has_next()
                    on:click=move |_| update.with_value(|update| update(&|q: &mut UserQuery| q.page += 1, false))
                    class="rounded-md bg-white px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-40"
                >
                    {t!(i18n, users.next)}
                </button>
            </div>
        </nav>
        </Transition>
    }
}

#[component]
fn UserRowView(row: UserRow) -> impl IntoView {
    let i18n = use_i18n();
    let status = row.status;
    let roles = row
        .roles
        .iter()
        .map(|role| role.builtin_key.clone().map_or_else(|| role.name.clone(), |key| builtin_role_name(i18n.get_locale_untracked(), &key)))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <tr data-testid="user-row">
            <td class="px-4 py-3 text-slate-900">{row.first_name}</td>
            <td class="px-4 py-3 text-slate-900">{row.last_name}</td>
            <td class="px-4 py-3 font-mono text-slate-700">{row.login_name}</td>
            <td class="px-4 py-3 text-slate-700">{row.email}</td>
            <td class="px-4 py-3 text-slate-700">{roles}</td>
            <td class="px-4 py-3">
                <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">
                    {move || status_text(i18n.get_locale(), status)}
                </span>
            </td>
            <td class="px-4 py-3 text-slate-600">{row.last_login_at.map(crate::ui::format_time)}</td>
        </tr>
    }
}

fn status_text(locale: Locale, status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => td_string!(locale, users.status_active),
        UserStatus::Locked => td_string!(locale, users.status_locked),
        UserStatus::Invited => td_string!(locale, users.status_invited),
        UserStatus::MustChangePassword => td_string!(locale, users.status_must_change),
    }
}

fn builtin_role_name(locale: Locale, key: &str) -> String {
    match key {
        "administrator" => td_string!(locale, roles.administrator),
        "user_manager" => td_string!(locale, roles.user_manager),
        "partner_manager" => td_string!(locale, roles.partner_manager),
        "auditor" => td_string!(locale, roles.auditor),
        _ => td_string!(locale, roles.member),
    }
    .to_owned()
}
