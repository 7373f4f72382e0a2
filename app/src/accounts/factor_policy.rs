//! The account page's second-factor policy (F15): whom the account requires a factor of.

use crate::{
    i18n::*,
    second_factor::{FactorPolicy, SetFactorPolicy},
    session::use_session,
    ui::error_text,
};
use crate::ui::style;
use leptos::prelude::*;

#[component]
pub fn FactorPolicySection(current: FactorPolicy, #[prop(into)] class: String) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let save = ServerAction::<SetFactorPolicy>::new();
    let chosen = RwSignal::new(current);
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    Effect::new(move || {
        if let Some(Ok(())) = save.value().get() {
            // The administrator may be covered now: the gate sends them to enrol.
            session.refresh();
        }
    });
    let label = move |policy: FactorPolicy| match policy {
        FactorPolicy::Nobody => t_string!(i18n, account_page.factor_nobody),
        FactorPolicy::Administrators => t_string!(i18n, account_page.factor_administrators),
        FactorPolicy::Everyone => t_string!(i18n, account_page.factor_everyone),
    };
    view! {
        <section class=class aria-labelledby="factor-heading">
            <h2 id="factor-heading" class="text-lg font-semibold text-slate-900">{t!(i18n, account_page.factor_heading)}</h2>
            <p class="text-sm text-slate-600">{t!(i18n, account_page.factor_intro)}</p>
            <fieldset class="space-y-2">
                <legend class="sr-only">{t!(i18n, account_page.factor_heading)}</legend>
                {FactorPolicy::ALL.into_iter().map(|policy| view! {
                    <label class="flex items-start gap-2 text-sm text-slate-800">
                        <input type="radio" name="factor_policy" class="mt-0.5" value=policy.key()
                            prop:checked=move || chosen.get() == policy
                            on:change=move |_| chosen.set(policy) />
                        <span>{move || label(policy)}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            {move || save.value().get().and_then(Result::err).map(|e| view! { <p role="alert" class="text-sm text-red-700">{error_text(i18n.get_locale(), &e)}</p> })}
            <div class="flex items-center gap-4">
                <button type="button" disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch(SetFactorPolicy { policy: chosen.get_untracked() }); }
                    class=style::PRIMARY_BUTTON>
                    {t!(i18n, account_page.factor_save)}
                </button>
                <Show when=saved><p role="status" class="text-sm text-emerald-700">{t!(i18n, account_page.factor_saved)}</p></Show>
            </div>
        </section>
    }
}
