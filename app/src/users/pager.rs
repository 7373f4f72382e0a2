//! Under the users table: which users of how many are shown, and the first, previous, next and
//! last pages. Each page is asked for by the sort key of the row next to it (keyset paging).

use super::{MatchCount, PAGE_SIZE, PageAt, SortKey, UserPage, UserQuery, list::QueryUpdate};
use crate::{i18n::*, ui::thousands};
use leptos::prelude::*;

const BUTTON: &str = "rounded-md bg-white px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-40";

/// What the pager needs of the loaded page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PageEnds {
    total: MatchCount,
    shown: i64,
    first: Option<SortKey>,
    last: Option<SortKey>,
    has_previous: bool,
    has_next: bool,
}

impl PageEnds {
    pub(super) fn of(page: &UserPage, query: &UserQuery) -> Self {
        Self {
            total: page.total,
            shown: page.rows.len() as i64,
            first: page.rows.first().map(|row| query.sort.key_of(row)),
            last: page.rows.last().map(|row| query.sort.key_of(row)),
            has_previous: page.has_previous,
            has_next: page.has_next,
        }
    }

    /// The query's page number, corrected by what the page found: no match before it makes it
    /// the first page, none after it the last (rows come and go between two clicks).
    fn number(&self, asked: i64) -> i64 {
        match asked {
            _ if !self.has_previous => 0,
            page if page < 0 && !self.has_next => -1,
            page => page,
        }
    }

    /// "26–50 of 1,234"; counted from the end when the total is not known exactly.
    fn range(&self, locale: Locale, asked: i64) -> String {
        let total = self.total.label(locale);
        let count = thousands(locale, self.shown as u64);
        let index = match (self.number(asked), self.total) {
            (page, _) if page >= 0 => page,
            // Full pages from the start, then the last page's remainder: pages line up.
            (page, MatchCount::Exactly(n)) => ((n + PAGE_SIZE - 1) / PAGE_SIZE + page).max(0),
            (-1, MatchCount::MoreThan(_)) => return td_string!(locale, users.range_last, count, total).to_string(),
            (page, MatchCount::MoreThan(_)) => {
                let page = thousands(locale, page.unsigned_abs());
                return td_string!(locale, users.range_from_end, count, total, page).to_string();
            }
        };
        let first = if self.shown == 0 { 0 } else { index * PAGE_SIZE + 1 };
        let last = if self.shown == 0 { 0 } else { first + self.shown - 1 };
        let (first, last) = (thousands(locale, first as u64), thousands(locale, last as u64));
        td_string!(locale, users.range, first, last, total).to_string()
    }
}

#[component]
pub(super) fn Pager(update: QueryUpdate, ends: Signal<Option<PageEnds>>) -> impl IntoView {
    let i18n = use_i18n();
    let asked = move || update.query().with(|q| q.page);
    let range = move || ends.get().map(|ends| ends.range(i18n.get_locale(), asked()));
    let has_previous = move || ends.with(|e| e.as_ref().is_some_and(|e| e.has_previous));
    let has_next = move || ends.with(|e| e.as_ref().is_some_and(|e| e.has_next));
    let go = move |to: Step| {
        let Some(ends) = ends.get_untracked() else { return };
        let page = ends.number(update.query().with_untracked(|q| q.page));
        update.apply(
            |q| match to {
                Step::First => q.first_page(),
                Step::Previous if page == 1 => q.first_page(),
                Step::Previous => {
                    q.at = ends.first.map_or(PageAt::First, PageAt::Before);
                    q.page = page - 1;
                }
                Step::Next => {
                    q.at = ends.last.map_or(PageAt::First, PageAt::After);
                    q.page = if page == -1 { -1 } else { page + 1 };
                }
                Step::Last => {
                    q.at = PageAt::Last;
                    q.page = -1;
                }
            },
            false,
        );
    };
    view! {
        <Transition>
            <nav class="mt-4 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600" aria-label=move || t_string!(i18n, users.pages)>
                <p data-testid="users-range">{range}</p>
                <div class="flex gap-2">
                    <button type="button" class=BUTTON disabled=move || !has_previous() on:click=move |_| go(Step::First)>
                        {t!(i18n, users.first)}
                    </button>
                    <button type="button" class=BUTTON disabled=move || !has_previous() on:click=move |_| go(Step::Previous)>
                        {t!(i18n, users.previous)}
                    </button>
                    <button type="button" class=BUTTON disabled=move || !has_next() on:click=move |_| go(Step::Next)>
                        {t!(i18n, users.next)}
                    </button>
                    <button type="button" class=BUTTON disabled=move || !has_next() on:click=move |_| go(Step::Last)>
                        {t!(i18n, users.last)}
                    </button>
                </div>
            </nav>
        </Transition>
    }
}

#[derive(Clone, Copy)]
enum Step {
    First,
    Previous,
    Next,
    Last,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(total: MatchCount, shown: i64, has_previous: bool, has_next: bool) -> PageEnds {
        PageEnds { total, shown, first: None, last: None, has_previous, has_next }
    }

    #[test]
    fn pages_from_the_start_and_from_the_end_line_up() {
        let exactly = MatchCount::Exactly(10_051);
        assert_eq!(ends(exactly, 25, false, true).range(Locale::en, 0), "1–25 of 10,051");
        assert_eq!(ends(exactly, 25, true, true).range(Locale::en, 1), "26–50 of 10,051");
        assert_eq!(ends(exactly, 1, true, false).range(Locale::en, -1), "10,051–10,051 of 10,051");
        assert_eq!(ends(exactly, 25, true, true).range(Locale::en, -2), "10,026–10,050 of 10,051");
        assert_eq!(ends(MatchCount::Exactly(28), 3, true, false).range(Locale::en, -1), "26–28 of 28");
        assert_eq!(ends(MatchCount::Exactly(0), 0, false, false).range(Locale::en, 0), "0–0 of 0");
    }

    #[test]
    fn past_the_cap_pages_from_the_end_are_counted_from_the_end() {
        let many = MatchCount::MoreThan(10_000);
        assert_eq!(ends(many, 25, true, false).range(Locale::en, -1), "Last 25 of 10,000+");
        assert_eq!(ends(many, 25, true, true).range(Locale::en, -2), "25 of 10,000+, page 2 from the end");
        assert_eq!(ends(many, 25, true, true).range(Locale::fr, -2), "25 sur 10\u{202f}000+, page 2 depuis la fin");
    }

    #[test]
    fn what_the_page_found_corrects_the_number_it_was_asked_as() {
        // Rows before it were deleted since: it is the first page now.
        assert_eq!(ends(MatchCount::Exactly(30), 25, false, true).range(Locale::en, 4), "1–25 of 30");
        // Rows after it were deleted: it is the last page.
        assert_eq!(ends(MatchCount::Exactly(30), 5, true, false).range(Locale::en, -3), "26–30 of 30");
    }
}
