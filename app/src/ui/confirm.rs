//! The confirmation every destructive action asks for (F4): a modal dialog naming what will
//! happen, with the safe choice focused first.

use crate::i18n::*;
use leptos::prelude::*;

/// A question waiting for an answer: the text, the confirm button's label, and what to do.
#[derive(Clone)]
pub struct Confirmation {
    pub title: String,
    pub detail: String,
    pub confirm_label: String,
    pub on_confirm: Callback<()>,
}

impl Confirmation {
    pub fn new(title: impl Into<String>, detail: impl Into<String>, confirm_label: impl Into<String>, on_confirm: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            title: title.into(),
            detail: detail.into(),
            confirm_label: confirm_label.into(),
            on_confirm: Callback::new(move |()| on_confirm()),
        }
    }
}

/// Renders the pending confirmation, if any. Escape or "Cancel" closes it.
#[component]
pub fn ConfirmDialog(pending: RwSignal<Option<Confirmation>>) -> impl IntoView {
    let i18n = use_i18n();
    let cancel = NodeRef::<leptos::html::Button>::new();
    Effect::new(move || {
        if pending.with(Option::is_some) {
            if let Some(button) = cancel.get() {
                let _ = button.focus();
            }
        }
    });
    move || {
        pending.get().map(|c| {
            let on_confirm = c.on_confirm;
            view! {
                <div
                    class="fixed inset-0 z-50 grid place-items-center bg-slate-900/40 p-4"
                    on:keydown=move |ev| if ev.key() == "Escape" { pending.set(None) }
                >
                    <div role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-detail"
                        class="w-full max-w-md rounded-xl bg-white p-6 shadow-xl ring-1 ring-slate-200">
                        <h2 id="confirm-title" class="text-lg font-semibold text-slate-900">{c.title}</h2>
                        <p id="confirm-detail" class="mt-2 text-sm text-slate-600">{c.detail}</p>
                        <div class="mt-6 flex justify-end gap-3">
                            <button type="button" node_ref=cancel on:click=move |_| pending.set(None)
                                class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
                                {t!(i18n, common.cancel)}
                            </button>
                            <button type="button"
                                on:click=move |_| { pending.set(None); on_confirm.run(()); }
                                class="rounded-md bg-red-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-500">
                                {c.confirm_label}
                            </button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}
