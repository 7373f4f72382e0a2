//! The roles page (F5): every role of the account with its permissions and holders; custom
//! roles can be created, edited and deleted (the confirmation says how many hold it).

use super::{DeleteRole, RoleForm, RoleInfo, SaveRole, list_roles};
use crate::{
    domain::{Permission, PermissionSet, RoleId},
    i18n::*,
    session::use_session,
    ui::{ConfirmDialog, Confirmation, FormError, Gate, Need, SubmitButton, TextField, error_text, leave_if_signed_out, permission_names},
};
use crate::ui::style;
use leptos::prelude::*;

#[component]
pub fn RolesPage() -> impl IntoView {
    view! { <Gate need=Need::Member><Roles /></Gate> }
}

/// The role being edited: `None` id for a new one.
#[derive(Clone)]
struct Editing {
    id: Option<RoleId>,
    form: RoleForm,
}

#[component]
fn Roles() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let save = ServerAction::<SaveRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let roles = Resource::new(move || (save.version().get(), delete.version().get()), |_| list_roles());
    let editing = RwSignal::new(None::<Editing>);
    let confirm = RwSignal::new(None::<Confirmation>);
    let can_manage = move || session.user().is_some_and(|u| u.permissions.contains(Permission::RolesManage));
    let notice = move || {
        let locale = i18n.get_locale();
        match (save.value().get(), delete.value().get()) {
            (_, Some(Ok(holders))) => Some(td_string!(locale, roles_page.deleted, count = holders).to_string()),
            (Some(Ok(_)), _) => Some(td_string!(locale, roles_page.saved).to_owned()),
            _ => None,
        }
    };
    let delete_error = move || delete.value().get().and_then(Result::err).map(|e| error_text(i18n.get_locale(), &e));
    Effect::new(move || {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
        }
    });
    let ask_delete = move |role: RoleInfo| {
        let locale = i18n.get_locale_untracked();
        let id = role.id;
        confirm.set(Some(Confirmation::new(
            td_string!(locale, roles_page.confirm_delete_title, name = role.name.clone()).to_string(),
            td_string!(locale, roles_page.confirm_delete_detail, count = role.holders).to_string(),
            td_string!(locale, roles_page.delete),
            move || drop(delete.dispatch(DeleteRole { id })),
        )));
    };
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{t!(i18n, roles_page.title)}</h1>
            <Transition>
                {move || can_manage().then(|| view! {
                    <button type="button" class=style::PRIMARY_BUTTON
                        on:click=move |_| editing.set(Some(Editing { id: None, form: RoleForm::default() }))>
                        {t!(i18n, roles_page.new)}
                    </button>
                })}
            </Transition>
        </div>
        <p class="mt-2 text-sm text-slate-600">{t!(i18n, roles_page.intro)}</p>
        <ConfirmDialog pending=confirm />
        <Show when=move || notice().is_some()>
            <p role="status" class="mt-4 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-inset ring-emerald-200">{notice}</p>
        </Show>
        <Show when=move || delete_error().is_some()>
            <p role="alert" class="mt-4 rounded-md bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-inset ring-red-200">{delete_error}</p>
        </Show>
        {move || editing.get().map(|e| view! { <RoleEditor editing=e save on_cancel=Callback::new(move |()| editing.set(None)) /> })}
        <ul class="mt-6 grid gap-4 md:grid-cols-2">
            <Transition>
                {move || roles.get().and_then(|answer| answer.inspect_err(leave_if_signed_out).ok()).map(|roles| roles.into_iter().map(|role| {
                    // Read reactively: the list follows the header's language switch.
                    let locale = i18n.get_locale();
                    let builtin = role.builtin_key.is_some();
                    let name = role.builtin_key.map_or_else(|| role.name.clone(), |role| role.name(locale));
                    let description = role.builtin_key.map_or_else(|| role.description.clone(), |role| role.description(locale));
                    let permissions = permission_names(locale, role.permissions);
                    let for_edit = role.clone();
                    let for_delete = role.clone();
                    view! {
                        <li data-testid="role" data-role=name.clone() class="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
                            <div class="flex items-start justify-between gap-3">
                                <div>
                                    <h2 class="font-semibold text-slate-900">{name.clone()}</h2>
                                    <p class="text-sm text-slate-600">{description}</p>
                                </div>
                                <span class="whitespace-nowrap rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">
                                    {if builtin { td_string!(locale, roles_page.builtin).to_owned() } else { td_string!(locale, roles_page.custom).to_owned() }}
                                </span>
                            </div>
                            <p class="mt-3 text-xs text-slate-500">
                                {if permissions.is_empty() { td_string!(locale, roles_page.no_permissions).to_owned() } else { permissions.join(", ") }}
                            </p>
                            <p class="mt-1 text-xs text-slate-500" data-testid="holders">{td_string!(locale, roles_page.holders, count = role.holders).to_string()}</p>
                            {(!builtin && can_manage()).then(|| view! {
                                <div class="mt-3 flex gap-2 text-sm">
                                    <button type="button" class="rounded-md px-2 py-1 font-medium text-indigo-700 hover:bg-indigo-50"
                                        on:click=move |_| editing.set(Some(Editing { id: Some(for_edit.id), form: RoleForm {
                                            name: for_edit.name.clone(),
                                            description: for_edit.description.clone(),
                                            permissions: for_edit.permissions.iter().collect(),
                                        } }))>
                                        {t!(i18n, roles_page.edit)}
                                    </button>
                                    <button type="button" class="rounded-md px-2 py-1 font-medium text-red-700 hover:bg-red-50"
                                        on:click=move |_| ask_delete(for_delete.clone())>
                                        {t!(i18n, roles_page.delete)}
                                    </button>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view())}
            </Transition>
        </ul>
    }
}

#[component]
fn RoleEditor(editing: Editing, save: ServerAction<SaveRole>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let mine = session.user().map(|u| u.permissions).unwrap_or(PermissionSet::EMPTY);
    let name = RwSignal::new(editing.form.name.clone());
    let description = RwSignal::new(editing.form.description.clone());
    let chosen = RwSignal::new(PermissionSet::of(&editing.form.permissions));
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let id = editing.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = RoleForm {
            name: name.get_untracked(),
            description: description.get_untracked(),
            permissions: chosen.get_untracked().iter().collect(),
        };
        save.dispatch(SaveRole { id, form });
    };
    view! {
        <form on:submit=submit novalidate data-testid="role-form" class="mt-6 space-y-5 rounded-xl bg-white p-6 shadow-sm ring-1 ring-indigo-200">
            <FormError error />
            <TextField name="name" error value=name autofocus=true>{t!(i18n, roles_page.name)}</TextField>
            <TextField name="description" error value=description>{t!(i18n, roles_page.description)}</TextField>
            <fieldset>
                <legend class="text-sm font-medium text-slate-700">{t!(i18n, roles_page.permissions)}</legend>
                <div class="mt-2 grid gap-2 sm:grid-cols-2">
                    {Permission::ALL.into_iter().map(|permission| {
                        let holds = mine.contains(permission);
                        let label = move || permission_names(i18n.get_locale(), PermissionSet::of(&[permission])).remove(0);
                        view! {
                            <label class="flex gap-2 text-sm text-slate-700">
                                <input type="checkbox" prop:checked=move || chosen.get().contains(permission) disabled=!holds
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|set| {
                                            let others: Vec<Permission> = set.iter().filter(|p| *p != permission).collect();
                                            *set = PermissionSet::of(&others);
                                            if on { *set = set.union(PermissionSet::of(&[permission])); }
                                        });
                                    }
                                    class="mt-0.5 h-4 w-4 rounded border-slate-300" />
                                <span>
                                    <span class="font-medium">{label}</span>
                                    <span class="block text-xs text-slate-500">{move || permission_help(i18n.get_locale(), permission)}</span>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="flex gap-3">
                <div class="w-40"><SubmitButton pending=save.pending()>{t!(i18n, roles_page.save)}</SubmitButton></div>
                <button type="button" on:click=move |_| on_cancel.run(()) class="rounded-md px-3 py-2 text-sm font-semibold text-slate-700 hover:bg-slate-100">
                    {t!(i18n, common.cancel)}
                </button>
            </div>
        </form>
    }
}

/// What each permission allows, shown beside its checkbox.
fn permission_help(locale: Locale, permission: Permission) -> &'static str {
    match permission {
        Permission::UsersView => td_string!(locale, permission_help.users_view),
        Permission::UsersManage => td_string!(locale, permission_help.users_manage),
        Permission::RolesManage => td_string!(locale, permission_help.roles_manage),
        Permission::AccountManage => td_string!(locale, permission_help.account_manage),
        Permission::PartnersView => td_string!(locale, permission_help.partners_view),
        Permission::PartnersManage => td_string!(locale, permission_help.partners_manage),
        Permission::PartnersDelegate => td_string!(locale, permission_help.partners_delegate),
        Permission::AuditView => td_string!(locale, permission_help.audit_view),
    }
}
