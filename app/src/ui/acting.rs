//! Acting for a customer (F7): the banner every page shows while partner staff act for one,
//! the page shown once that access has ended, and the account picker in the header.

use super::load_page;
use crate::{
    i18n::*,
    partners::ActFor,
    session::{ActingFor, use_session},
};
use leptos::prelude::*;

/// The action that switches the session's account; once it succeeds, a full page load
/// follows so nothing of the other account's pages survives.
fn switch() -> ServerAction<ActFor> {
    let action = ServerAction::<ActFor>::new();
    Effect::new(move || {
        match action.value().get() {
            Some(Ok(())) => load_page("/"),
            // Partner staff need a second factor to act (F15): the security page says so.
            Some(Err(crate::error::AppError::SecondFactorRequired)) => load_page("/security?reason=acting"),
            _ => {}
        }
    });
    action
}

/// "Acting for CUSTOMER" on every page, with the way back to one's own account.
#[component]
pub fn ActingBanner() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let back = switch();
    let acting = move || session.user().and_then(|u| u.acting_for).filter(|a| !a.ended);
    let home = move || session.user().and_then(|u| u.home_account).map(|a| a.name).unwrap_or_default();
    view! {
        <Transition>
            {move || acting().map(|acting| view! {
                <div role="status" data-testid="acting-banner" class="border-b border-amber-300 bg-amber-100">
                    <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-3 px-4 py-2 text-sm text-amber-950">
                        <span>{t!(i18n, acting.banner, customer = acting.customer.name.clone())}</span>
                        <span class="font-mono text-xs text-amber-800">{acting.customer.partner_id.clone()}</span>
                        <button type="button" on:click=move |_| { back.dispatch(ActFor { account_id: None }); }
                            class="ml-auto rounded-md bg-white px-3 py-1 font-medium text-amber-900 ring-1 ring-inset ring-amber-300 hover:bg-amber-50">
                            {move || t_string!(i18n, acting.return_home, account = home()).to_string()}
                        </button>
                    </div>
                </div>
            })}
        </Transition>
    }
}

/// Shown instead of any page once the customer access this session acted through has ended.
#[component]
pub fn DelegationEndedPanel(acting: ActingFor) -> impl IntoView {
    let i18n = use_i18n();
    let back = switch();
    view! {
        <div role="alert" data-testid="access-ended" class="mx-auto max-w-lg rounded-xl bg-white p-8 text-center shadow-sm ring-1 ring-red-200">
            <h1 class="text-xl font-semibold text-slate-900">{t!(i18n, acting.ended_title)}</h1>
            <p class="mt-3 text-sm text-slate-600">{t!(i18n, acting.ended_detail, customer = acting.customer.name.clone())}</p>
            <button type="button" on:click=move |_| { back.dispatch(ActFor { account_id: None }); }
                class="mt-6 rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">
                {t!(i18n, acting.back_to_mine)}
            </button>
        </div>
    }
}

/// The header's account picker, for partner staff holding access to customers. The choices
/// come with the session answer: a resource created inside a reactive branch (as the header's
/// is) is created in another order on the client than on the server, and hydration fails.
#[component]
pub fn AccountPicker() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let action = switch();
    let current = move || session.user().and_then(|u| u.acting_for).map(|a| a.customer.id.0);
    let home = move || session.user().and_then(|u| u.home_account).map(|a| a.name).unwrap_or_default();
    let choices = move || session.user().map(|u| u.customers).filter(|c| !c.is_empty());
    move || choices().map(|choices| view! {
        <label class="sr-only" for="account-picker">{t!(i18n, acting.picker)}</label>
        <select id="account-picker"
            on:change=move |ev| {
                let account_id = event_target_value(&ev).parse::<i64>().ok();
                action.dispatch(ActFor { account_id });
            }
            class="w-auto max-w-xs rounded-md border-0 bg-white py-1 pl-2 pr-8 text-sm text-slate-700 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600">
            <option value="" selected=move || current().is_none()>{home}</option>
            {choices.into_iter().map(|choice| {
                let id = choice.account.id.0;
                let label = move || {
                    let role = choice.role_builtin_key.map_or_else(|| choice.role_name.clone(), |role| role.name(i18n.get_locale()));
                    format!("{} ({role})", choice.account.name)
                };
                view! { <option value=id.to_string() selected=move || current() == Some(id)>{label}</option> }
            }).collect_view()}
        </select>
    })
}
