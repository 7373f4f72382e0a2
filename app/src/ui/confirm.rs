//! The confirmation every destructive action asks for (F4): a modal dialog naming what will
//! happen, with the safe choice focused first.

use crate::i18n::*;
use super::style;
use leptos::prelude::*;

/// A question waiting for an answer: the text, the confirm button's label, and what to do.
#[derive(Clone)]
pub struct Confirmation {
    pub title: String,
    pub detail: String,
    /// A heading and list under the detail: who a bulk action will skip, and why.
    pub list: Option<(String, Vec<String>)>,
    /// `None` when there is nothing to confirm: the dialog only informs, with a Close button.
    pub confirm_label: Option<String>,
    pub on_confirm: Callback<()>,
}

impl Confirmation {
    pub fn new(title: impl Into<String>, detail: impl Into<String>, confirm_label: impl Into<String>, on_confirm: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            title: title.into(),
            detail: detail.into(),
            list: None,
            confirm_label: Some(confirm_label.into()),
            on_confirm: Callback::new(move |()| on_confirm()),
        }
    }

    /// Adds a list under the detail.
    pub fn with_list(mut self, heading: impl Into<String>, items: Vec<String>) -> Self {
        if !items.is_empty() {
            self.list = Some((heading.into(), items));
        }
        self
    }

    /// Nothing can be done: the dialog says why and offers only to close.
    pub fn nothing_to_do(mut self) -> Self {
        self.confirm_label = None;
        self
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
            let can_confirm = c.confirm_label.is_some();
            view! {
                <div
                    class="fixed inset-0 z-50 grid place-items-center bg-slate-900/40 p-4"
                    on:keydown=move |ev| if ev.key() == "Escape" { pending.set(None) }
                >
                    <div role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-detail"
                        data-testid="confirm-dialog"
                        class="w-full max-w-md rounded-xl bg-white p-6 shadow-xl ring-1 ring-slate-200">
                        <h2 id="confirm-title" class="text-lg font-semibold text-slate-900">{c.title}</h2>
                        <div id="confirm-detail" class="mt-2 text-sm text-slate-600">
                            <p>{c.detail}</p>
                            {c.list.map(|(heading, items)| view! {
                                <p class="mt-3 font-medium text-slate-800">{heading}</p>
                                <ul class="mt-1 max-h-48 list-disc overflow-y-auto pl-5" data-testid="confirm-list">
                                    {items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}
                                </ul>
                            })}
                        </div>
                        <div class="mt-6 flex justify-end gap-3">
                            <button type="button" node_ref=cancel on:click=move |_| pending.set(None)
                                class=style::SECONDARY_BUTTON>
                                {move || if can_confirm { t_string!(i18n, common.cancel) } else { t_string!(i18n, users.close) }}
                            </button>
                            {c.confirm_label.map(|label| view! {
                                <button type="button"
                                    on:click=move |_| { pending.set(None); on_confirm.run(()); }
                                    class="rounded-md bg-red-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-500">
                                    {label}
                                </button>
                            })}
                        </div>
                    </div>
                </div>
            }
        })
    }
}
