//! The partners page (F7): invite a partner by its Partner ID, or create an invitation link for
//! a customer; every link both ways with status and dates; answers, revocation, and which
//! partner staff hold access (granted here by the partner side).

use super::{
    CreatePartnerLink, GrantAccess, InvitePartner, LinkStatus, PartnerLink, RespondToInvitation, RevokeGrant,
    RevokePartnerLink, Side, StaffMember, get_partners_overview,
};
use crate::{
    domain::{LinkId, Permission, PartnerId},
    i18n::*,
    session::use_session,
    ui::{ConfirmDialog, Confirmation, CopyButton, FormError, Gate, Need, SubmitButton, TextField, error_text, format_time, leave_if_signed_out, leave_when_signed_out},
};
use crate::ui::style;
use leptos::prelude::*;

#[component]
pub fn PartnersPage() -> impl IntoView {
    view! { <Gate need=Need::Member><Partners /></Gate> }
}

/// Actions shared by every card, so one version counter refreshes the list after any of them.
#[derive(Clone, Copy)]
struct Actions {
    respond: ServerAction<RespondToInvitation>,
    revoke: ServerAction<RevokePartnerLink>,
    grant: ServerAction<GrantAccess>,
    revoke_grant: ServerAction<RevokeGrant>,
    confirm: RwSignal<Option<Confirmation>>,
}

const CARD: &str = "rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200";
const BUTTON: &str = "rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50";
const DANGER: &str = "rounded-md px-3 py-1.5 text-sm font-semibold text-red-700 ring-1 ring-inset ring-red-200 hover:bg-red-50";

#[component]
fn Partners() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let invite = ServerAction::<InvitePartner>::new();
    let create_link = ServerAction::<CreatePartnerLink>::new();
    let actions = Actions {
        respond: ServerAction::new(),
        revoke: ServerAction::new(),
        grant: ServerAction::new(),
        revoke_grant: ServerAction::new(),
        confirm: RwSignal::new(None),
    };
    provide_context(actions);
    let links = Resource::new(
        move || {
            (
                invite.version().get(),
                create_link.version().get(),
                actions.respond.version().get(),
                actions.revoke.version().get(),
                actions.grant.version().get(),
                actions.revoke_grant.version().get(),
            )
        },
        |_| get_partners_overview(),
    );
    let can = move |p: Permission| session.user().is_some_and(|u| u.permissions.contains(p));
    let own_partner_id = move || session.user().and_then(|u| u.account).map(|a| a.partner_id).unwrap_or_default();
    let invite_error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let action_error = move || {
        let locale = i18n.get_locale();
        let errors = [
            actions.respond.value().get().and_then(Result::err),
            actions.revoke.value().get().and_then(Result::err),
            actions.revoke_grant.value().get().and_then(Result::err),
            create_link.value().get().and_then(Result::err),
        ];
        errors.into_iter().flatten().next().map(|e| {
            leave_if_signed_out(&e);
            error_text(locale, &e)
        })
    };
    leave_when_signed_out(move || invite_error.get());
    let invited = move || matches!(invite.value().get(), Some(Ok(())));
    view! {
        <ConfirmDialog pending=actions.confirm />
        <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, partners.title)}</h1>
        <p class="mt-2 max-w-3xl text-sm text-slate-600">
            {t!(i18n, partners.intro)} " "
            {t!(i18n, partners.your_id)} " " <span class="font-mono font-semibold text-slate-900" data-testid="own-partner-id">{own_partner_id}</span>
            " " <CopyButton value=Signal::derive(own_partner_id) what=|l| td_string!(l, account.partner_id) />
        </p>
        {move || action_error().map(|text| view! {
            <p role="alert" class="mt-4 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{text}</p>
        })}
        <Show when=move || can(Permission::PartnersManage)>
            <div class="mt-6 grid gap-6 md:grid-cols-2">
                <ActionForm action=invite attr:class=format!("{CARD} space-y-4") attr:novalidate=true>
                    <h2 class="text-lg font-semibold text-slate-900">{t!(i18n, partners.invite_title)}</h2>
                    <p class="text-sm text-slate-600">{t!(i18n, partners.invite_intro)}</p>
                    <FormError error=invite_error />
                    <Show when=invited>
                        <p role="status" class=style::SUCCESS_BOX>{t!(i18n, partners.invited_notice)}</p>
                    </Show>
                    <TextField name="partner_id" error=invite_error validate=|s| PartnerId::parse(s).map(drop)>{t!(i18n, partners.partner_id)}</TextField>
                    <div class="max-w-xs"><SubmitButton pending=invite.pending()>{t!(i18n, partners.invite_submit)}</SubmitButton></div>
                </ActionForm>
                <section class=format!("{CARD} space-y-4")>
                    <h2 class="text-lg font-semibold text-slate-900">{t!(i18n, partners.link_title)}</h2>
                    <p class="text-sm text-slate-600">{t!(i18n, partners.link_intro)}</p>
                    {move || create_link.value().get().and_then(Result::ok).map(|url| view! {
                        <div role="status" class="space-y-2">
                            <p class="text-sm text-emerald-900">{t!(i18n, partners.link_created)}</p>
                            <div class="flex items-center gap-2">
                                <input readonly value=url.clone() aria-label=move || t_string!(i18n, partners.link_label) data-testid="partner-link-url"
                                    class="block w-full rounded-md border-0 bg-slate-100 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300" />
                                <CopyButton value=Signal::stored(url) what=|l| td_string!(l, partners.link_label) />
                            </div>
                        </div>
                    })}
                    <button type="button" on:click=move |_| { create_link.dispatch(CreatePartnerLink {}); } disabled=move || create_link.pending().get()
                        class=style::PRIMARY_BUTTON>
                        {t!(i18n, partners.link_submit)}
                    </button>
                </section>
            </div>
        </Show>
        <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"…"</p> }>
            {move || links.get().and_then(|answer| answer.inspect_err(leave_if_signed_out).ok()).map(|overview| {
                provide_context(StoredValue::new(overview.staff));
                // Read reactively: the cards are drawn again in the language the header switches to.
                let locale = i18n.get_locale();
                let (mine, theirs): (Vec<_>, Vec<_>) = overview.links.into_iter().partition(|l| l.side == Side::Customer);
                view! {
                    <LinkList heading=td_string!(locale, partners.our_partners) empty=td_string!(locale, partners.no_partners) links=mine testid="customer-side" />
                    <LinkList heading=td_string!(locale, partners.our_customers) empty=td_string!(locale, partners.no_customers) links=theirs testid="partner-side" />
                }
            })}
        </Transition>
    }
}

#[component]
fn LinkList(heading: &'static str, empty: &'static str, links: Vec<PartnerLink>, testid: &'static str) -> impl IntoView {
    view! {
        <section class="mt-10" data-testid=testid>
            <h2 class="text-lg font-semibold text-slate-900">{heading}</h2>
            {if links.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600" data-testid="empty">{empty}</p> }.into_any()
            } else {
                view! { <ul class="mt-3 space-y-4">{links.into_iter().map(|link| view! { <LinkCard link /> }).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
}

fn status_badge(locale: Locale, status: LinkStatus) -> (&'static str, &'static str) {
    match status {
        LinkStatus::Invited => (td_string!(locale, partners.status_invited), "bg-amber-50 text-amber-800 ring-amber-200"),
        LinkStatus::Active => (td_string!(locale, partners.status_active), "bg-emerald-50 text-emerald-800 ring-emerald-200"),
        LinkStatus::Declined => (td_string!(locale, partners.status_declined), "bg-slate-100 text-slate-700 ring-slate-200"),
        LinkStatus::Revoked => (td_string!(locale, partners.status_revoked), "bg-red-50 text-red-800 ring-red-200"),
        LinkStatus::Expired => (td_string!(locale, partners.status_expired), "bg-slate-100 text-slate-700 ring-slate-200"),
    }
}

#[component]
fn LinkCard(link: PartnerLink) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let actions = expect_context::<Actions>();
    let locale = i18n.get_locale_untracked();
    let can = move |p: Permission| session.user().is_some_and(|u| u.permissions.contains(p));
    let (status_text, status_class) = status_badge(locale, link.status);
    let other_name = link.other.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| td_string!(locale, partners.open_link).to_owned());
    let other_code = link.other.as_ref().map(|o| o.partner_id.clone()).unwrap_or_default();
    let id = link.id;
    let live = matches!(link.status, LinkStatus::Invited | LinkStatus::Active);
    let awaiting_us = link.side == Side::Partner && !link.initiated_here && link.status == LinkStatus::Invited;
    let ask_revoke = {
        let name = other_name.clone();
        move |_| {
            let locale = i18n.get_locale_untracked();
            actions.confirm.set(Some(Confirmation::new(
                td_string!(locale, partners.revoke_title, other = name.clone()).to_string(),
                td_string!(locale, partners.revoke_detail),
                td_string!(locale, partners.revoke),
                move || drop(actions.revoke.dispatch(RevokePartnerLink { link_id: id })),
            )));
        }
    };
    let mut dates = vec![td_string!(locale, partners.created, date = format_time(link.created_at), by = link.created_by.clone()).to_string()];
    if link.status == LinkStatus::Invited || link.status == LinkStatus::Expired {
        dates.push(td_string!(locale, partners.expires, date = format_time(link.expires_at)).to_string());
    }
    if let Some(at) = link.responded_at {
        dates.push(td_string!(locale, partners.answered, date = format_time(at)).to_string());
    }
    if let Some(at) = link.ended_at {
        dates.push(td_string!(locale, partners.ended, date = format_time(at)).to_string());
    }
    let grants = link.grants.clone();
    let grant_side = link.side;
    let roles = link.delegable_roles.clone();
    view! {
        <li class=CARD data-testid="partner-link" data-other=other_name.clone() data-status=format!("{:?}", link.status).to_lowercase()>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div>
                    <h3 class="font-semibold text-slate-900">{other_name.clone()}</h3>
                    <p class="font-mono text-xs text-slate-500">{other_code}</p>
                </div>
                <span class=format!("rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset {status_class}") data-testid="status">{status_text}</span>
            </div>
            <p class="mt-2 text-xs text-slate-500">{dates.join(" · ")}</p>
            <div class="mt-3 flex flex-wrap gap-2">
                {(awaiting_us && can(Permission::PartnersManage)).then(|| view! {
                    <button type="button" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500"
                        on:click=move |_| { actions.respond.dispatch(RespondToInvitation { link_id: id, accept: true }); }>
                        {t!(i18n, partners.accept)}
                    </button>
                    <button type="button" class=BUTTON on:click=move |_| { actions.respond.dispatch(RespondToInvitation { link_id: id, accept: false }); }>
                        {t!(i18n, partners.decline)}
                    </button>
                })}
                {(live && can(Permission::PartnersManage)).then(|| view! {
                    <button type="button" class=DANGER on:click=ask_revoke.clone()>{t!(i18n, partners.revoke)}</button>
                })}
            </div>
            {(!grants.is_empty() || (grant_side == Side::Customer && link.status == LinkStatus::Active)).then(|| view! { <GrantList grants side=grant_side /> })}
            {(grant_side == Side::Partner && link.status == LinkStatus::Active && can(Permission::PartnersDelegate)).then(|| view! { <GrantForm link_id=id roles /> })}
        </li>
    }
}

#[component]
fn GrantList(grants: Vec<super::Grant>, side: Side) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let actions = expect_context::<Actions>();
    let locale = i18n.get_locale_untracked();
    let may_remove = move || {
        let needed = if side == Side::Partner { Permission::PartnersDelegate } else { Permission::PartnersManage };
        session.user().is_some_and(|u| u.permissions.contains(needed))
    };
    view! {
        <div class="mt-4 border-t border-slate-100 pt-3">
            <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">{t!(i18n, partners.staff_with_access)}</h4>
            {if grants.is_empty() {
                view! { <p class="mt-1 text-sm text-slate-500">{t!(i18n, partners.no_staff)}</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-100 text-sm">
                        {grants.into_iter().map(|g| {
                            let role = g.role_builtin_key.map_or_else(|| g.role_name.clone(), |role| role.name(locale));
                            let grant_id = g.id;
                            view! {
                                <li class="flex flex-wrap items-center gap-x-3 py-2" data-testid="grant" data-login=g.login_name.clone()>
                                    <span class="font-medium text-slate-900">{g.user_name.clone()}</span>
                                    <span class="text-slate-500">{g.email.clone()}</span>
                                    <span class="rounded-md bg-slate-100 px-2 py-0.5 text-xs text-slate-700">{role}</span>
                                    {may_remove().then(|| view! {
                                        <button type="button" class="ml-auto text-sm font-medium text-red-700 hover:text-red-600"
                                            aria-label=format!("{} {}", td_string!(locale, partners.remove_access), g.login_name)
                                            on:click=move |_| { actions.revoke_grant.dispatch(RevokeGrant { grant_id }); }>
                                            {t!(i18n, partners.remove_access)}
                                        </button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
    }
}

/// The partner side gives one of its staff access to this customer, with a customer role.
#[component]
fn GrantForm(link_id: LinkId, roles: Vec<super::DelegableRole>) -> impl IntoView {
    let i18n = use_i18n();
    let actions = expect_context::<Actions>();
    let staff = expect_context::<StoredValue<Vec<StaffMember>>>().get_value();
    let user = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let error = Signal::derive(move || actions.grant.value().get().and_then(Result::err));
    let field_error = move |field: &str| {
        error.get().and_then(|e| e.problem_for(field)).map(|p| crate::ui::problem_text(i18n.get_locale(), p))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(user_id), Ok(role_id)) = (user.get_untracked().parse(), role.get_untracked().parse()) else { return };
        actions.grant.dispatch(GrantAccess { link_id, user_id, role_id });
    };
    let select = "mt-1 block w-full rounded-md border-0 py-1.5 pl-3 pr-8 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";
    let staff_id = format!("grant-staff-{link_id}");
    let role_id = format!("grant-role-{link_id}");
    let locale = i18n.get_locale_untracked();
    view! {
        <form on:submit=submit class="mt-4 grid gap-3 border-t border-slate-100 pt-4 sm:grid-cols-[1fr_1fr_auto] sm:items-end" data-testid="grant-form">
            <div>
                <label for=staff_id.clone() class=style::SMALL_LABEL>{t!(i18n, partners.staff_member)}</label>
                <select id=staff_id class=select on:change=move |ev| user.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, partners.choose)}</option>
                    {staff.into_iter().map(|m| view! {
                        <option value=m.id.to_string()>{format!("{} ({})", m.name, m.login_name)}</option>
                    }).collect_view()}
                </select>
                <p class="text-xs text-red-600">{move || field_error("user_id")}</p>
            </div>
            <div>
                <label for=role_id.clone() class=style::SMALL_LABEL>{t!(i18n, partners.customer_role)}</label>
                <select id=role_id class=select on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="">{t!(i18n, partners.choose)}</option>
                    {roles.into_iter().map(|r| {
                        let name = r.builtin_key.map_or_else(|| r.name.clone(), |role| role.name(locale));
                        view! { <option value=r.id.to_string() disabled=!r.delegable>{name}</option> }
                    }).collect_view()}
                </select>
                <p class="text-xs text-red-600">{move || field_error("role_id")}</p>
            </div>
            <button type="submit" disabled=move || actions.grant.pending().get()
                class=style::PRIMARY_BUTTON>
                {t!(i18n, partners.give_access)}
            </button>
        </form>
    }
}
