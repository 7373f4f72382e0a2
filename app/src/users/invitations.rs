//! Pending invitations under the users table (F3): resend or cancel each.

use super::{CancelInvitation, PendingInvitation, ResendInvitation, actions::{Done, Notice, TableState}, pending_invitations};
use crate::{
    domain::Permission,
    i18n::*,
    session::use_session,
    ui::{Confirmation, format_time},
};
use leptos::prelude::*;

#[component]
pub fn PendingInvitations() -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let resend = ServerAction::<ResendInvitation>::new();
    let cancel = ServerAction::<CancelInvitation>::new();
    let invitations = Resource::new(
        move || (state.version.get(), resend.version().get(), cancel.version().get()),
        |_| pending_invitations(),
    );
    Effect::new(move || {
        if let Some(result) = resend.value().get() {
            state.notice.set(Some(result.map_or_else(Notice::Failed, |()| Notice::Done(Done::InvitationResent))));
        }
    });
    Effect::new(move || {
        if let Some(result) = cancel.value().get() {
            state.notice.set(Some(result.map_or_else(Notice::Failed, |()| Notice::Done(Done::InvitationCancelled))));
            state.version.update(|v| *v += 1);
        }
    });
    view! {
        <section class="mt-10" aria-labelledby="invitations-title">
            <h2 id="invitations-title" class="text-lg font-semibold text-slate-900">{t!(i18n, invitations.title)}</h2>
            <Transition>
                {move || invitations.get().and_then(Result::ok).map(|rows| if rows.is_empty() {
                    view! { <p data-testid="no-invitations" class="mt-3 text-sm text-slate-600">{t!(i18n, invitations.none)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-3 divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
                            {rows.into_iter().map(|invitation| view! { <InvitationRow invitation resend cancel /> }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn InvitationRow(
    invitation: PendingInvitation,
    resend: ServerAction<ResendInvitation>,
    cancel: ServerAction<CancelInvitation>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<TableState>();
    let session = use_session();
    let can_manage = session.user().is_some_and(|u| u.permissions.contains(Permission::UsersManage));
    let id = invitation.user_id;
    let email = invitation.email.clone();
    let expired = invitation.expired;
    let ask_cancel = move |_| {
        let locale = i18n.get_locale_untracked();
        state.confirm.set(Some(Confirmation::new(
            td_string!(locale, invitations.confirm_cancel_title, email = email.clone()).to_string(),
            td_string!(locale, invitations.confirm_cancel_detail),
            td_string!(locale, invitations.cancel),
            move || drop(cancel.dispatch(CancelInvitation { id })),
        )));
    };
    view! {
        <li data-testid="invitation" class="flex flex-wrap items-center gap-4 px-4 py-3 text-sm">
            <span class="font-medium text-slate-900">{invitation.email.clone()}</span>
            <span class="font-mono text-slate-600">{invitation.login_name}</span>
            <span class="text-slate-500">{t!(i18n, invitations.invited)} " " {format_time(invitation.invited_at)}</span>
            <span class=if expired { "text-red-700" } else { "text-slate-500" }>
                {move || if expired { t_string!(i18n, invitations.expired).to_owned() } else {
                    format!("{} {}", t_string!(i18n, invitations.expires), format_time(invitation.expires_at))
                }}
            </span>
            {can_manage.then(|| view! {
                <div class="ml-auto flex gap-2">
                    <button type="button" class="rounded-md px-2 py-1 font-medium text-indigo-700 hover:bg-indigo-50"
                        on:click=move |_| { resend.dispatch(ResendInvitation { id }); }>
                        {t!(i18n, invitations.resend)}
                    </button>
                    <button type="button" class="rounded-md px-2 py-1 font-medium text-red-700 hover:bg-red-50" on:click=ask_cancel>
                        {t!(i18n, invitations.cancel)}
                    </button>
                </div>
            })}
        </li>
    }
}
