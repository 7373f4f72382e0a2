//! A button that copies a value (account key, Partner ID, invitation link) to the clipboard
//! and says so; when the browser refuses, it asks the user to copy by hand.

use crate::i18n::*;
use leptos::prelude::*;

/// "Copy", then "Copied" for a moment. `what` completes the accessible name ("Copy account
/// key"), which keeps the visible word at its start.
#[component]
pub fn CopyButton(#[prop(into)] value: Signal<String>, what: fn(Locale) -> &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let outcome = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = value.get_untracked();
        leptos::task::spawn_local(async move {
            let promise = window().navigator().clipboard().write_text(&text);
            let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            outcome.set(Some(copied));
            set_timeout(move || outcome.set(None), std::time::Duration::from_secs(3));
        });
    };
    view! {
        <button type="button" on:click=copy data-testid="copy"
            class="inline-flex shrink-0 items-center rounded-md bg-white px-2.5 py-1 text-xs font-semibold text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
            {move || if outcome.get() == Some(true) { t_string!(i18n, common.copied) } else { t_string!(i18n, common.copy) }}
            <span class="sr-only">" " {move || what(i18n.get_locale())}</span>
        </button>
        <span role="status" class="sr-only">
            {move || outcome.get().map(|copied| if copied { t_string!(i18n, common.copied) } else { t_string!(i18n, common.copy_failed) })}
        </span>
        {move || (outcome.get() == Some(false)).then(|| view! {
            <span class="text-xs text-amber-700">{t!(i18n, common.copy_failed)}</span>
        })}
    }
}
