//! Under the users table: which users of how many are shown, and the previous and next pages.

use super::{MatchCount, PAGE_SIZE, list::QueryUpdate};
use crate::{i18n::*, ui::thousands};
use leptos::prelude::*;

const BUTTON: &str = "rounded-md bg-white px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-40";

#[component]
pub(super) fn Pager(update: QueryUpdate, total: Signal<Option<MatchCount>>) -> impl IntoView {
    let i18n = use_i18n();
    let page = move || update.query().with(|q| q.page);
    let range = move || {
        total.get().map(|total| {
            let locale = i18n.get_locale();
            let shown = total.at_least();
            let first = if shown == 0 { 0 } else { page() * PAGE_SIZE + 1 };
            let end = page() * PAGE_SIZE + PAGE_SIZE;
            // Past the count's cap, pages go on as far as matches do.
            let last = if matches!(total, MatchCount::MoreThan(_)) { end } else { end.min(shown) };
            let (first, last) = (thousands(locale, first as u64), thousands(locale, last as u64));
            td_string!(locale, users.range, first, last, total = total.label(locale)).to_string()
        })
    };
    let has_next = move || {
        total.get().is_some_and(|t| matches!(t, MatchCount::MoreThan(_)) || (page() + 1) * PAGE_SIZE < t.at_least())
    };
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
