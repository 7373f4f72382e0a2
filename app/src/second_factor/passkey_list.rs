//! The passkeys part of the security page (F15): each passkey renamed or removed in place (the
//! password asked again to remove), and a form that names a new one before the browser's prompt.

use super::{
    PasskeySummary, RemovePasskey, RenamePasskey, begin_passkey, factor_name, finish_passkey,
    passkey_browser::{self, Prompt},
};
use crate::{
    error::AppError,
    i18n::*,
    ui::{FieldProblem, FormError, SubmitButton, TextField, error_of, format_time},
};
use leptos::prelude::*;

#[component]
pub(super) fn PasskeyList(
    passkeys: Vec<PasskeySummary>,
    changes: RwSignal<u32>,
    fresh_codes: RwSignal<Option<Vec<String>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let none = passkeys.is_empty();
    view! {
        <p class="text-sm text-slate-700">{t!(i18n, security.passkeys_intro)}</p>
        <Show when=move || none>
            <p class="text-sm text-slate-700" data-testid="no-passkeys">{t!(i18n, security.no_passkeys)}</p>
        </Show>
        <ul class="divide-y divide-slate-200" aria-label=move || td_string!(i18n.get_locale(), security.passkeys_heading).to_string()>
            {passkeys.into_iter().map(|passkey| view! { <PasskeyRow passkey changes /> }).collect_view()}
        </ul>
        <AddPasskey changes fresh_codes />
    }
}

/// Counts a successful answer of `action`, so the page reloads the factors.
fn reload_after<I, O>(action: ServerAction<I>, changes: RwSignal<u32>)
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Effect::new(move || {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            changes.update(|n| *n += 1);
        }
    });
}

#[component]
fn PasskeyRow(passkey: PasskeySummary, changes: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    reload_after(rename, changes);
    reload_after(remove, changes);
    let PasskeySummary { id, name, created_at, last_used_at } = passkey;
    let used = move || match last_used_at {
        Some(when) => td_string!(i18n.get_locale(), security.passkey_used, when = format_time(when)).to_string(),
        None => td_string!(i18n.get_locale(), security.passkey_never_used).to_string(),
    };
    view! {
        <li class="py-4" data-testid="passkey">
            <p class="font-medium text-slate-900" data-testid="passkey-name">{name}</p>
            <p class="text-sm text-slate-600">
                {move || td_string!(i18n.get_locale(), security.passkey_added, when = format_time(created_at)).to_string()}
                " · " {used}
            </p>
            <div class="mt-2 flex flex-wrap gap-x-8 gap-y-2 text-sm">
                <details>
                    <summary class="cursor-pointer font-medium text-indigo-700">{t!(i18n, security.rename)}</summary>
                    <ActionForm action=rename attr:class="mt-3 w-72 space-y-4">
                        <input type="hidden" name="id" value=id />
                        <FormError error=error_of(rename) />
                        <TextField name="name" id=format!("passkey-{id}-name") error=error_of(rename)>{t!(i18n, security.new_name)}</TextField>
                        <SubmitButton pending=rename.pending()>{t!(i18n, security.save_name)}</SubmitButton>
                    </ActionForm>
                </details>
                <details>
                    <summary class="cursor-pointer font-medium text-red-700">{t!(i18n, security.remove_passkey)}</summary>
                    <ActionForm action=remove attr:class="mt-3 w-72 space-y-4">
                        <input type="hidden" name="id" value=id />
                        <FormError error=error_of(remove) />
                        <TextField name="password" kind="password" autocomplete="current-password" id=format!("passkey-{id}-password") error=error_of(remove)>
                            {t!(i18n, security.password_again)}
                        </TextField>
                        <SubmitButton pending=remove.pending()>{t!(i18n, security.remove_passkey_confirm)}</SubmitButton>
                    </ActionForm>
                </details>
            </div>
        </li>
    }
}

/// Names the passkey first (checked before the prompt), then the browser asks for it.
#[component]
fn AddPasskey(changes: RwSignal<u32>, fresh_codes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let add = Action::new_local(|name: &String| {
        let name = name.clone();
        async move {
            let name = factor_name(&name).map_err(|problem| AppError::field("passkey_name", problem))?;
            let challenge = begin_passkey().await?;
            let answer = passkey_browser::prompt(Prompt::Create, &challenge.options).await?;
            finish_passkey(challenge.ceremony, answer, name).await
        }
    });
    let error = Signal::derive(move || add.value().get().and_then(Result::err));
    Effect::new(move || {
        if let Some(Ok(codes)) = add.value().get() {
            if codes.is_some() {
                fresh_codes.set(codes);
            }
            changes.update(|n| *n += 1);
        }
    });
    view! {
        <form class="max-w-sm space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            add.dispatch(name.get_untracked());
        }>
            <FormError error />
            <TextField name="passkey_name" value=name error hint=move || t!(i18n, security.passkey_name_hint)>
                {t!(i18n, security.passkey_name)}
            </TextField>
            <FieldProblem field="passkey" error />
            <SubmitButton pending=add.pending()>{t!(i18n, security.add_passkey)}</SubmitButton>
        </form>
    }
}
