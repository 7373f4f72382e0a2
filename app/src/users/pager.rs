//! Under the users table: which users of how many are shown, and the previous and next pages.

use super::{PAGE_SIZE, list::QueryUpdate};
use crate::i18n::*;
use leptos::prelude::*;

const BUTTON: &str = "rounded-md bg-white px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-40";

#[component]
pub(super) fn Pager(update: QueryUpdate, total: Signal<Option<i64>>) -> impl IntoView {
    let i18n = use_i18n();
    let page = move || update.query().with(|q| q.page);
    let range = move || {
        total.get().map(|total| {
            let first = if total == 0 { 0 } else { page() * PAGE_SIZE + 1 };
            let last = (page() * PAGE_SIZE + PAGE_SIZE).min(total);
            td_string!(i18n.get_locale(), users.range, first, last, total).to_string()
        })
    };
    let has_next = move || total.get().is_some_and(|t| (page() + 1) * PAGE_SIZE < t);
    view! {
        <Transition>
            <nav class="mt-4 flex items-center justify-between text-sm text-slate-600" aria-label=move || t_string!(i18n, users.pages)>
                <p data-testid="users-range">{range}</p>
                <div class="flex gap-2">
                    <button type="button" class=BUTTON disabled=move || page() == 0
                        on:click=move |_| update.apply(|q| q.page -= 1, false)>
                        {t!(i18n, users.previous)}
                    </button>
                    <button type="button" class=BUTTON disabled=move || !has_next()
                        on:click=move |_| update.apply(|q| q.page += 1, false)>
                        {t!(i18n, users.next)}
                    </button>
                </div>
            </nav>
        </Transition>
    }
}
