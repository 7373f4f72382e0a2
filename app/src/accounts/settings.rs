//! The account page (F2): details (editable with `account.manage`), the account key (view and
//! regenerate), changing account by key, leaving, and closing an account one is alone in.

use super::{
    AccountDetails, CloseAccount, JoinAccount, LeaveAccount, RegenerateAccountKey, UpdateAccountDetails,
    get_account_details, get_account_key,
};
use crate::{
    domain::{AccountKey, AccountName, Permission},
    i18n::*,
    session::use_session,
    error::AppError,
    ui::{
        ConfirmDialog, Confirmation, CopyButton, FormError, Gate, LanguageChoice, Need, SubmitButton, TextField, error_text,
        leave_if_signed_out, leave_when_signed_out, load_page,
    },
};
use crate::ui::style;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    view! { <Gate need=Need::Member><AccountSettings /></Gate> }
}

const SECTION: &str = "mt-6 max-w-2xl space-y-5 rounded-xl bg-white p-8 shadow-sm ring-1 ring-slate-200";

#[component]
fn AccountSettings() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let details = Resource::new(|| (), |_| get_account_details());
    let manages = move || session.user().is_some_and(|u| u.permissions.contains(Permission::AccountManage));
    let acting = move || session.user().is_some_and(|u| u.acting_for.is_some());
    view! {
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, account_page.title)}</h1>
        <Suspense>
            {move || details.get().and_then(|answer| answer.inspect_err(leave_if_signed_out).ok()).map(|details| {
                let others = details.members - 1;
                let policy = details.factor_policy;
                view! {
                    <DetailsForm details editable=manages() />
                    <Show when=move || manages() && !acting()><KeySection /></Show>
                    <Show when=move || manages() && !acting()>
                        <super::factor_policy::FactorPolicySection current=policy class=SECTION />
                    </Show>
                    <Show when=move || !acting()><MembershipSection others /></Show>
                }
            })}
        </Suspense>
    }
}

#[component]
fn DetailsForm(details: AccountDetails, editable: bool) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let save = ServerAction::<UpdateAccountDetails>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    leave_when_signed_out(move || error.get());
    let name = RwSignal::new(details.name.clone());
    let contact = RwSignal::new(details.contact_email.clone());
    let locale = RwSignal::new(details.default_locale.clone());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    Effect::new(move || {
        if let Some(Ok(())) = save.value().get() {
            session.refresh();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(UpdateAccountDetails {
            name: name.get_untracked(),
            contact_email: contact.get_untracked(),
            default_locale: locale.get_untracked(),
        });
    };
    view! {
        <form on:submit=submit novalidate class=SECTION aria-labelledby="details-heading">
            <h2 id="details-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, account_page.details)}</h2>
            <p class="text-sm text-slate-600">
                {t!(i18n, account.partner_id)} {t!(i18n, users.colon)} " " <span class="font-mono" data-testid="partner-id">{details.partner_id.clone()}</span>
                " " <CopyButton value=Signal::stored(details.partner_id.clone()) what=|l| td_string!(l, account.partner_id) />
                " · " {t!(i18n, account_page.members, count = move || details.members)}
            </p>
            <FormError error />
            <Show when=saved>
                <p role="status" class=style::SUCCESS_BOX>{t!(i18n, account_page.saved)}</p>
            </Show>
            <fieldset disabled=!editable class="space-y-5">
                <TextField name="name" error value=name validate=|s| AccountName::parse(s).map(drop)>{t!(i18n, account.name)}</TextField>
                <TextField name="contact_email" kind="email" error value=contact>{t!(i18n, account_page.contact_email)}</TextField>
                <LanguageChoice id="account-locale" locale />
            </fieldset>
            {editable.then(|| view! { <div class="max-w-xs"><SubmitButton pending=save.pending()>{t!(i18n, common.save)}</SubmitButton></div> })}
        </form>
    }
}

#[component]
fn KeySection() -> impl IntoView {
    let i18n = use_i18n();
    let key = RwSignal::new(None::<String>);
    let regenerate = ServerAction::<RegenerateAccountKey>::new();
    let confirm = RwSignal::new(None::<Confirmation>);
    let failure = RwSignal::new(None::<AppError>);
    Effect::new(move || match regenerate.value().get() {
        Some(Ok(new_key)) => key.set(Some(new_key)),
        Some(Err(error)) => {
            leave_if_signed_out(&error);
            failure.set(Some(error));
        }
        None => {}
    });
    let show = move |_| {
        leptos::task::spawn_local(async move {
            match get_account_key().await {
                Ok(found) => key.set(Some(found)),
                Err(error) => {
                    leave_if_signed_out(&error);
                    failure.set(Some(error));
                }
            }
        });
    };
    let ask_regenerate = move |_| {
        let locale = i18n.get_locale_untracked();
        confirm.set(Some(Confirmation::new(
            td_string!(locale, account_page.regenerate_title),
            td_string!(locale, account_page.regenerate_detail),
            td_string!(locale, account_page.regenerate),
            move || drop(regenerate.dispatch(RegenerateAccountKey {})),
        )));
    };
    view! {
        <section class=SECTION aria-labelledby="key-heading">
            <ConfirmDialog pending=confirm />
            <h2 id="key-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, account_page.key)}</h2>
            <p class="text-sm text-slate-600">{t!(i18n, account_page.key_intro)}</p>
            {move || failure.get().map(|error| view! { <p role="alert" class="text-sm text-red-700">{error_text(i18n.get_locale(), &error)}</p> })}
            {move || match key.get() {
                Some(value) => view! {
                    <div class="flex flex-wrap items-center gap-3">
                        <p class="select-all rounded-md bg-slate-100 px-4 py-3 font-mono text-sm tracking-wide text-slate-900" data-testid="account-key">{value.clone()}</p>
                        <CopyButton value=Signal::stored(value) what=|l| td_string!(l, account_page.key) />
                    </div>
                }.into_any(),
                None => view! {
                    <button type="button" on:click=show class=style::SECONDARY_BUTTON>
                        {t!(i18n, account_page.show_key)}
                    </button>
                }.into_any(),
            }}
            <Show when=move || matches!(regenerate.value().get(), Some(Ok(_)))>
                <p role="status" class="text-sm text-emerald-800">{t!(i18n, account_page.regenerated)}</p>
            </Show>
            <div>
                <button type="button" on:click=ask_regenerate disabled=move || regenerate.pending().get()
                    class="rounded-md px-3 py-2 text-sm font-semibold text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50">
                    {t!(i18n, account_page.regenerate)}
                </button>
            </div>
        </section>
    }
}

/// Change account by key, leave, or close: what a member does about belonging here.
#[component]
fn MembershipSection(
    /// Members besides the caller: the primary administrator cannot close the account while
    /// there are any.
    others: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let join = ServerAction::<JoinAccount>::new();
    let leave = ServerAction::<LeaveAccount>::new();
    let close = ServerAction::<CloseAccount>::new();
    let confirm = RwSignal::new(None::<Confirmation>);
    let key = RwSignal::new(String::new());
    let join_error = Signal::derive(move || join.value().get().and_then(Result::err));
    let leave_error = move || {
        let locale = i18n.get_locale();
        leave.value().get().and_then(Result::err).or_else(|| close.value().get().and_then(Result::err)).map(|e| error_text(locale, &e))
    };
    leave_when_signed_out(move || join_error.get());
    Effect::new(move || {
        let joined = matches!(join.value().get(), Some(Ok(_)));
        let left = matches!(leave.value().get(), Some(Ok(()))) || matches!(close.value().get(), Some(Ok(())));
        if joined || left {
            load_page("/");
        }
    });
    let account_name = move || session.user().and_then(|u| u.account).map(|a| a.name).unwrap_or_default();
    let is_primary = move || session.user().is_some_and(|u| u.is_primary_admin);
    let submit_join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let locale = i18n.get_locale_untracked();
        let account_key = key.get_untracked();
        confirm.set(Some(Confirmation::new(
            td_string!(locale, account_page.change_title),
            td_string!(locale, account_page.change_detail, account = account_name()).to_string(),
            td_string!(locale, account_page.change_submit),
            move || drop(join.dispatch(JoinAccount { account_key: account_key.clone() })),
        )));
    };
    let ask_leave = move |_| {
        let locale = i18n.get_locale_untracked();
        confirm.set(Some(Confirmation::new(
            td_string!(locale, account_page.leave_title, account = account_name()).to_string(),
            td_string!(locale, account_page.leave_detail),
            td_string!(locale, account_page.leave),
            move || drop(leave.dispatch(LeaveAccount {})),
        )));
    };
    let ask_close = move |_| {
        let locale = i18n.get_locale_untracked();
        confirm.set(Some(Confirmation::new(
            td_string!(locale, account_page.close_title, account = account_name()).to_string(),
            td_string!(locale, account_page.close_detail),
            td_string!(locale, account_page.close),
            move || drop(close.dispatch(CloseAccount {})),
        )));
    };
    view! {
        <ConfirmDialog pending=confirm />
        <form on:submit=submit_join novalidate class=SECTION aria-labelledby="change-heading">
            <h2 id="change-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, account_page.change)}</h2>
            <p class="text-sm text-slate-600">{t!(i18n, account_page.change_intro)}</p>
            <FormError error=join_error />
            <TextField name="account_key" error=join_error value=key validate=|s| AccountKey::parse(s).map(drop)>{t!(i18n, account_page.key_field)}</TextField>
            <div class="max-w-xs"><SubmitButton pending=join.pending()>{t!(i18n, account_page.change_submit)}</SubmitButton></div>
        </form>
        <section class=SECTION aria-labelledby="leave-heading">
            <h2 id="leave-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, account_page.leave_heading)}</h2>
            {move || leave_error().map(|text| view! { <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{text}</p> })}
            {move || if is_primary() {
                view! {
                    <p class="text-sm text-slate-600">{t!(i18n, account_page.primary_note)}</p>
                    // With other members the refusal is known beforehand: say it, offer nothing.
                    {if others > 0 {
                        view! {
                            <p id="close-unavailable" data-testid="close-unavailable" class="rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-950 ring-1 ring-inset ring-amber-200">
                                {move || td_string!(i18n.get_locale(), account_page.close_unavailable, count = others).to_string()}
                            </p>
                            <button type="button" disabled aria-describedby="close-unavailable"
                                class="cursor-not-allowed rounded-md bg-red-300 px-3 py-2 text-sm font-semibold text-white shadow-sm">
                                {t!(i18n, account_page.close)}
                            </button>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" on:click=ask_close
                                class="rounded-md bg-red-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-500">
                                {t!(i18n, account_page.close)}
                            </button>
                        }.into_any()
                    }}
                }.into_any()
            } else {
                view! {
                    <p class="text-sm text-slate-600">{t!(i18n, account_page.leave_intro)}</p>
                    <button type="button" on:click=ask_leave class="rounded-md bg-red-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-500">
                        {t!(i18n, account_page.leave)}
                    </button>
                }.into_any()
            }}
        </section>
    }
}
