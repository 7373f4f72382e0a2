//! Roles and permissions (F5): the account's role catalogue and the forms for custom roles.

mod page;

pub use page::RolesPage;

use crate::{
    domain::{BuiltInRole, Permission, PermissionSet, RoleDescription, RoleId, RoleName},
    error::{AppError, FieldErrors},
    i18n::*,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A role of the account's catalogue. Built-in roles carry their key (the UI translates their
/// name and description) and are read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub builtin_key: Option<BuiltInRole>,
    pub permissions: PermissionSet,
    /// Users of this account holding the role.
    pub holders: i64,
}

/// How a built-in role reads: its name and description in the reader's language.
impl BuiltInRole {
    pub fn name(self, locale: Locale) -> String {
        match self {
            Self::Administrator => td_string!(locale, roles.administrator),
            Self::UserManager => td_string!(locale, roles.user_manager),
            Self::PartnerManager => td_string!(locale, roles.partner_manager),
            Self::Auditor => td_string!(locale, roles.auditor),
            Self::Member => td_string!(locale, roles.member),
        }
        .to_owned()
    }

    pub fn description(self, locale: Locale) -> String {
        match self {
            Self::Administrator => td_string!(locale, roles.administrator_description),
            Self::UserManager => td_string!(locale, roles.user_manager_description),
            Self::PartnerManager => td_string!(locale, roles.partner_manager_description),
            Self::Auditor => td_string!(locale, roles.auditor_description),
            Self::Member => td_string!(locale, roles.member_description),
        }
        .to_owned()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleForm {
    pub name: String,
    pub description: String,
    pub permissions: Vec<Permission>,
}

/// A role form whose every field parsed: what the service receives.
#[derive(Debug, Clone)]
pub struct ParsedRole {
    pub name: RoleName,
    pub description: RoleDescription,
    pub permissions: PermissionSet,
}

impl RoleForm {
    /// Every field's problem at once, each beside its field.
    pub fn parse(&self) -> Result<ParsedRole, AppError> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", RoleName::parse(&self.name));
        let description = errors.check("description", RoleDescription::parse(&self.description));
        match (name, description) {
            (Some(name), Some(description)) => {
                Ok(ParsedRole { name, description, permissions: PermissionSet::of(&self.permissions) })
            }
            _ => Err(errors.into_error()),
        }
    }
}

/// Readable by whoever sees users (the role filter, the user form) or manages roles.
#[server(prefix = "/api", endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<RoleInfo>, AppError> {
    use crate::ssr::{guard, services::roles};
    let req = guard::any_permission(&[Permission::UsersView, Permission::RolesManage]).await?;
    roles::list(&req).await
}

/// Creates a custom role (`id` absent) or changes one.
#[server(prefix = "/api", endpoint = "roles/save", input = server_fn::codec::Json)]
pub async fn save_role(id: Option<RoleId>, form: RoleForm) -> Result<RoleId, AppError> {
    use crate::ssr::{guard, services::roles};
    let req = guard::permission(Permission::RolesManage).await?;
    roles::save(&req, id, form.parse()?).await
}

/// Deletes a custom role; its holders lose it. Returns how many held it.
#[server(prefix = "/api", endpoint = "roles/delete")]
pub async fn delete_role(id: RoleId) -> Result<i64, AppError> {
    use crate::ssr::{guard, services::roles};
    let req = guard::permission(Permission::RolesManage).await?;
    roles::delete(&req, id).await
}
