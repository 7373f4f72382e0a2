//! What administrators do to users from the table (F4): row actions, bulk actions on checked
//! rows or on every user matching the filter, and the notice that reports the outcome.

use super::{
    BulkAction, BulkOutcome, MakePrimary, ResetPassword, RunBulkAction, Selection, UserQuery, UserRow, UserStatus,
};
use crate::{
    domain::{Permission, UserId},
    error::AppError,
    i18n::*,
    session::use_session,
    ui::{Confirmation, error_text, refusal_text},
};
use leptos::prelude::*;
use std::collections::HashSet;

/// What the last action did, shown above the table.
#[derive(Debug, Clone)]
pub enum Notice {
    Bulk(BulkOutcome),
    Done(String),
    Failed(AppError),
}

/// State shared by the table, its rows and the bulk bar.
#[derive(Clone, Copy)]
pub struct TableState {
    pub selection: RwSignal<HashSet<i64>>,
    /// "Select all N matching": the bulk action then goes by filter, across pages.
    pub all_matching: RwSignal<bool>,
    pub confirm: RwSignal<Option<Confirmation>>,
    pub notice: RwSignal<Option<Notice>>,
    /// Bumped after every action so the page reads the list again.
    pub version: RwSignal<u64>,
    pub bulk: ServerAction<RunBulkAction>,
    pub reset: ServerAction<ResetPassword>,
    pub make_primary: ServerAction<MakePrimary>,
}

impl TableState {
    pub fn new() -> Self {
        let state = Self {
            selection: RwSignal::new(HashSet::new()),
            all_matching: RwSignal::new(false),
            confirm: RwSignal::new(None),
            notice: RwSignal::new(None),
            version: RwSignal::new(0),
            bulk: ServerAction::new(),
            reset: ServerAction::new(),
            make_primary: ServerAction::new(),
        };
        let i18n = use_i18n();
        Effect::new(move || {
            if let Some(result) = state.bulk.value().get() {
                state.finish(result.map(Notice::Bulk));
            }
        });
        Effect::new(move || {
            if let Some(result) = state.reset.value().get() {
                state.finish(result.map(|()| Notice::Done(t_string!(i18n, users.reset_done).to_owned())));
            }
        });
        let session = use_session();
        Effect::new(move || {
            match state.make_primary.value().get() {
                // The former primary administrator's sessions ended with the transfer.
                Some(Ok(())) => {
                    session.refresh();
                    let _ = window().location().set_href(crate::ui::SIGNED_OUT_URL);
                }
                Some(Err(error)) => state.finish(Err(error)),
                None => {}
            }
        });
        state
    }

    fn finish(&self, result: Result<Notice, AppError>) {
        if let Err(AppError::Unauthenticated) = result {
            let _ = window().location().set_href(crate::ui::SIGNED_OUT_URL);
            return;
        }
        self.notice.set(Some(result.unwrap_or_else(Notice::Failed)));
        self.clear_selection();
        self.version.update(|v| *v += 1);
    }

    pub fn clear_selection(&self) {
        self.selection.update(HashSet::clear);
        self.all_matching.set(false);
    }

    /// Asks, then runs `action` on `selection`.
    fn confirm_bulk(&self, action: BulkAction, selection: Selection, count: i64) {
        let i18n = use_i18n();
        let locale = i18n.get_locale_untracked();
        let (title, detail, label) = bulk_texts(locale, action, count);
        let bulk = self.bulk;
        self.confirm.set(Some(Confirmation {
            title,
            detail,
            confirm_label: label,
            on_confirm: Callback::new(move |()| {
                bulk.dispatch(RunBulkAction { action, selection: selection.clone() });
            }),
        }));
    }
}

fn bulk_texts(locale: Locale, action: BulkAction, count: i64) -> (String, String, String) {
    match action {
        BulkAction::Lock => (
            td_string!(locale, users.confirm_lock_title, count).to_string(),
            td_string!(locale, users.confirm_lock_detail).to_owned(),
            td_string!(locale, users.lock).to_owned(),
        ),
        BulkAction::Unlock => (
            td_string!(locale, users.confirm_unlock_title, count).to_string(),
            td_string!(locale, users.confirm_unlock_detail).to_owned(),
            td_string!(locale, users.unlock).to_owned(),
        ),
        BulkAction::ForceLogout => (
            td_string!(locale, users.confirm_force_logout_title, count).to_string(),
            td_string!(locale, users.confirm_force_logout_detail).to_owned(),
            td_string!(locale, users.force_logout).to_owned(),
        ),
        BulkAction::Delete => (
            td_string!(locale, users.confirm_delete_title, count).to_string(),
            td_string!(locale, users.confirm_delete_detail).to_owned(),
            td_string!(locale, users.delete).to_owned(),
        ),
    }
}

fn outcome_text(locale: Locale, outcome: &BulkOutcome) -> String {
    let count = outcome.done;
    match outcome.action {
        BulkAction::Lock => td_string!(locale, users.outcome_lock, count).to_string(),
        BulkAction::Unlock => td_string!(locale, users.outcome_unlock, count).to_string(),
        BulkAction::ForceLogout => td_string!(locale, users.outcome_force_logout, count).to_string(),
        BulkAction::Delete => td_string!(locale, users.outcome_delete, count).to_string(),
    }
}

#[component]
pub fn NoticeBanner() -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    move || {
        let locale = i18n.get_locale();
        state.notice.get().map(|notice| match notice {
            Notice::Bulk(outcome) => {
                let skipped = outcome.skipped.clone();
                view! {
                    <div role="status" data-testid="notice" class="mt-4 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200">
                        <p class="font-medium">{outcome_text(locale, &outcome)}</p>
                        {(!skipped.is_empty()).then(|| view! {
                            <p class="mt-2">{td_string!(locale, users.skipped, count = skipped.len())}</p>
                            <ul class="mt-1 list-disc pl-5">
                                {skipped.into_iter().map(|s| view! {
                                    <li><span class="font-mono">{s.login_name}</span>": "{refusal_text(locale, s.reason)}</li>
                                }).collect_view()}
                            </ul>
                        })}
                    </div>
                }
                .into_any()
            }
            Notice::Done(text) => view! {
                <div role="status" data-testid="notice" class="mt-4 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200">{text}</div>
            }
            .into_any(),
            Notice::Failed(error) => view! {
                <div role="alert" data-testid="notice" class="mt-4 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{error_text(locale, &error)}</div>
            }
            .into_any(),
        })
    }
}

const BAR_BUTTON: &str = "rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50";

/// Appears when rows are checked: how many, "select all N matching", and the bulk actions.
#[component]
pub fn BulkBar(query: UserQuery, total: i64, page_ids: Vec<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let session = use_session();
    let can_manage = move || session.user().is_some_and(|u| u.permissions.contains(Permission::UsersManage));
    let count = move || if state.all_matching.get() { total } else { state.selection.with(|s| s.len() as i64) };
    let page_ids = StoredValue::new(page_ids);
    let page_selected = move || {
        page_ids.with_value(|ids| !ids.is_empty() && state.selection.with(|s| ids.iter().all(|id| s.contains(id))))
    };
    let on_page = page_ids.with_value(Vec::len) as i64;
    let offer_all = move || page_selected() && !state.all_matching.get() && total > on_page;
    let filter = query.filter.clone();
    let run = move |action: BulkAction| {
        let selection = if state.all_matching.get_untracked() {
            Selection::Matching(filter.clone())
        } else {
            Selection::Users(state.selection.with_untracked(|s| s.iter().copied().map(UserId).collect()))
        };
        state.confirm_bulk(action, selection, count());
    };
    let run = StoredValue::new(run);
    let button = move |action: BulkAction, label: String| view! {
        <button type="button" class=BAR_BUTTON on:click=move |_| run.with_value(|run| run(action))>{label}</button>
    };
    view! {
        <Show when=move || count() != 0>
            <div data-testid="bulk-bar" class="mt-4 flex flex-wrap items-center gap-3 rounded-md bg-indigo-50 px-4 py-2 text-sm text-indigo-900 ring-1 ring-inset ring-indigo-200">
                <span class="font-medium">{move || td_string!(i18n.get_locale(), users.selected, count = count()).to_string()}</span>
                <Show when=offer_all>
                    <button type="button" class="font-semibold underline" on:click=move |_| state.all_matching.set(true)>
                        {move || td_string!(i18n.get_locale(), users.select_all_matching, total).to_string()}
                    </button>
                </Show>
                <button type="button" class="underline" on:click=move |_| state.clear_selection()>{t!(i18n, users.clear_selection)}</button>
                <Show when=can_manage>
                    <div class="ml-auto flex flex-wrap gap-2">
                        {button(BulkAction::Lock, t_string!(i18n, users.lock).to_owned())}
                        {button(BulkAction::Unlock, t_string!(i18n, users.unlock).to_owned())}
                        {button(BulkAction::ForceLogout, t_string!(i18n, users.force_logout).to_owned())}
                        {button(BulkAction::Delete, t_string!(i18n, users.delete).to_owned())}
                    </div>
                </Show>
            </div>
        </Show>
    }
}

const MENU_ITEM: &str = "block w-full rounded px-3 py-2 text-left text-sm text-slate-700 hover:bg-slate-100";

/// The "Actions" menu of one row. Entries the actor may not use are not shown; the server
/// decides again.
#[component]
pub fn RowActions(row: UserRow) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let session = use_session();
    let me = session.user();
    let can_manage = me.as_ref().is_some_and(|u| u.permissions.contains(Permission::UsersManage));
    let is_me = me.as_ref().is_some_and(|u| u.user_id == row.id);
    let i_am_primary = me.as_ref().is_some_and(|u| u.is_primary_admin);
    // Partner staff deliver no passwords to a customer's people (S9).
    let acting = me.as_ref().is_some_and(|u| u.acting_for.is_some());
    if !can_manage || (row.is_primary_admin && !is_me) {
        return None;
    }
    let id = row.id;
    let login = row.login_name.clone();
    let locale = i18n.get_locale_untracked();
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move || {
        if let Some(menu) = menu.get() {
            let _ = menu.remove_attribute("open");
        }
    };
    let bulk_one = move |action: BulkAction| {
        close();
        state.confirm_bulk(action, Selection::Users(vec![id]), 1);
    };
    let reset = {
        let login = login.clone();
        move |_| {
            close();
            let action = state.reset;
            state.confirm.set(Some(Confirmation {
                title: td_string!(locale, users.confirm_reset_title, login = login.clone()).to_string(),
                detail: td_string!(locale, users.confirm_reset_detail).to_owned(),
                confirm_label: td_string!(locale, users.reset_password).to_owned(),
                on_confirm: Callback::new(move |()| {
                    action.dispatch(ResetPassword { id });
                }),
            }));
        }
    };
    let make_primary = {
        let login = login.clone();
        move |_| {
            close();
            let action = state.make_primary;
            state.confirm.set(Some(Confirmation {
                title: td_string!(locale, users.confirm_primary_title, login = login.clone()).to_string(),
                detail: td_string!(locale, users.confirm_primary_detail).to_owned(),
                confirm_label: td_string!(locale, users.make_primary).to_owned(),
                on_confirm: Callback::new(move |()| {
                    action.dispatch(MakePrimary { id });
                }),
            }));
        }
    };
    let active = matches!(row.status, UserStatus::Active | UserStatus::MustChangePassword);
    let locked = row.status == UserStatus::Locked;
    let invited = row.status == UserStatus::Invited;
    Some(view! {
        <details class="relative inline-block text-left" node_ref=menu>
            <summary
                class="cursor-pointer list-none rounded-md px-2 py-1 text-sm font-medium text-slate-600 hover:bg-slate-100"
                aria-label=td_string!(locale, users.actions_for, login = login.clone()).to_string()
            >
                {t!(i18n, users.actions)} <span aria-hidden="true">"▾"</span>
            </summary>
            <div class="absolute right-0 z-10 mt-1 w-60 rounded-md bg-white p-1 shadow-lg ring-1 ring-slate-200">
                <a href=format!("/users/{}", id.0) class=MENU_ITEM>{t!(i18n, users.edit)}</a>
                {(!is_me && !invited && !acting).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=reset>{t!(i18n, users.reset_password)}</button>
                })}
                {(!is_me && !locked).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=move |_| bulk_one(BulkAction::Lock)>{t!(i18n, users.lock)}</button>
                })}
                {(!is_me && locked).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=move |_| bulk_one(BulkAction::Unlock)>{t!(i18n, users.unlock)}</button>
                })}
                {(!is_me && !invited).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=move |_| bulk_one(BulkAction::ForceLogout)>{t!(i18n, users.force_logout)}</button>
                })}
                {(!is_me).then(|| view! {
                    <button type="button" class=format!("{MENU_ITEM} text-red-700") on:click=move |_| bulk_one(BulkAction::Delete)>{t!(i18n, users.delete)}</button>
                })}
                {(i_am_primary && !is_me && active).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=make_primary>{t!(i18n, users.make_primary)}</button>
                })}
            </div>
        </details>
    })
}
