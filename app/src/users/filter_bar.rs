//! The users page's filters: four text fields that filter as you type, and the status, second
//! factor and role lists.

use super::{UserFilter, UserStatus, list::{QueryUpdate, status_text}};
use crate::{domain::RoleId, i18n::*, roles::list_roles};
use crate::ui::style;
use leptos::prelude::*;

/// The text fields' inputs, so "Clear the filters" can empty them.
pub(super) type TextFilters = [NodeRef<leptos::html::Input>; 4];

#[component]
pub(super) fn FilterBar(update: QueryUpdate, text_filters: TextFilters) -> impl IntoView {
    let i18n = use_i18n();
    let query = update.query();
    let roles = Resource::new(|| (), |_| list_roles());
    let status_option = move |status: UserStatus| view! {
        <option value=status.key() selected=move || query.with(|q| q.filter.status == Some(status))>
            {move || status_text(i18n.get_locale(), status)}
        </option>
    };
    view! {
        <div role="search" class="mt-6 grid grid-cols-2 gap-4 md:grid-cols-4 lg:grid-cols-7">
            <TextFilter update field=TextField::FirstName node_ref=text_filters[0] />
            <TextFilter update field=TextField::LastName node_ref=text_filters[1] />
            <TextFilter update field=TextField::LoginName node_ref=text_filters[2] />
            <TextFilter update field=TextField::Email node_ref=text_filters[3] />
            <div>
                <label for="filter-status" class=style::SMALL_LABEL>{t!(i18n, users.status)}</label>
                <select id="filter-status" class=style::SELECT
                    on:change=move |ev| {
                        let status = UserStatus::from_key(&event_target_value(&ev));
                        update.filter(|f| f.status = status, false);
                    }
                >
                    <option value="" selected=move || query.with(|q| q.filter.status.is_none())>{t!(i18n, users.any_status)}</option>
                    // One option each, not an iterator: a list's comment marker inside
                    // <select> does not survive the browser's HTML parser, so hydration failed.
                    {status_option(UserStatus::Active)}
                    {status_option(UserStatus::Locked)}
                    {status_option(UserStatus::Invited)}
                    {status_option(UserStatus::MustChangePassword)}
                </select>
            </div>
            <div>
                <label for="filter-factor" class=style::SMALL_LABEL>{t!(i18n, users.factor_filter)}</label>
                <select id="filter-factor" class=style::SELECT
                    on:change=move |ev| {
                        let with = match event_target_value(&ev).as_str() {
                            "on" => Some(true),
                            "off" => Some(false),
                            _ => None,
                        };
                        update.filter(|f| f.second_factor = with, false);
                    }
                >
                    <option value="" selected=move || query.with(|q| q.filter.second_factor.is_none())>{t!(i18n, users.factor_any)}</option>
                    <option value="on" selected=move || query.with(|q| q.filter.second_factor == Some(true))>{t!(i18n, users.factor_with)}</option>
                    <option value="off" selected=move || query.with(|q| q.filter.second_factor == Some(false))>{t!(i18n, users.factor_without)}</option>
                </select>
            </div>
            <div>
                <label for="filter-role" class=style::SMALL_LABEL>{t!(i18n, users.role)}</label>
                // The options come as HTML: a list's comment markers cannot live inside <select>.
                <Transition>
                    <select id="filter-role" class=style::SELECT
                        on:change=move |ev| {
                            let role = event_target_value(&ev).parse::<RoleId>().ok();
                            update.filter(|f| f.role = role, false);
                        }
                        inner_html=move || {
                            let locale = i18n.get_locale();
                            let selected = query.with(|q| q.filter.role);
                            let mut html = format!("<option value=\"\">{}</option>", escape(td_string!(locale, users.any_role)));
                            for role in roles.get().and_then(Result::ok).unwrap_or_default() {
                                let name = role.builtin_key.map_or_else(|| role.name.clone(), |role| role.name(locale));
                                let mark = if selected == Some(role.id) { " selected" } else { "" };
                                html.push_str(&format!("<option value=\"{}\"{mark}>{}</option>", role.id, escape(&name)));
                            }
                            html
                        }
                    />
                </Transition>
            </div>
        </div>
    }
}

/// The four text filters.
#[derive(Clone, Copy)]
enum TextField {
    FirstName,
    LastName,
    LoginName,
    Email,
}

impl TextField {
    fn key(self) -> &'static str {
        match self {
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::LoginName => "login_name",
            Self::Email => "email",
        }
    }

    fn label(self, locale: Locale) -> &'static str {
        match self {
            Self::FirstName => td_string!(locale, users.first_name),
            Self::LastName => td_string!(locale, users.last_name),
            Self::LoginName => td_string!(locale, users.login_name),
            Self::Email => td_string!(locale, users.email),
        }
    }

    fn value(self, filter: &UserFilter) -> &str {
        match self {
            Self::FirstName => &filter.first_name,
            Self::LastName => &filter.last_name,
            Self::LoginName => &filter.login_name,
            Self::Email => &filter.email,
        }
    }

    fn value_mut(self, filter: &mut UserFilter) -> &mut String {
        match self {
            Self::FirstName => &mut filter.first_name,
            Self::LastName => &mut filter.last_name,
            Self::LoginName => &mut filter.login_name,
            Self::Email => &mut filter.email,
        }
    }
}

/// A text filter: its value is the user's typing (drawn from the URL once, at load), and each
/// keystroke replaces the URL's query.
#[component]
fn TextFilter(update: QueryUpdate, field: TextField, node_ref: NodeRef<leptos::html::Input>) -> impl IntoView {
    let i18n = use_i18n();
    let initial = update.query().with_untracked(|q| field.value(&q.filter).to_owned());
    let id = format!("filter-{}", field.key());
    view! {
        <div>
            <label for=id.clone() class=style::SMALL_LABEL>{move || field.label(i18n.get_locale())}</label>
            <input
                id=id
                type="search"
                value=initial
                node_ref=node_ref
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    update.filter(|f| *field.value_mut(f) = value, true);
                }
                class="mt-1 block w-full rounded-md border-0 px-3 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
            />
        </div>
    }
}

/// Escapes text for the role filter's option HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
