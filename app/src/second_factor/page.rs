//! The security page (`/security`): the user's authenticator app, passkeys and recovery codes (F15).

use super::{
    BeginTotp, ConfirmTotp, FactorOverview, RegenerateRecoveryCodes, RemoveTotp, TotpEnrolment, my_factors,
};
use crate::{
    i18n::*,
    session::use_session,
    ui::{FormError, Gate, Need, SubmitButton, TextField, error_of, error_text, format_time, safe_next},
};
use super::passkey_list::PasskeyList;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const SECTION: &str = "mt-6 space-y-4 rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200";
const SECONDARY: &str = "rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50";

#[component]
pub fn SecurityPage() -> impl IntoView {
    // Outside the gate: adding a factor refreshes the session, which draws the page again, and
    // the recovery codes must still be on screen then.
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    view! { <Gate need=Need::Enrolment><Security fresh_codes /></Gate> }
}

#[component]
fn Security(fresh_codes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let i18n = use_i18n();
    let begin = ServerAction::<BeginTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let remove = ServerAction::<RemoveTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    // Reloaded after a change, not after a refusal: the forms keep what was typed.
    let changes = RwSignal::new(0u32);
    let count_success = move |succeeded: bool| {
        if succeeded {
            changes.update(|n| *n += 1);
        }
    };
    Effect::new(move || count_success(confirm.value().with(|v| matches!(v, Some(Ok(_))))));
    Effect::new(move || count_success(remove.value().with(|v| matches!(v, Some(Ok(_))))));
    Effect::new(move || count_success(regenerate.value().with(|v| matches!(v, Some(Ok(_))))));
    let status = Resource::new(move || changes.get(), |_| my_factors());
    // A factor added or removed changes what the policy lets the user do: the header and the
    // gate learn it at once.
    let session = use_session();
    Effect::new(move || {
        if changes.get() > 0 {
            session.refresh();
        }
    });
    let params = use_query_map();
    let required = move || session.user().is_some_and(|u| u.needs_second_factor) || params.with(|p| p.get("reason").as_deref() == Some("acting"));
    let next = Signal::derive(move || safe_next(params.with(|p| p.get("next"))).unwrap_or_else(|| "/".to_owned()));
    // Recovery codes are shown once: right after the first factor, or after regenerating.
    Effect::new(move || {
        if let Some(Ok(Some(codes))) = confirm.value().get() {
            fresh_codes.set(Some(codes));
        }
    });
    Effect::new(move || {
        if let Some(Ok(codes)) = regenerate.value().get() {
            fresh_codes.set(Some(codes));
        }
    });
    view! {
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, security.title)}</h1>
        <p class="mt-2 max-w-2xl text-sm text-slate-600">{t!(i18n, security.intro)}</p>
        <Show when=required>
            <p role="alert" data-testid="factor-required" class="mt-4 max-w-2xl rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-950 ring-1 ring-inset ring-amber-200">
                {t!(i18n, security.required_here)}
            </p>
        </Show>
        {move || fresh_codes.get().map(|codes| view! { <FreshCodes codes next /> })}
        <Transition>
            {move || status.get().map(|loaded| match loaded {
                Ok(status) => view! { <Factors status begin confirm remove regenerate changes fresh_codes /> }.into_any(),
                Err(e) => view! { <p role="alert" class="mt-6 text-sm text-red-700">{move || error_text(i18n.get_locale(), &e)}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Factors(
    status: FactorOverview,
    begin: ServerAction<BeginTotp>,
    confirm: ServerAction<ConfirmTotp>,
    remove: ServerAction<RemoveTotp>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
    changes: RwSignal<u32>,
    fresh_codes: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let left = status.recovery_codes_left;
    let has_factor = status.totp.is_some() || !status.passkeys.is_empty();
    let passkeys = status.passkeys;
    let app = match status.totp {
        Some(totp) => view! {
            <p class="text-sm text-slate-700" data-testid="totp-enrolled">
                {move || td_string!(i18n.get_locale(), security.app_added, name = totp.name.clone(), when = format_time(totp.created_at)).to_string()}
            </p>
            <details class="text-sm">
                <summary class="cursor-pointer font-medium text-red-700">{t!(i18n, security.remove_app)}</summary>
                <ActionForm action=remove attr:class="mt-3 max-w-sm space-y-4">
                    <FormError error=error_of(remove) />
                    <TextField name="password" kind="password" autocomplete="current-password" error=error_of(remove)>
                        {t!(i18n, security.password_again)}
                    </TextField>
                    <SubmitButton pending=remove.pending()>{t!(i18n, security.remove_app)}</SubmitButton>
                </ActionForm>
            </details>
        }
        .into_any(),
        None => view! { <Enrol begin confirm /> }.into_any(),
    };
    view! {
        <section class=SECTION aria-labelledby="app-heading">
            <h2 id="app-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, security.app_heading)}</h2>
            {app}
        </section>
        <section class=SECTION aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, security.passkeys_heading)}</h2>
            <PasskeyList passkeys changes fresh_codes />
        </section>
        <Show when=move || has_factor>
            <section class=SECTION aria-labelledby="codes-heading">
                <h2 id="codes-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, security.codes_heading)}</h2>
                <p class="text-sm text-slate-700" data-testid="codes-left">
                    {move || td_string!(i18n.get_locale(), security.codes_left, count = left).to_string()}
                </p>
                <details class="text-sm">
                    <summary class="cursor-pointer font-medium text-indigo-700">{t!(i18n, security.regenerate)}</summary>
                    <ActionForm action=regenerate attr:class="mt-3 max-w-sm space-y-4">
                        <p class="text-slate-600">{t!(i18n, security.regenerate_note)}</p>
                        <FormError error=error_of(regenerate) />
                        <TextField name="password" kind="password" autocomplete="current-password" error=error_of(regenerate)>
                            {t!(i18n, security.password_again)}
                        </TextField>
                        <SubmitButton pending=regenerate.pending()>{t!(i18n, security.regenerate)}</SubmitButton>
                    </ActionForm>
                </details>
            </section>
        </Show>
    }
}

/// Adding an authenticator app: scan (or type) the secret, then prove it with a first code.
#[component]
fn Enrol(begin: ServerAction<BeginTotp>, confirm: ServerAction<ConfirmTotp>) -> impl IntoView {
    let i18n = use_i18n();
    let started = move || begin.value().get().and_then(Result::ok);
    let begin_error = move || begin.value().get().and_then(Result::err).map(|e| error_text(i18n.get_locale(), &e));
    view! {
        <p class="text-sm text-slate-700">{t!(i18n, security.no_app)}</p>
        {move || match started() {
            None => view! {
                <button type="button" class=SECONDARY on:click=move |_| { begin.dispatch(BeginTotp {}); }>
                    {t!(i18n, security.add_app)}
                </button>
                {move || begin_error().map(|text| view! { <p role="alert" class="text-sm text-red-700">{text}</p> })}
            }
            .into_any(),
            Some(enrolment) => view! { <EnrolSteps enrolment confirm /> }.into_any(),
        }}
    }
}

#[component]
fn EnrolSteps(enrolment: TotpEnrolment, confirm: ServerAction<ConfirmTotp>) -> impl IntoView {
    let i18n = use_i18n();
    let error = error_of(confirm);
    view! {
        <ol class="list-decimal space-y-4 pl-5 text-sm text-slate-700">
            <li>
                {t!(i18n, security.step_scan)}
                // The SVG is drawn by our server from the otpauth URI; it holds no script.
                <div class="mt-3 w-48 rounded-lg bg-white p-2 ring-1 ring-slate-200" role="img"
                    aria-label=move || td_string!(i18n.get_locale(), security.qr_label).to_string() inner_html=enrolment.qr_svg.clone() />
                <p class="mt-3">{t!(i18n, security.step_type)}</p>
                <p class="mt-1 font-mono text-base tracking-wider text-slate-900" data-testid="totp-secret">{enrolment.secret.clone()}</p>
            </li>
            <li>
                {t!(i18n, security.step_code)}
                <ActionForm action=confirm attr:class="mt-3 max-w-sm space-y-4">
                    <FormError error />
                    <TextField name="code" autocomplete="one-time-code" error>{t!(i18n, security.code)}</TextField>
                    <TextField name="name" error hint=move || t!(i18n, security.name_hint)>{t!(i18n, security.name)}</TextField>
                    <SubmitButton pending=confirm.pending()>{t!(i18n, security.confirm)}</SubmitButton>
                </ActionForm>
            </li>
        </ol>
    }
}

/// Recovery codes, shown once, with what they are for.
#[component]
fn FreshCodes(codes: Vec<String>, next: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let all = codes.join("\n");
    view! {
        <section role="status" class="mt-6 space-y-3 rounded-xl bg-amber-50 p-6 text-sm text-amber-950 ring-1 ring-inset ring-amber-200" data-testid="recovery-codes">
            <h2 class="text-base font-semibold">{t!(i18n, security.codes_fresh_title)}</h2>
            <p>{t!(i18n, security.codes_fresh_note)}</p>
            <ul class="grid max-w-sm grid-cols-2 gap-2 font-mono text-base">
                {codes.into_iter().map(|code| view! { <li data-testid="recovery-code">{code}</li> }).collect_view()}
            </ul>
            <div class="flex flex-wrap items-center gap-4">
                <crate::ui::CopyButton value=Signal::derive(move || all.clone()) what=|l| td_string!(l, security.codes_copy) />
                <a href=next class="text-sm font-semibold text-indigo-700 hover:text-indigo-600">{t!(i18n, security.continue_after)}</a>
            </div>
        </section>
    }
}
