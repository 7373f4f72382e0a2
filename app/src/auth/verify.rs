//! The page an e-mail verification link opens (F1): it confirms the address when asked.

use super::VerifyEmail;
use crate::{
    i18n::*,
    links::{LinkPage, link_token},
    session::use_session,
    ui::{AuthCard, error_summary},
};
use crate::ui::style;
use leptos::prelude::*;

/// Opened from a mail: `/verify-email?token=…`, which the server turns into `/verify-email`
/// and a cookie (S7).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let token = Resource::new(|| (), |()| link_token(LinkPage::EmailVerification));
    let verify = ServerAction::<VerifyEmail>::new();
    // Confirmed by a click, not on load: mail scanners that open links must not spend them.
    let confirm = move |_| {
        let token = token.get_untracked().and_then(Result::ok).unwrap_or_default();
        verify.dispatch(VerifyEmail { token });
    };
    Effect::new(move || {
        if let Some(Ok(())) = verify.value().get() {
            session.refresh();
        }
    });
    let outcome = move || {
        verify.value().get().map(|answer| match answer {
            Ok(()) => view! {
                <p role="status" class=style::SUCCESS_BOX>
                    {t!(i18n, verify.done)}
                </p>
                <a href="/" class="mt-4 inline-block font-semibold text-indigo-600 hover:text-indigo-500">{t!(i18n, verify.next)}</a>
            }.into_any(),
            Err(error) => {
                view! { <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{move || error_summary(i18n.get_locale(), &error)}</p> }.into_any()
            }
        })
    };
    view! {
        <AuthCard title=move || t!(i18n, verify.title)>
            {move || match outcome() {
                Some(view) => view,
                None => view! {
                    <p class="mb-6 text-sm text-slate-600">{t!(i18n, verify.intro)}</p>
                    // The button comes once the token is read: a click sends the one the browser holds.
                    <Suspense>
                        {move || token.get().map(|_| view! {
                            <button type="button" on:click=confirm disabled=move || verify.pending().get()
                                class="flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60">
                                {t!(i18n, verify.submit)}
                            </button>
                        })}
                    </Suspense>
                }.into_any(),
            }}
        </AuthCard>
    }
}
