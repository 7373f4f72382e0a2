//! The add-user form (F3) and the edit form (F4): names, login, e-mail, password, roles with
//! their descriptions, subscriptions and language.

use super::{CarriedNotice, CreateUser, Delivery, Done, UpdateUser, UserDetails, UserForm, get_user};
use crate::{
    domain::{BuiltInRole, Email, LoginName, Password, PermissionSet, UserId},
    error::AppError,
    i18n::*,
    roles::{RoleInfo, list_roles},
    session::use_session,
    ui::{FormError, Gate, LanguageChoice, Need, SubmitButton, SubscriptionChoices, TextField, leave_if_signed_out, leave_when_signed_out, permission_names},
};
use crate::ui::style;
use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::{use_navigate, use_params_map}};
use std::collections::HashSet;

#[component]
pub fn NewUserPage() -> impl IntoView {
    view! { <Gate need=Need::Member><UserEditor id=None /></Gate> }
}

#[component]
pub fn EditUserPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()).map(UserId));
    view! { <Gate need=Need::Member><UserEditor id /></Gate> }
}

/// Loads what the form needs (the user when editing, the role catalogue), then shows it.
#[component]
fn UserEditor(id: Option<UserId>) -> impl IntoView {
    let i18n = use_i18n();
    let data = Resource::new(
        move || id,
        |id| async move {
            let roles = list_roles().await?;
            let user = match id {
                Some(id) => Some(get_user(id).await?),
                None => None,
            };
            Ok::<_, AppError>((roles, user))
        },
    );
    view! {
        <a href="/users" class="text-sm font-medium text-indigo-600 hover:text-indigo-500">"← " {t!(i18n, users.title)}</a>
        <Suspense>
            {move || data.get().map(|loaded| match loaded {
                Ok((roles, user)) => view! { <UserFormView roles user /> }.into_any(),
                Err(error) => {
                    leave_if_signed_out(&error);
                    view! {
                        <p role="alert" class="mt-6 text-sm text-red-700">{move || crate::ui::error_text(i18n.get_locale(), &error)}</p>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserFormView(roles: Vec<RoleInfo>, user: Option<UserDetails>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let my_permissions = session.user().map(|u| u.permissions).unwrap_or(PermissionSet::EMPTY);
    let editing = user.as_ref().map(|u| u.id);
    // Partner staff invite, and leave passwords, e-mail and login name to the customer (S9).
    let acting = session.user().is_some_and(|u| u.acting_for.is_some());
    let initial = user.clone().map_or_else(
        // A new user starts in the account's default language (F2 account details).
        || UserForm {
            locale: session.user().map_or_else(|| i18n.get_locale_untracked().as_str().to_owned(), |u| u.account_locale),
            subscribe_alerts: true,
            ..Default::default()
        },
        |u| UserForm {
            first_name: u.first_name,
            last_name: u.last_name,
            login_name: u.login_name,
            email: u.email,
            locale: u.locale,
            subscribe_news: u.subscribe_news,
            subscribe_alerts: u.subscribe_alerts,
            role_ids: u.role_ids,
            password: String::new(),
        },
    );
    let first_name = RwSignal::new(initial.first_name.clone());
    let last_name = RwSignal::new(initial.last_name.clone());
    let login_name = RwSignal::new(initial.login_name.clone());
    let email = RwSignal::new(initial.email.clone());
    let password = RwSignal::new(String::new());
    let locale = RwSignal::new(initial.locale.clone());
    let news = RwSignal::new(initial.subscribe_news);
    let alerts = RwSignal::new(initial.subscribe_alerts);
    let member_role = roles.iter().find(|r| r.builtin_key == Some(BuiltInRole::Member)).map(|r| r.id);
    let chosen = RwSignal::new(if editing.is_some() {
        initial.role_ids.iter().copied().collect::<HashSet<_>>()
    } else {
        member_role.into_iter().collect()
    });
    let delivery = RwSignal::new(Delivery::Invitation);

    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let error = Signal::derive(move || {
        create.value().get().and_then(Result::err).or_else(|| update.value().get().and_then(Result::err))
    });
    leave_when_signed_out(move || error.get());
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let navigate = use_navigate();
    let carried = use_context::<CarriedNotice>();
    // Back to the table, which names the new user; replacing this page's history entry, so
    // the browser's Back from the table does not reopen a spent form.
    Effect::new(move || {
        if let Some(Ok(_)) = create.value().get() {
            if let Some(carried) = carried {
                carried.0.set(Some(Done::UserAdded {
                    name: format!("{} {}", first_name.get_untracked(), last_name.get_untracked()).trim().to_owned(),
                    email: email.get_untracked(),
                    invited: delivery.get_untracked() == Delivery::Invitation,
                }));
            }
            navigate("/users", NavigateOptions { replace: true, ..Default::default() });
        }
    });
    let form = move || UserForm {
        first_name: first_name.get_untracked(),
        last_name: last_name.get_untracked(),
        login_name: login_name.get_untracked(),
        email: email.get_untracked(),
        locale: locale.get_untracked(),
        subscribe_news: news.get_untracked(),
        subscribe_alerts: alerts.get_untracked(),
        role_ids: chosen.with_untracked(|c| c.iter().copied().collect()),
        password: if editing.is_none() && delivery.get_untracked() == Delivery::Invitation { String::new() } else { password.get_untracked() },
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match editing {
            Some(id) => {
                update.dispatch(UpdateUser { id, form: form() });
            }
            None => {
                create.dispatch(CreateUser { form: form(), delivery: delivery.get_untracked() });
            }
        }
    };
    let full_name = user.as_ref().map(|u| format!("{} {}", u.first_name, u.last_name));
    let title = move || match &full_name {
        Some(name) => td_string!(i18n.get_locale(), user_form.title_edit, name = name.clone()).to_string(),
        None => t_string!(i18n, user_form.title_new).to_owned(),
    };
    let role_error = move || {
        error.get().and_then(|e| e.problem_for("role_ids")).map(|p| crate::ui::problem_text(i18n.get_locale(), p))
    };
    view! {
        <h1 class="mt-4 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
        <form on:submit=submit class="mt-6 space-y-8 rounded-xl bg-white p-8 shadow-sm ring-1 ring-slate-200" novalidate>
            <FormError error />
            <Show when=saved>
                <p role="status" class=style::SUCCESS_BOX>
                    {t!(i18n, user_form.saved)}
                </p>
            </Show>
            <div class="grid gap-5 sm:grid-cols-2">
                <TextField name="first_name" error value=first_name autofocus=true>{t!(i18n, register.first_name)}</TextField>
                <TextField name="last_name" error value=last_name>{t!(i18n, register.last_name)}</TextField>
                <TextField name="login_name" error value=login_name readonly=acting && editing.is_some() validate=|s| LoginName::parse(s).map(drop)>{t!(i18n, register.login_name)}</TextField>
                <TextField name="email" kind="email" error value=email readonly=acting && editing.is_some() validate=|s| Email::parse(s).map(drop)>{t!(i18n, register.email)}</TextField>
            </div>
            {acting.then(|| view! {
                <p data-testid="acting-limits" class="rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-950 ring-1 ring-inset ring-amber-200">
                    {t!(i18n, user_form.acting_limits)}
                </p>
            })}
            {(editing.is_none() && !acting).then(|| view! {
                <div class="max-w-xl">
                    <label for="user-delivery" class="block text-sm font-medium text-slate-700">{t!(i18n, user_form.delivery)}</label>
                    <select id="user-delivery"
                        on:change=move |ev| delivery.set(if event_target_value(&ev) == "password" { Delivery::Password } else { Delivery::Invitation })
                        class="mt-1 block w-full rounded-md border-0 py-2 pl-3 pr-8 text-sm ring-1 ring-inset ring-slate-300">
                        <option value="invitation" selected=true>{t!(i18n, user_form.delivery_invitation)}</option>
                        <option value="password">{t!(i18n, user_form.delivery_password)}</option>
                    </select>
                </div>
            })}
            <Show when=move || !acting && (editing.is_some() || delivery.get() == Delivery::Password)>
                <TextField name="password" kind="password" autocomplete="new-password" error value=password
                    validate=|s| if s.is_empty() { Ok(()) } else { Password::choose(s, &[]).map(drop) }>
                    {if editing.is_some() { t!(i18n, user_form.new_password_optional).into_any() } else { t!(i18n, user_form.password).into_any() }}
                </TextField>
            </Show>
            <fieldset>
                <legend class="text-sm font-medium text-slate-700">{t!(i18n, users.roles)}</legend>
                <div class="mt-2 grid gap-3 sm:grid-cols-2">
                    {roles.into_iter().map(|role| {
                        let id = role.id;
                        let grantable = role.permissions.is_subset_of(my_permissions);
                        let texts = role.clone();
                        let name = move || texts.builtin_key.map_or_else(|| texts.name.clone(), |role| role.name(i18n.get_locale()));
                        let texts = role.clone();
                        let description = move || texts.builtin_key.map_or_else(|| texts.description.clone(), |role| role.description(i18n.get_locale()));
                        let permissions = move || permission_names(i18n.get_locale(), role.permissions).join(", ");
                        view! {
                            <label class="flex gap-3 rounded-md p-3 ring-1 ring-inset ring-slate-200 has-[:checked]:ring-indigo-400">
                                <input type="checkbox" name="role" value=id.to_string()
                                    prop:checked=move || chosen.with(|c| c.contains(&id))
                                    disabled=!grantable
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| if on { c.insert(id); } else { c.remove(&id); });
                                    }
                                    class="mt-1 h-4 w-4 shrink-0 rounded border-slate-300 text-indigo-600" />
                                <span>
                                    <span class="block text-sm font-medium text-slate-900">{name}</span>
                                    <span class="block text-xs text-slate-600">{description}</span>
                                    <span class="block text-xs text-slate-500">{permissions}</span>
                                    {(!grantable).then(|| view! { <span class="block text-xs text-amber-700">{t!(i18n, user_form.not_grantable)}</span> })}
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </div>
                <p class="mt-2 text-sm text-red-600" role="alert">{role_error}</p>
            </fieldset>
            <div class="grid gap-5 sm:grid-cols-2">
                <SubscriptionChoices news alerts />
                <LanguageChoice id="user-locale" locale />
            </div>
            <div class="max-w-xs">
                <SubmitButton pending>
                    {if editing.is_some() { t!(i18n, user_form.save_submit).into_any() } else { t!(i18n, user_form.create_submit).into_any() }}
                </SubmitButton>
            </div>
        </form>
    }
}
