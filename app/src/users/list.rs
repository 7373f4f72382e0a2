//! The users page: its filter bar, sortable head, rows and pager, with the query (filters,
//! sort, page) kept in the URL so Back, reload and shared links show the same table.

use super::{
    UserFilter, UserQuery, UserRow, UserStatus,
    actions::{BulkBar, NoticeBanner, RowActions, TableState},
    filter_bar::{FilterBar, TextFilters},
    invitations::PendingInvitations,
    list_users,
    pager::{PageEnds, Pager},
    table_head::TableHead,
};
use crate::{
    domain::Permission,
    i18n::*,
    session::use_session,
    ui::{ConfirmDialog, Gate, Need, error_text, leave_if_signed_out},
};
use crate::ui::style;
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::{use_navigate, use_query_map}};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <Gate need=Need::Member><UsersTable /></Gate> }
}

/// Changes the page's query by changing the URL, the one place the query lives: typing
/// replaces the history entry, sorting and paging add one, so Back undoes them.
#[derive(Clone, Copy)]
pub(super) struct QueryUpdate {
    query: Memo<UserQuery>,
    go: Callback<(UserQuery, bool)>,
}

impl QueryUpdate {
    pub(super) fn query(&self) -> Memo<UserQuery> {
        self.query
    }

    /// `change` applied to the current query; back to its first page unless it changed the page.
    pub(super) fn apply(&self, change: impl FnOnce(&mut UserQuery), replace: bool) {
        let mut next = self.query.get_untracked();
        change(&mut next);
        self.go.run((next, replace));
    }

    /// A filter changed: its first page, replacing the history entry while typing.
    pub(super) fn filter(&self, change: impl FnOnce(&mut UserFilter), replace: bool) {
        self.apply(|q| { change(&mut q.filter); q.first_page(); }, replace);
    }
}

#[component]
fn UsersTable() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| UserQuery::from_params(|key| p.get(key))));
    let state = TableState::new();
    provide_context(state);
    let page = Resource::new(move || (query.get(), state.version.get()), |(query, _)| list_users(query));
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
    let go = Callback::new(move |(next, replace): (UserQuery, bool)| {
        let qs = next.to_query_string();
        let url = if qs.is_empty() { "/users".to_owned() } else { format!("/users?{qs}") };
        navigate(&url, NavigateOptions { replace, scroll: false, ..Default::default() });
    });
    let update = QueryUpdate { query, go };
    // The text filters, emptied by hand when "Clear the filters" runs: their value is the
    // user's typing, never redrawn from the URL (that would race with fast typing).
    let text_filters: TextFilters = std::array::from_fn(|_| NodeRef::new());
    let clear_filters = Callback::new(move |()| {
        for input in text_filters.iter().filter_map(NodeRef::get_untracked) {
            input.set_value("");
        }
        update.filter(|f| *f = UserFilter::default(), false);
    });
    let ends = Signal::derive(move || page.get().and_then(Result::ok).map(|p| query.with_untracked(|q| PageEnds::of(&p, q))));
    let error = move || {
        page.get().and_then(Result::err).map(|e| {
            leave_if_signed_out(&e);
            error_text(i18n.get_locale(), &e)
        })
    };
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, users.title)}</h1>
            <Transition>
                {move || can_manage().then(|| view! {
                    <div class="flex flex-wrap gap-2">
                        <a href="/users/import" class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-indigo-700 shadow-sm ring-1 ring-inset ring-indigo-200 hover:bg-indigo-50">
                            {t!(i18n, import.title)}
                        </a>
                        <a href="/users/new" class=style::PRIMARY_BUTTON>
                            {t!(i18n, users.add)}
                        </a>
                    </div>
                })}
            </Transition>
        </div>
        <ConfirmDialog pending=state.confirm />
        <FilterBar update text_filters />
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
                <TableHead update page_ids=Signal::derive(move || page.get().and_then(Result::ok).map(|p| p.rows.iter().map(|r| r.id.0).collect())) />
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
        <Pager update ends />
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

pub(super) fn status_text(locale: Locale, status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => td_string!(locale, users.status_active),
        UserStatus::Locked => td_string!(locale, users.status_locked),
        UserStatus::Invited => td_string!(locale, users.status_invited),
        UserStatus::MustChangePassword => td_string!(locale, users.status_must_change),
    }
}
