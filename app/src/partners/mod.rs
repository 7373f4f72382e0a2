//! Partner access (SPEC F7): links between a partner company and its customers, delegation of
//! chosen partner staff to a customer, and acting for a customer.

mod accept;
mod page;

pub use accept::AcceptPartnerPage;
pub use page::PartnersPage;

#[cfg(feature = "ssr")]
use crate::domain::Permission;
use crate::{
    domain::{BuiltInRole, GrantId, LinkId, PermissionSet, RoleId, UserId},
    error::AppError,
    session::AccountSummary,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkStatus {
    Invited,
    Active,
    Declined,
    Revoked,
    /// An invitation nobody answered in time.
    Expired,
}

/// The viewer's side of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// The viewer's account is administered by the other one.
    Customer,
    /// The viewer's account administers the other one.
    Partner,
}

/// Partner staff holding access to a customer, and the customer role scoping it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: GrantId,
    pub user_name: String,
    pub login_name: String,
    pub email: String,
    pub role_name: String,
    pub role_builtin_key: Option<BuiltInRole>,
    pub granted_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerLink {
    pub id: LinkId,
    pub side: Side,
    /// The other company; `None` for a partner's shareable link nobody has confirmed yet.
    pub other: Option<AccountSummary>,
    pub status: LinkStatus,
    /// Whether the viewer's account sent the invitation.
    pub initiated_here: bool,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub responded_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub grants: Vec<Grant>,
    /// The customer's roles, for the partner side's delegation form (with `partners.delegate`
    /// on an active link; empty otherwise).
    pub delegable_roles: Vec<DelegableRole>,
}

/// The partners page's data in one answer: the links, and the staff the viewer may delegate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnersOverview {
    pub links: Vec<PartnerLink>,
    /// With `partners.delegate`: the account's active members.
    pub staff: Vec<StaffMember>,
}

/// What a customer admin sees before confirming a partner's invitation link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub partner_name: String,
    pub partner_id: String,
    pub created_by: String,
    pub expires_at: i64,
    /// The account that would become the customer, if the viewer has one.
    pub your_account: Option<String>,
    /// The viewer may confirm (holds `partners.manage` in another account than the partner).
    pub can_confirm: bool,
}

/// A member of the partner's own staff, for the delegation form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: UserId,
    pub name: String,
    pub login_name: String,
}

/// A role of the customer's catalogue, and whether it may be delegated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegableRole {
    pub id: RoleId,
    pub name: String,
    pub builtin_key: Option<BuiltInRole>,
    pub permissions: PermissionSet,
    pub delegable: bool,
}

/// A customer the signed-in staff member may act for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerChoice {
    pub account: AccountSummary,
    pub role_name: String,
    pub role_builtin_key: Option<BuiltInRole>,
}

#[server(prefix = "/api", endpoint = "partners/list")]
pub async fn get_partners_overview() -> Result<PartnersOverview, AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::permission(Permission::PartnersView).await?;
    partners::delegation::overview(&req).await
}

/// A customer invites a partner by its Partner ID.
#[server(prefix = "/api", endpoint = "partners/invite")]
pub async fn invite_partner(partner_id: String) -> Result<(), AppError> {
    use crate::{domain::PartnerId, ssr::{guard, services::partners}};
    let req = guard::permission(Permission::PartnersManage).await?;
    let partner_id = PartnerId::parse(&partner_id).map_err(|p| AppError::field("partner_id", p))?;
    partners::links::invite(&req, partner_id).await
}

/// The partner accepts or declines a customer's invitation.
#[server(prefix = "/api", endpoint = "partners/respond")]
pub async fn respond_to_invitation(link_id: LinkId, accept: bool) -> Result<(), AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::permission(Permission::PartnersManage).await?;
    partners::links::respond(&req, link_id, accept).await
}

/// A partner creates a shareable, single-use invitation link; returns its URL (shown once).
#[server(prefix = "/api", endpoint = "partners/create_link")]
pub async fn create_partner_link() -> Result<String, AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::permission(Permission::PartnersManage).await?;
    partners::links::create_link(&req).await
}

/// Who is asking, for the customer admin who opened a partner's link.
#[server(prefix = "/api", endpoint = "partners/preview")]
pub async fn preview_partner_link(token: String) -> Result<InvitationPreview, AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::signed_in().await?;
    partners::links::preview(&req, &token).await
}

/// The customer admin confirms a partner's link: the link becomes active.
#[server(prefix = "/api", endpoint = "partners/confirm")]
pub async fn confirm_partner_link(token: String) -> Result<(), AppError> {
    use crate::{links::LinkPage, ssr::{cookies, guard, services::partners}};
    let req = guard::permission(Permission::PartnersManage).await?;
    partners::links::confirm(&req, &token).await?;
    cookies::clear_link(LinkPage::PartnerLink, req.state.settings.secure_cookies);
    Ok(())
}

/// Either side ends a link (an invitation or an active one); delegated access ends with it.
#[server(prefix = "/api", endpoint = "partners/revoke")]
pub async fn revoke_partner_link(link_id: LinkId) -> Result<(), AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::permission(Permission::PartnersManage).await?;
    partners::links::revoke(&req, link_id).await
}

/// Gives one of the partner's staff access to the link's customer, scoped by a customer role
/// (replacing the role they had there).
#[server(prefix = "/api", endpoint = "partners/grant")]
pub async fn grant_access(link_id: LinkId, user_id: UserId, role_id: RoleId) -> Result<(), AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::permission(Permission::PartnersDelegate).await?;
    partners::delegation::grant(&req, link_id, user_id, role_id).await
}

/// Ends one staff member's access: by the partner (`partners.delegate`) or the customer
/// (`partners.manage`).
#[server(prefix = "/api", endpoint = "partners/revoke_grant")]
pub async fn revoke_grant(grant_id: GrantId) -> Result<(), AppError> {
    use crate::ssr::{guard, services::partners};
    let req = guard::any_permission(&[Permission::PartnersDelegate, Permission::PartnersManage]).await?;
    partners::delegation::revoke_grant(&req, grant_id).await
}

/// Acts for a customer (`Some`) or returns to the user's own account (`None`). Allowed after a
/// revocation, since returning home is how the user leaves the ended delegation.
#[server(prefix = "/api", endpoint = "partners/act_for")]
pub async fn act_for(#[server(default)] account_id: Option<i64>) -> Result<(), AppError> {
    use crate::{domain::AccountId, ssr::{guard, services::partners}};
    let req = guard::even_delegation_ended().await?;
    partners::acting::act_for(&req, account_id.map(AccountId)).await
}
