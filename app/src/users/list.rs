//! The users table: filters that update as you type, sortable columns, paging, all in the URL.

use super::{
    PAGE_SIZE, SortColumn, UserFilter, UserQuery, UserRow, UserStatus,
    actions::{BulkBar, NoticeBanner, RowActions, TableState},
    invitations::PendingInvitations,
    list_users,
};
use crate::{
    domain::{Permission, RoleId},
    i18n::*,
    roles::list_roles,
    session::use_session,
    ui::{ConfirmDialog, Gate, Need, error_text, leave_if_signed_out},
};
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::{use_navigate, use_query_map}};
use std::collections::HashSet;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <Gate need=Need::Member><UsersTable /></Gate> }
}

#[component]
fn UsersTable() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| UserQuery::from_params(|key| p.get(key))));
    let state = TableState::new();
    provide_context(state);
    let page = Resource::new(move || (query.get(), state.version.get()), |(query, _)| list_users(query));
    let roles = Resource::new(|| (), |_| list_roles());
    // Checked users stay checked across filters and pages; "all matching" meant the old filter.
    Effect::new(move |previous: Option<UserQuery>| {
        let current = query.get();
        if previous.is_some_and(|p| p.filter != current.filter) {
            state.all_matching.set(false);
        }
        current
    });
    let session = use_session();
    let can_manage = move || session.user().is_some_and(|u| u.permissions.contains(Permission::UsersManage));
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
    // The text filters, emptied by hand when "Clear the filters" runs: their value is the
    // user's typing, never redrawn from the URL (that would race with fast typing).
    let text_filters: [NodeRef<leptos::html::Input>; 4] = std::array::from_fn(|_| NodeRef::new());
    let filter_input = move |key: &'static str, label: fn(Locale) -> &'static str, node_ref: NodeRef<leptos::html::Input>| {
        let initial = query.with_untracked(|q| match key {
            "first_name" => q.filter.first_name.clone(),
            "last_name" => q.filter.last_name.clone(),
            "login_name" => q.filter.login_name.clone(),
            _ => q.filter.email.clone(),
        });
        let id = format!("filter-{key}");
        view! {
            <div>
                <label for=id.clone() class="block text-xs font-medium text-slate-600">{move || label(i18n.get_locale())}</label>
                <input
                    id=id
                    type="search"
                    value=initial
                    node_ref=node_ref
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
    let sort_header = move |column: SortColumn, label: fn(Locale) -> &'static str| {
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
            <th scope="col" aria-sort=aria_sort class="px-3 py-3">
                <button
                    type="button"
                    class="inline-flex items-center gap-1 font-semibold uppercase tracking-wide hover:text-slate-900"
                    on:click=move |_| update.with_value(|update| update(&|q: &mut UserQuery| {
                        q.descending = q.sort == column && !q.descending;
                        q.sort = column;
                        q.page = 0;
                    }, false))
                >
                    {move || label(i18n.get_locale())}
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
    let error = move || {
        page.get().and_then(Result::err).map(|e| {
            leave_if_signed_out(&e);
            error_text(i18n.get_locale(), &e)
        })
    };
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
    let clear_filters = Callback::new(move |()| {
        for input in text_filters.iter().filter_map(NodeRef::get_untracked) {
            input.set_value("");
        }
        update.with_value(|update| update(&|q: &mut UserQuery| {
            q.filter = UserFilter::default();
            q.page = 0;
        }, false));
    });
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, users.title)}</h1>
            <Transition>
                {move || can_manage().then(|| view! {
                    <div class="flex flex-wrap gap-2">
                        <a href="/users/import" class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-indigo-700 shadow-sm ring-1 ring-inset ring-indigo-200 hover:bg-indigo-50">
                            {t!(i18n, import.title)}
                        </a>
                        <a href="/users/new" class="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">
                            {t!(i18n, users.add)}
                        </a>
                    </div>
                })}
            </Transition>
        </div>
        <ConfirmDialog pending=state.confirm />
        <div role="search" class="mt-6 grid grid-cols-2 gap-4 md:grid-cols-4 lg:grid-cols-7">
            {filter_input("first_name", |l| td_string!(l, users.first_name), text_filters[0])}
            {filter_input("last_name", |l| td_string!(l, users.last_name), text_filters[1])}
            {filter_input("login_name", |l| td_string!(l, users.login_name), text_filters[2])}
            {filter_input("email", |l| td_string!(l, users.email), text_filters[3])}
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
            <div>
                <label for="filter-factor" class="block text-xs font-medium text-slate-600">{t!(i18n, users.factor_filter)}</label>
                <select
                    id="filter-factor"
                    class="mt-1 block w-full rounded-md border-0 py-1.5 pl-3 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
                    on:change=move |ev| {
                        let with = match event_target_value(&ev).as_str() {
                            "on" => Some(true),
                            "off" => Some(false),
                            _ => None,
                        };
                        update.with_value(|update| update(&|q: &mut UserQuery| {
                            q.filter.second_factor = with;
                            q.page = 0;
                        }, false));
                    }
                >
                    <option value="" selected=move || query.with(|q| q.filter.second_factor.is_none())>{t!(i18n, users.factor_any)}</option>
                    <option value="on" selected=move || query.with(|q| q.filter.second_factor == Some(true))>{t!(i18n, users.factor_with)}</option>
                    <option value="off" selected=move || query.with(|q| q.filter.second_factor == Some(false))>{t!(i18n, users.factor_without)}</option>
                </select>
            </div>
            <div>
                <label for="filter-role" class="block text-xs font-medium text-slate-600">{t!(i18n, users.role)}</label>
                // The options come as HTML: a list's comment markers cannot live inside <select>.
                <Transition>
                    <select
                        id="filter-role"
                        class="mt-1 block w-full rounded-md border-0 py-1.5 pl-3 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
                        on:change=move |ev| {
                            let role = event_target_value(&ev).parse::<RoleId>().ok();
                            update.with_value(|update| update(&|q: &mut UserQuery| {
                                q.filter.role = role;
                                q.page = 0;
                            }, false));
                        }
                        inner_html=move || {
                            let locale = i18n.get_locale();
                            let selected = query.with(|q| q.filter.role);
                            let mut html = format!("<option value=\"\">{}</option>", escape(td_string!(locale, users.any_role)));
                            for role in roles.get().and_then(Result::ok).unwrap_or_default() {
                                let name = role.builtin_key.map_or_else(|| role.name.clone(), |role| role.name(locale));
                                let mark = if selected == Some(role.id) { " selected" } else { "" };
                                html.push_str(&format!("<option value=\"{}\"{mark}>{}</option>", role.id, escape(&name)));
                            }
                            html
                        }
                    />
                </Transition>
            </div>
        </div>
        <NoticeBanner />
        <Transition>
            {move || page.get().and_then(Result::ok).map(|loaded| {
                let page_ids: Vec<i64> = loaded.rows.iter().map(|r| r.id.0).collect();
                view! { <BulkBar query=query.get_untracked() total=loaded.total page_ids /> }
            })}
        </Transition>
        // Everything that reads the page resource sits in a Transition, so the server renders
        // it with the data and hydration finds the same nodes.
        <Transition>
            <p role="alert" class="mt-4 text-sm text-red-700">{error}</p>
        </Transition>
        <div class="mt-4 overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm">
                <thead class="bg-slate-50 text-left text-xs text-slate-500">
                    <tr>
                        <th scope="col" class="w-10 px-4 py-3">
                            <Transition>
                                {move || page.get().and_then(Result::ok).map(|p| {
                                    let ids: Vec<i64> = p.rows.iter().map(|r| r.id.0).collect();
                                    let all_checked = {
                                        let ids = ids.clone();
                                        move || !ids.is_empty() && state.selection.with(|s| ids.iter().all(|id| s.contains(id)))
                                    };
                                    view! {
                                        <input type="checkbox" data-testid="select-page"
                                            aria-label=move || t_string!(i18n, users.select_page)
                                            prop:checked=all_checked.clone()
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                state.all_matching.set(false);
                                                state.selection.update(|s: &mut HashSet<i64>| for id in &ids {
                                                    if on { s.insert(*id); } else { s.remove(id); }
                                                });
                                            }
                                            class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
                                    }
                                })}
                            </Transition>
                        </th>
                        {sort_header(SortColumn::FirstName, |l| td_string!(l, users.first_name))}
                        {sort_header(SortColumn::LastName, |l| td_string!(l, users.last_name))}
                        {sort_header(SortColumn::LoginName, |l| td_string!(l, users.login_name))}
                        {sort_header(SortColumn::Email, |l| td_string!(l, users.email))}
                        <th scope="col" class="px-3 py-3 font-semibold uppercase tracking-wide">{t!(i18n, users.roles)}</th>
                        <th scope="col" class="px-3 py-3 font-semibold uppercase tracking-wide">{t!(i18n, users.status)}</th>
                        {sort_header(SortColumn::LastLogin, |l| td_string!(l, users.last_login))}
                        <th scope="col" class="px-3 py-3"><span class="sr-only">{t!(i18n, users.actions)}</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    <Transition>
                        {move || page.get().and_then(Result::ok).map(|page| {
                            if page.rows.is_empty() {
                                view! { <NoMatch filtered=query.with(|q| q.filter != UserFilter::default()) clear=clear_filters /> }.into_any()
                            } else {
                                page.rows.into_iter().map(|row| view! { <UserRowView row /> }).collect_view().into_any()
                            }
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
        <PendingInvitations />
    }
}

#[component]
fn UserRowView(row: UserRow) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let status = row.status;
    let id = row.id.0;
    let login = row.login_name.clone();
    let checked = move || state.all_matching.get() || state.selection.with(|s| s.contains(&id));
    let role_list = row.roles.clone();
    let roles = move || {
        let locale = i18n.get_locale();
        role_list
            .iter()
            .map(|role| role.builtin_key.map_or_else(|| role.name.clone(), |role| role.name(locale)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <tr data-testid="user-row" data-login=row.login_name.clone()>
            <td class="px-3 py-3">
                <input type="checkbox" data-testid="select-row"
                    aria-label=move || td_string!(i18n.get_locale(), users.select_row, login = login.clone()).to_string()
                    prop:checked=checked
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        state.all_matching.set(false);
                        state.selection.update(|s| if on { s.insert(id); } else { s.remove(&id); });
                    }
                    class="h-4 w-4 rounded border-slate-300 text-indigo-600" />
            </td>
            <td class="px-3 py-3 text-slate-900">
                {row.first_name.clone()}
                // The comma keeps a name such as "Admin" apart from the badge for screen readers.
                {row.is_primary_admin.then(|| view! {
                    <span class="sr-only">", "</span>
                    <span class="ml-2 whitespace-nowrap rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700">{t!(i18n, users.primary_badge)}</span>
                })}
            </td>
            <td class="px-3 py-3 text-slate-900">{row.last_name.clone()}</td>
            <td class="px-3 py-3 font-mono text-slate-700 wrap-anywhere">{row.login_name.clone()}</td>
            <td class="px-3 py-3 text-slate-700 wrap-anywhere">{row.email.clone()}</td>
            <td class="px-3 py-3 text-slate-700">{roles}</td>
            <td class="px-3 py-3">
                <span class="whitespace-nowrap rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">
                    {move || status_text(i18n.get_locale(), status)}
                </span>
                {row.has_second_factor.then(|| view! {
                    <span data-testid="factor-on" class="ml-1 whitespace-nowrap rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-inset ring-emerald-200"
                        title=move || t_string!(i18n, users.factor_on_label)>
                        <span aria-hidden="true">{t!(i18n, users.factor_on)}</span>
                        <span class="sr-only">{move || format!(", {}", t_string!(i18n, users.factor_on_label))}</span>
                    </span>
                })}
            </td>
            <td class="px-3 py-3 text-slate-600">{row.last_login_at.map(crate::ui::format_time)}</td>
            <td class="px-3 py-3 text-right"><RowActions row=row.clone() /></td>
        </tr>
    }
}

/// The table's only row when nothing matches: says so, and offers to clear the filters.
#[component]
fn NoMatch(filtered: bool, clear: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <tr data-testid="no-match">
            <td colspan="9" class="px-4 py-10 text-center text-sm text-slate-600">
                <p>{t!(i18n, users.no_match)}</p>
                {filtered.then(|| view! {
                    <button type="button" on:click=move |_| clear.run(())
                        class="mt-3 rounded-md bg-white px-3 py-1.5 font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
                        {t!(i18n, users.clear_filters)}
                    </button>
                })}
            </td>
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

/// Escapes text for the role filter's option HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
