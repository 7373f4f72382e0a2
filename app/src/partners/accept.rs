//! The page a partner's invitation link opens (F7): the customer admin, signed in (the gate
//! sends them to sign in and back), sees who asks for what and confirms. The link's token
//! waits in a cookie meanwhile, out of the address bar and of the sign-in's `next=` (S7).

use super::{ConfirmPartnerLink, InvitationPreview, preview_partner_link};
use crate::{
    error::AppError,
    i18n::*,
    links::{LinkPage, link_token},
    ui::{AuthCard, Gate, Need, error_summary, format_time, leave_if_signed_out},
};
use leptos::prelude::*;

#[component]
pub fn AcceptPartnerPage() -> impl IntoView {
    view! { <Gate need=Need::Member><AcceptPartner /></Gate> }
}

#[component]
fn AcceptPartner() -> impl IntoView {
    let i18n = use_i18n();
    let preview = Resource::new(|| (), |()| async move {
        let token = link_token(LinkPage::PartnerLink).await?;
        let preview = preview_partner_link(token.clone()).await?;
        Ok::<_, AppError>((preview, token))
    });
    view! {
        <AuthCard title=move || t!(i18n, partner_accept.title)>
            <Suspense fallback=|| view! { <p class="text-slate-500">"…"</p> }>
                {move || preview.get().map(|answer| match answer {
                    Ok((preview, token)) => view! { <Confirm preview token /> }.into_any(),
                    Err(error) => {
                        leave_if_signed_out(&error);
                        view! { <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{move || error_summary(i18n.get_locale(), &error)}</p> }.into_any()
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
fn Confirm(preview: InvitationPreview, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let confirm = ServerAction::<ConfirmPartnerLink>::new();
    let failure = move || {
        confirm.value().get().and_then(Result::err).map(|e| {
            leave_if_signed_out(&e);
            error_summary(i18n.get_locale(), &e)
        })
    };
    let done = move || matches!(confirm.value().get(), Some(Ok(())));
    let account = preview.your_account.clone().unwrap_or_default();
    let (partner, partner_id, by, until) =
        (preview.partner_name.clone(), preview.partner_id.clone(), preview.created_by.clone(), format_time(preview.expires_at));
    let asks = move || {
        td_string!(i18n.get_locale(), partner_accept.asks, partner = partner.clone(), partner_id = partner_id.clone(), account = account.clone()).to_string()
    };
    let sent_by = move || td_string!(i18n.get_locale(), partner_accept.sent_by, by = by.clone(), until = until.clone()).to_string();
    view! {
        <div class="space-y-4 text-sm text-slate-700">
            <p data-testid="partner-ask">
                {asks}
            </p>
            <ul class="list-disc space-y-1 pl-5 text-slate-600">
                <li>{t!(i18n, partner_accept.scope_roles)}</li>
                <li>{t!(i18n, partner_accept.scope_never)}</li>
                <li>{t!(i18n, partner_accept.scope_revoke)}</li>
            </ul>
            <p class="text-xs text-slate-500">
                {sent_by}
            </p>
            {move || failure().map(|text| view! { <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-red-800 ring-1 ring-inset ring-red-200">{text}</p> })}
            {move || if done() {
                view! {
                    <p role="status" class="rounded-md bg-emerald-50 px-4 py-3 text-emerald-900 ring-1 ring-inset ring-emerald-200">{t!(i18n, partner_accept.done)}</p>
                    <a href="/partners" class="inline-block font-semibold text-indigo-600 hover:text-indigo-500">{t!(i18n, partner_accept.to_partners)}</a>
                }.into_any()
            } else if preview.can_confirm {
                let token = token.clone();
                view! {
                    <button type="button" disabled=move || confirm.pending().get()
                        on:click=move |_| { confirm.dispatch(ConfirmPartnerLink { token: token.clone() }); }
                        class="flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">
                        {t!(i18n, partner_accept.confirm)}
                    </button>
                }.into_any()
            } else {
                view! { <p role="alert" class="rounded-md bg-amber-50 px-4 py-3 text-amber-900 ring-1 ring-inset ring-amber-200">{t!(i18n, partner_accept.cannot_confirm)}</p> }.into_any()
            }}
        </div>
    }
}
