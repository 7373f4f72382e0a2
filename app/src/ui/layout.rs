//! The page frame: header with the account, language switcher and user menu.

use super::{AccountPicker, ActingBanner, menu};
use crate::{
    auth::{Logout, SetLanguage},
    domain::Permission,
    i18n::*,
    session::use_session,
};
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::{use_location, use_navigate};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let account_name = move || session.user().and_then(|u| u.account).map(|a| a.name);
    let can = move |permission: Permission| {
        session.user().is_some_and(|u| !u.must_change_password && !u.needs_second_factor && u.account.is_some() && u.permissions.contains(permission))
    };
    let member = move || session.user().is_some_and(|u| !u.must_change_password && !u.needs_second_factor && u.account.is_some());
    Effect::new(|| menu::close_menus_on_outside_events());
    let refresh_if_here = refresh_if_here();
    view! {
        <div class="min-h-screen bg-slate-50">
            <header class="border-b border-slate-200 bg-white">
                <div class="mx-auto flex h-14 max-w-6xl items-center gap-4 px-4">
                    <a href="/" on:click=move |_| refresh_if_here("/") class="flex items-center gap-2 font-semibold text-indigo-700">
                        <span aria-hidden="true" class="grid h-7 w-7 place-items-center rounded-md bg-indigo-600 text-sm text-white">"P"</span>
                        {t!(i18n, app.name)}
                    </a>
                    <Transition>
                        {move || account_name().map(|name| view! {
                            <span class="truncate border-l border-slate-200 pl-4 text-sm font-medium text-slate-600" data-testid="header-account">{name}</span>
                        })}
                    </Transition>
                    <Transition>
                        <nav class="flex text-sm font-medium">
                            {move || can(Permission::UsersView).then(|| view! {
                                <NavLink href="/users">{t!(i18n, nav.users)}</NavLink>
                            })}
                            {move || (can(Permission::UsersView) || can(Permission::RolesManage)).then(|| view! {
                                <NavLink href="/roles">{t!(i18n, nav.roles)}</NavLink>
                            })}
                            {move || can(Permission::PartnersView).then(|| view! {
                                <NavLink href="/partners">{t!(i18n, nav.partners)}</NavLink>
                            })}
                            {move || can(Permission::AuditView).then(|| view! {
                                <NavLink href="/audit">{t!(i18n, nav.audit)}</NavLink>
                            })}
                            {move || member().then(|| view! {
                                <NavLink href="/account">{t!(i18n, nav.account)}</NavLink>
                            })}
                        </nav>
                    </Transition>
                    <div class="ml-auto flex items-center gap-3">
                        <Transition>
                            <AccountPicker />
                        </Transition>
                        <LanguageSwitcher />
                        <Transition>
                            {move || session.user().map(|_| view! { <UserMenu /> })}
                        </Transition>
                    </div>
                </div>
            </header>
            <ActingBanner />
            <main class="mx-auto max-w-6xl px-4 py-10">{children()}</main>
        </div>
    }
}

/// A link of the header. Following it to the page already shown loads that page again: the
/// session is read anew, and the page (whose gate waits on it) is drawn again with fresh data;
/// a session or customer access that ended meanwhile shows at once (sign-in page, or the
/// access-ended panel).
#[component]
fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let pathname = use_location().pathname;
    let refresh_if_here = refresh_if_here();
    let current = move || (pathname.get() == href).then_some("page");
    view! {
        <a href=href on:click=move |_| refresh_if_here(href) aria-current=current
            class="rounded-md px-3 py-2 text-slate-700 hover:bg-slate-100 aria-[current=page]:bg-slate-100 aria-[current=page]:text-slate-900">
            {children()}
        </a>
    }
}

/// Reads the session again when `href` is the page shown (see `NavLink`).
fn refresh_if_here() -> impl Fn(&str) + Copy + 'static {
    let pathname = use_location().pathname;
    let session = use_session();
    move |href: &str| {
        if pathname.get_untracked() == href {
            session.refresh();
        }
    }
}

/// Switches the language at once; a signed-in user's choice is also saved to their profile.
#[component]
fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let save = ServerAction::<SetLanguage>::new();
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(locale) = Locale::get_all().iter().copied().find(|l| l.as_str() == value) {
            i18n.set_locale(locale);
            if session.user().is_some() {
                save.dispatch(SetLanguage { locale: value });
            }
        }
    };
    view! {
        <label class="sr-only" for="language">{t!(i18n, nav.language)}</label>
        <select
            id="language"
            on:change=on_change
            class="rounded-md border-0 bg-transparent py-1 pl-2 pr-7 text-sm text-slate-600 ring-1 ring-inset ring-slate-200 focus:ring-2 focus:ring-indigo-600"
        >
            <option value="en" selected=move || i18n.get_locale() == Locale::en>"English"</option>
            <option value="fr" selected=move || i18n.get_locale() == Locale::fr>"Français"</option>
        </select>
    }
}

#[component]
fn UserMenu() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(())) = logout.value().get() {
            session.refresh();
            navigate("/login", Default::default());
        }
    });
    let user = move || session.user();
    let name = move || user().map(|u| format!("{} {}", u.first_name, u.last_name)).unwrap_or_default();
    let email = move || user().map(|u| u.email).unwrap_or_default();
    // Client-side navigation keeps the header, so the menu closes itself when used.
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move |_| {
        if let Some(menu) = menu.get() {
            let _ = menu.remove_attribute("open");
        }
    };
    view! {
        <details class="relative" data-menu node_ref=menu>
            <summary
                class="flex cursor-pointer list-none items-center gap-2 rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100"
                aria-label=move || t_string!(i18n, nav.user_menu)
            >
                <span class="font-medium">{name}</span>
                <span aria-hidden="true">"▾"</span>
            </summary>
            <div on:click=close class="absolute right-0 z-10 mt-2 w-64 rounded-md bg-white p-2 shadow-lg ring-1 ring-slate-200">
                <p class="truncate px-3 py-2 text-xs text-slate-500">{email}</p>
                <a href="/profile" class="block rounded px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
                    {t!(i18n, nav.profile)}
                </a>
                <a href="/sessions" class="block rounded px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
                    {t!(i18n, nav.sessions)}
                </a>
                <a href="/security" class="block rounded px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
                    {t!(i18n, nav.security)}
                </a>
                <a href="/password/change" class="block rounded px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">
                    {t!(i18n, nav.change_password)}
                </a>
                <ActionForm action=logout>
                    <button type="submit" class="w-full rounded px-3 py-2 text-left text-sm text-slate-700 hover:bg-slate-100">
                        {t!(i18n, nav.sign_out)}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

/// The centred card of the sign-in, registration and password pages.
#[component]
pub fn AuthCard(#[prop(into)] title: ViewFn, children: Children) -> impl IntoView {
    view! {
        <div class="mx-auto max-w-md">
            <div class="rounded-xl bg-white px-8 py-10 shadow-sm ring-1 ring-slate-200">
                <h1 class="mb-6 text-2xl font-semibold tracking-tight text-slate-900">{title.run()}</h1>
                {children()}
            </div>
        </div>
    }
}
