//! Permissions, the sets roles carry, the built-in roles (F5) and what delegation may carry (F7).

use serde::{Deserialize, Serialize};

/// The fixed capabilities of SPEC F5. Bit positions are stored in the database: never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    UsersView,
    UsersManage,
    RolesManage,
    AccountManage,
    PartnersView,
    PartnersManage,
    PartnersDelegate,
    AuditView,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Self::UsersView,
        Self::UsersManage,
        Self::RolesManage,
        Self::AccountManage,
        Self::PartnersView,
        Self::PartnersManage,
        Self::PartnersDelegate,
        Self::AuditView,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsersView => "users.view",
            Self::UsersManage => "users.manage",
            Self::RolesManage => "roles.manage",
            Self::AccountManage => "account.manage",
            Self::PartnersView => "partners.view",
            Self::PartnersManage => "partners.manage",
            Self::PartnersDelegate => "partners.delegate",
            Self::AuditView => "audit.view",
        }
    }

    fn bit(self) -> i64 {
        1 << (self as u32)
    }
}

/// A set of permissions, stored as a bit mask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionSet(i64);

impl PermissionSet {
    pub const EMPTY: Self = Self(0);

    pub fn all() -> Self {
        Self::of(&Permission::ALL)
    }

    pub fn of(permissions: &[Permission]) -> Self {
        Self(permissions.iter().fold(0, |bits, p| bits | p.bit()))
    }

    /// Unknown bits (from a newer version) are dropped rather than trusted.
    pub fn from_bits(bits: i64) -> Self {
        Self(bits & Self::all().0)
    }

    pub fn bits(self) -> i64 {
        self.0
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// What delegation carries of these permissions (F7): never the customer's partner
    /// management, whatever role partner staff were given.
    pub fn delegable(self) -> Self {
        Self(self.0 & !Self::of(&NEVER_DELEGATED).0)
    }

    /// Whether a role with these permissions may be delegated by a `granter`: it never carries
    /// `partners.manage` of the customer, and holds nothing the granter lacks (no escalation, F5).
    pub fn may_be_delegated_by(self, granter: Self) -> bool {
        !self.contains(Permission::PartnersManage) && self.delegable().is_subset_of(granter)
    }
}

/// What partner staff may never do in a customer's account.
const NEVER_DELEGATED: [Permission; 2] = [Permission::PartnersManage, Permission::PartnersDelegate];

/// The read-only roles every account has (SPEC F5). Their rows are created by a migration;
/// `roles.builtin_key` and the wire carry the snake_case key (`user_manager`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltInRole {
    Administrator,
    UserManager,
    PartnerManager,
    Auditor,
    Member,
}

impl BuiltInRole {
    pub const ALL: [BuiltInRole; 5] =
        [Self::Administrator, Self::UserManager, Self::PartnerManager, Self::Auditor, Self::Member];

    /// The stable key stored in `roles.builtin_key`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::UserManager => "user_manager",
            Self::PartnerManager => "partner_manager",
            Self::Auditor => "auditor",
            Self::Member => "member",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Self::Administrator => PermissionSet::all(),
            Self::UserManager => PermissionSet::of(&[UsersView, UsersManage]),
            Self::PartnerManager => {
                PermissionSet::of(&[PartnersView, PartnersManage, PartnersDelegate])
            }
            Self::Auditor => PermissionSet::of(&[AuditView, UsersView, PartnersView]),
            Self::Member => PermissionSet::EMPTY,
        }
    }
}

/// `roles.builtin_key` reads as the role it names; a key this version does not know is an error,
/// not a custom role.
#[cfg(feature = "ssr")]
mod sql {
    use super::BuiltInRole;
    use sqlx::{Any, Decode, Type, any::AnyTypeInfo, any::AnyValueRef, error::BoxDynError};

    impl Type<Any> for BuiltInRole {
        fn type_info() -> AnyTypeInfo {
            <String as Type<Any>>::type_info()
        }
    }

    impl<'r> Decode<'r, Any> for BuiltInRole {
        fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
            let key = <String as Decode<Any>>::decode(value)?;
            Self::from_key(&key).ok_or_else(|| format!("unknown built-in role {key:?}").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrator_holds_every_permission_and_member_none() {
        assert!(Permission::ALL.iter().all(|p| BuiltInRole::Administrator.permissions().contains(*p)));
        assert_eq!(BuiltInRole::Member.permissions().iter().count(), 0);
    }

    #[test]
    fn unknown_bits_are_dropped() {
        assert_eq!(PermissionSet::from_bits(-1), PermissionSet::all());
    }

    #[test]
    fn delegation_never_carries_partner_management() {
        let administrator = BuiltInRole::Administrator.permissions();
        assert!(!administrator.delegable().contains(Permission::PartnersManage));
        assert!(!administrator.delegable().contains(Permission::PartnersDelegate));
        assert!(administrator.delegable().contains(Permission::UsersManage));
    }

    #[test]
    fn a_role_is_delegable_only_without_partner_management_and_within_the_granter() {
        let granter = BuiltInRole::Administrator.permissions();
        assert!(BuiltInRole::UserManager.permissions().may_be_delegated_by(granter));
        assert!(!BuiltInRole::PartnerManager.permissions().may_be_delegated_by(granter), "carries partners.manage");
        assert!(!BuiltInRole::Administrator.permissions().may_be_delegated_by(granter), "carries partners.manage");
        let auditor = BuiltInRole::Auditor.permissions();
        assert!(!auditor.may_be_delegated_by(BuiltInRole::UserManager.permissions()), "holds what the granter lacks");
        let delegates_only = PermissionSet::of(&[Permission::PartnersDelegate, Permission::UsersView]);
        assert!(delegates_only.may_be_delegated_by(PermissionSet::of(&[Permission::UsersView])), "what delegation drops does not count");
    }

    #[test]
    fn subsets_detect_escalation() {
        let manager = BuiltInRole::UserManager.permissions();
        assert!(manager.is_subset_of(PermissionSet::all()));
        assert!(!PermissionSet::all().is_subset_of(manager));
    }
}
