//! What administrators do to users from the table (F4): row actions, bulk actions on checked
//! rows or on every user matching the filter, and the notice that reports the outcome.

use super::{
    BulkAction, BulkOutcome, MakePrimary, MatchCount, PreviewBulkAction, ResetFactors, ResetPassword, RunBulkAction, Selection, UserQuery, UserRow,
    UserStatus,
};
use crate::{
    domain::{Permission, UserId},
    error::AppError,
    i18n::*,
    session::use_session,
    ui::{Confirmation, error_text, menu, refusal_text},
};
use leptos::prelude::*;
use std::collections::HashSet;

/// What the last action did, shown above the table (in the language of the moment).
#[derive(Debug, Clone)]
pub enum Notice {
    Bulk(BulkOutcome),
    Done(Done),
    Failed(AppError),
}

/// A single action that succeeded.
#[derive(Debug, Clone)]
pub enum Done {
    PasswordReset,
    FactorsReset,
    InvitationResent,
    InvitationCancelled,
    /// "Add user" brought the administrator back here.
    UserAdded { name: String, email: String, invited: bool },
}

impl Done {
    fn text(&self, locale: Locale) -> String {
        match self {
            Self::PasswordReset => td_string!(locale, users.reset_done).to_owned(),
            Self::FactorsReset => td_string!(locale, users.reset_factors_done).to_owned(),
            Self::InvitationResent => td_string!(locale, invitations.resent).to_owned(),
            Self::InvitationCancelled => td_string!(locale, invitations.cancelled).to_owned(),
            Self::UserAdded { name, email, invited: true } => {
                td_string!(locale, users.added_invitation, name = name.clone(), email = email.clone()).to_string()
            }
            Self::UserAdded { name, invited: false, .. } => td_string!(locale, users.added_password, name = name.clone()).to_string(),
        }
    }
}

/// A notice another page leaves for the table: "Add user" returns to it and names the user.
#[derive(Clone, Copy)]
pub struct CarriedNotice(pub RwSignal<Option<Done>>);

pub fn provide_carried_notice() {
    provide_context(CarriedNotice(RwSignal::new(None)));
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
    /// Asks the server what a bulk action would do, to say it before confirming.
    pub preview: ServerAction<PreviewBulkAction>,
    /// The selection the last preview was asked for: what the confirmed action acts on.
    previewed: StoredValue<Option<Selection>>,
    pub reset: ServerAction<ResetPassword>,
    pub reset_factors: ServerAction<ResetFactors>,
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
            preview: ServerAction::new(),
            previewed: StoredValue::new(None),
            reset: ServerAction::new(),
            reset_factors: ServerAction::new(),
            make_primary: ServerAction::new(),
        };
        if let Some(done) = use_context::<CarriedNotice>().and_then(|carried| carried.0.try_update(Option::take).flatten()) {
            state.notice.set(Some(Notice::Done(done)));
        }
        let i18n = use_i18n();
        Effect::new(move || {
            if let Some(result) = state.bulk.value().get() {
                state.finish(result.map(Notice::Bulk));
            }
        });
        Effect::new(move || match state.preview.value().get() {
            Some(Ok(outcome)) => {
                if let Some(selection) = state.previewed.get_value() {
                    state.confirm.set(Some(bulk_confirmation(i18n.get_locale_untracked(), outcome, selection, state.bulk)));
                }
            }
            Some(Err(error)) => state.finish(Err(error)),
            None => {}
        });
        Effect::new(move || {
            if let Some(result) = state.reset.value().get() {
                state.finish(result.map(|()| Notice::Done(Done::PasswordReset)));
            }
        });
        Effect::new(move || {
            if let Some(result) = state.reset_factors.value().get() {
                state.finish(result.map(|()| Notice::Done(Done::FactorsReset)));
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

    /// Asks the server what `action` would do to `selection`, then asks the administrator.
    fn ask_bulk(&self, action: BulkAction, selection: Selection) {
        self.previewed.set_value(Some(selection.clone()));
        self.preview.dispatch(PreviewBulkAction { action, selection });
    }
}

/// "Delete 2 users?" with who will be skipped and why, or why nothing can be done.
fn bulk_confirmation(locale: Locale, outcome: BulkOutcome, selection: Selection, bulk: ServerAction<RunBulkAction>) -> Confirmation {
    let action = outcome.action;
    let count = outcome.done;
    let (title, detail, label) = match action {
        BulkAction::Lock => (
            td_string!(locale, users.confirm_lock_title, count).to_string(),
            td_string!(locale, users.confirm_lock_detail),
            td_string!(locale, users.lock),
        ),
        BulkAction::Unlock => (
            td_string!(locale, users.confirm_unlock_title, count).to_string(),
            td_string!(locale, users.confirm_unlock_detail),
            td_string!(locale, users.unlock),
        ),
        BulkAction::ForceLogout => (
            td_string!(locale, users.confirm_force_logout_title, count).to_string(),
            td_string!(locale, users.confirm_force_logout_detail),
            td_string!(locale, users.force_logout),
        ),
        BulkAction::Delete => (
            td_string!(locale, users.confirm_delete_title, count).to_string(),
            td_string!(locale, users.confirm_delete_detail),
            td_string!(locale, users.delete),
        ),
    };
    let skipped = skipped_lines(locale, &outcome);
    let heading = td_string!(locale, users.will_skip, count = outcome.skipped.len()).to_string();
    if count == 0 {
        return Confirmation::new(td_string!(locale, users.nothing_to_do), "", label, || ())
            .with_list(heading, skipped)
            .nothing_to_do();
    }
    Confirmation::new(title, detail, label, move || drop(bulk.dispatch(RunBulkAction { action, selection: selection.clone() })))
        .with_list(heading, skipped)
}

fn skipped_lines(locale: Locale, outcome: &BulkOutcome) -> Vec<String> {
    outcome.skipped.iter().map(|s| format!("{}{} {}", s.login_name, td_string!(locale, users.colon), refusal_text(locale, s.reason))).collect()
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
                let skipped = skipped_lines(locale, &outcome);
                view! {
                    <div role="status" data-testid="notice" class="mt-4 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200">
                        <p class="font-medium">{outcome_text(locale, &outcome)}</p>
                        {(!skipped.is_empty()).then(|| view! {
                            <p class="mt-2">{td_string!(locale, users.skipped, count = skipped.len())}</p>
                            <ul class="mt-1 list-disc pl-5">
                                {skipped.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                            </ul>
                        })}
                    </div>
                }
                .into_any()
            }
            Notice::Done(done) => view! {
                <div role="status" data-testid="notice" class="mt-4 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200">{done.text(locale)}</div>
            }
            .into_any(),
            Notice::Failed(error) => view! {
                <div role="alert" data-testid="notice" class="mt-4 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{error_text(locale, &error)}</div>
            }
            .into_any(),
        })
    }
}

const BAR_BUTTON: &str = "rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-50";

/// Appears when users are checked (on any page, under any filter): how many, how many of them
/// the current page does not show, "select all N matching", and the bulk actions.
#[component]
pub fn BulkBar(query: UserQuery, total: MatchCount, page_ids: Vec<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let session = use_session();
    let can_manage = move || session.user().is_some_and(|u| u.permissions.contains(Permission::UsersManage));
    let count = move || if state.all_matching.get() { total.at_least() } else { state.selection.with(|s| s.len() as i64) };
    let page_ids = StoredValue::new(page_ids);
    let page_selected = move || {
        page_ids.with_value(|ids| !ids.is_empty() && state.selection.with(|s| ids.iter().all(|id| s.contains(id))))
    };
    let elsewhere = move || {
        if state.all_matching.get() {
            return 0;
        }
        page_ids.with_value(|ids| state.selection.with(|s| s.iter().filter(|id| !ids.contains(id)).count()))
    };
    let on_page = page_ids.with_value(Vec::len) as i64;
    let offer_all = move || page_selected() && !state.all_matching.get() && total.at_least() > on_page;
    let filter = query.filter.clone();
    let run = move |action: BulkAction| {
        let selection = if state.all_matching.get_untracked() {
            Selection::Matching(filter.clone())
        } else {
            Selection::Users(state.selection.with_untracked(|s| s.iter().copied().map(UserId).collect()))
        };
        state.ask_bulk(action, selection);
    };
    let run = StoredValue::new(run);
    let button = move |action: BulkAction, label: fn(Locale) -> &'static str| view! {
        <button type="button" class=BAR_BUTTON disabled=move || state.preview.pending().get()
            on:click=move |_| run.with_value(|run| run(action))>
            {move || label(i18n.get_locale())}
        </button>
    };
    view! {
        <Show when=move || count() != 0>
            <div data-testid="bulk-bar" class="mt-4 flex flex-wrap items-center gap-3 rounded-md bg-indigo-50 px-4 py-2 text-sm text-indigo-900 ring-1 ring-inset ring-indigo-200">
                <span class="font-medium" data-testid="selected-count">
                    {move || match total {
                        MatchCount::MoreThan(_) if state.all_matching.get() => {
                            td_string!(i18n.get_locale(), users.selected_more_than, count = total.label(i18n.get_locale())).to_string()
                        }
                        _ => td_string!(i18n.get_locale(), users.selected, count = count()).to_string(),
                    }}
                    {move || (elsewhere() > 0).then(|| format!(" ({})", td_string!(i18n.get_locale(), users.selected_elsewhere, count = elsewhere())))}
                </span>
                <Show when=offer_all>
                    <button type="button" class="font-semibold underline" on:click=move |_| state.all_matching.set(true)>
                        {move || match total {
                            MatchCount::MoreThan(_) => {
                                td_string!(i18n.get_locale(), users.select_all_matching_more_than, count = total.label(i18n.get_locale())).to_string()
                            }
                            MatchCount::Exactly(n) => td_string!(i18n.get_locale(), users.select_all_matching, count = n).to_string(),
                        }}
                    </button>
                </Show>
                <button type="button" class="underline" on:click=move |_| state.clear_selection()>{t!(i18n, users.clear_selection)}</button>
                <Show when=can_manage>
                    <div class="ml-auto flex flex-wrap gap-2">
                        {button(BulkAction::Lock, |l| td_string!(l, users.lock))}
                        {button(BulkAction::Unlock, |l| td_string!(l, users.unlock))}
                        {button(BulkAction::ForceLogout, |l| td_string!(l, users.force_logout))}
                        {button(BulkAction::Delete, |l| td_string!(l, users.delete))}
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
    let menu_ref = NodeRef::<leptos::html::Details>::new();
    let panel = NodeRef::<leptos::html::Div>::new();
    let close = move || {
        if let Some(menu) = menu_ref.get() {
            let _ = menu.remove_attribute("open");
        }
    };
    let bulk_one = move |action: BulkAction| {
        close();
        state.ask_bulk(action, Selection::Users(vec![id]));
    };
    let reset = {
        let login = login.clone();
        move |_| {
            close();
            let locale = i18n.get_locale_untracked();
            let action = state.reset;
            state.confirm.set(Some(Confirmation::new(
                td_string!(locale, users.confirm_reset_title, login = login.clone()).to_string(),
                td_string!(locale, users.confirm_reset_detail),
                td_string!(locale, users.reset_password),
                move || drop(action.dispatch(ResetPassword { id })),
            )));
        }
    };
    let reset_factors = {
        let login = login.clone();
        move |_| {
            close();
            let locale = i18n.get_locale_untracked();
            let action = state.reset_factors;
            state.confirm.set(Some(Confirmation::new(
                td_string!(locale, users.confirm_reset_factors_title, login = login.clone()).to_string(),
                td_string!(locale, users.confirm_reset_factors_detail),
                td_string!(locale, users.reset_factors),
                move || drop(action.dispatch(ResetFactors { id })),
            )));
        }
    };
    let make_primary = {
        let login = login.clone();
        move |_| {
            close();
            let locale = i18n.get_locale_untracked();
            let action = state.make_primary;
            state.confirm.set(Some(Confirmation::new(
                td_string!(locale, users.confirm_primary_title, login = login.clone()).to_string(),
                td_string!(locale, users.confirm_primary_detail),
                td_string!(locale, users.make_primary),
                move || drop(action.dispatch(MakePrimary { id })),
            )));
        }
    };
    let active = matches!(row.status, UserStatus::Active | UserStatus::MustChangePassword);
    let locked = row.status == UserStatus::Locked;
    let invited = row.status == UserStatus::Invited;
    let has_factor = row.has_second_factor;
    let label = move || td_string!(i18n.get_locale(), users.actions_for, login = login.clone()).to_string();
    Some(view! {
        <details class="relative inline-block text-left" data-menu node_ref=menu_ref on:toggle=move |_| menu::on_toggle(menu_ref.get(), panel.get())>
            <summary
                class="cursor-pointer list-none whitespace-nowrap rounded-md px-2 py-1 text-sm font-medium text-slate-600 hover:bg-slate-100"
                aria-label=label
            >
                {t!(i18n, users.actions)} <span aria-hidden="true">"▾"</span>
            </summary>
            <div node_ref=panel data-testid="row-menu" class="absolute right-0 z-40 mt-1 w-60 rounded-md bg-white p-1 shadow-lg ring-1 ring-slate-200">
                <a href=format!("/users/{}", id.0) class=MENU_ITEM>{t!(i18n, users.edit)}</a>
                {(!is_me && !invited && !acting).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=reset>{t!(i18n, users.reset_password)}</button>
                })}
                {(!is_me && has_factor && !acting).then(|| view! {
                    <button type="button" class=MENU_ITEM on:click=reset_factors>{t!(i18n, users.reset_factors)}</button>
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
