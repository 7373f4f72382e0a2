//! Pages opened from a link that carries a secret token (SPEC S7): an invitation, a password
//! reset, an e-mail verification, a partner's invitation. The server answers such a link with
//! a redirect to the same page without the token and keeps the token in a short-lived
//! HttpOnly cookie of that page (`server::link_tokens`), so it leaves the address bar, the
//! history, the `Referer` and any `next=`. The page reads it back with [`link_token`]; the
//! function that spends the link clears the cookie.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkPage {
    Invitation,
    PasswordReset,
    EmailVerification,
    PartnerLink,
}

impl LinkPage {
    pub const ALL: [LinkPage; 4] = [Self::Invitation, Self::PasswordReset, Self::EmailVerification, Self::PartnerLink];

    /// The page's path, as the mailed or shared link names it.
    pub fn path(self) -> &'static str {
        match self {
            Self::Invitation => "/invitation",
            Self::PasswordReset => "/password/reset",
            Self::EmailVerification => "/verify-email",
            Self::PartnerLink => "/partners/accept",
        }
    }

    /// The page served at `path`, if it is one a token link opens.
    pub fn at(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|page| page.path() == path)
    }

    /// Names the page's cookie: `portico_link_<key>`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "reset",
            Self::EmailVerification => "verify",
            Self::PartnerLink => "partner",
        }
    }
}

/// The token of the link that opened `page`, empty when the browser holds none (never opened,
/// expired after an hour, or spent): the page then shows the same error as for a bad link.
/// Only ever gives the browser back what it sent.
#[server(prefix = "/api", endpoint = "links/token")]
pub async fn link_token(page: LinkPage) -> Result<String, AppError> {
    use crate::ssr::{cookies, guard};
    let caller = guard::public().await?;
    let secure = caller.state.settings.secure_cookies;
    Ok(use_context::<http::request::Parts>()
        .and_then(|parts| cookies::link_token(&parts.headers, page, secure))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_is_found_by_its_path_and_nothing_else() {
        for page in LinkPage::ALL {
            assert_eq!(LinkPage::at(page.path()), Some(page));
        }
        assert_eq!(LinkPage::at("/invitation/"), None);
        assert_eq!(LinkPage::at("/login"), None);
    }
}
