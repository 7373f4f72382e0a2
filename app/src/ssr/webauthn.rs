//! Portico as a WebAuthn relying party (SPEC F15 passkeys), through `webauthn-rs`: its id and
//! origin come from the public URL, and every passkey it asks for is discoverable and verifies
//! its user, so one can sign in with it alone.

use crate::error::AppError;
use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

/// Who Portico is to an authenticator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// A domain: passkeys are bound to it (and work on its subdomains' pages too).
    pub id: String,
    pub origin: Url,
}

impl RelyingParty {
    /// The relying party of the address users reach Portico at. An IP address cannot be a
    /// relying-party id (WebAuthn §5.1.4.1), so a server addressed as 127.0.0.1 or ::1 is
    /// `localhost` on the same port, which browsers treat as secure without TLS. `None` for
    /// any other IP address: passkeys then need `PORTICO_PUBLIC_URL` with a domain name.
    pub fn for_public_url(public_url: &str) -> Option<Self> {
        let mut origin = Url::parse(public_url).ok()?;
        let host = origin.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
        match host.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_loopback() => Self::localhost(&origin),
            Ok(_) => None,
            Err(_) => {
                origin.set_path("");
                Some(Self { id: host, origin })
            }
        }
    }

    fn localhost(origin: &Url) -> Option<Self> {
        let port = origin.port().map(|p| format!(":{p}")).unwrap_or_default();
        let origin = Url::parse(&format!("{}://localhost{port}", origin.scheme())).ok()?;
        Some(Self { id: "localhost".into(), origin })
    }

    pub fn webauthn(&self) -> Result<Webauthn, AppError> {
        WebauthnBuilder::new(&self.id, &self.origin)
            .and_then(|builder| builder.rp_name("Portico").build())
            .map_err(crate::ssr::internal)
    }
}

/// A passkey must be discoverable (the sign-in with a passkey alone finds its user by it);
/// webauthn-rs leaves that to the authenticator, so the creation options (WebAuthn JSON) say
/// it outright.
pub fn require_discoverable(creation_options: &mut serde_json::Value) {
    if let Some(selection) = creation_options.get_mut("authenticatorSelection").and_then(|s| s.as_object_mut()) {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
}

#[cfg(test)]
mod tests {
    use super::RelyingParty;

    #[test]
    fn a_domain_is_its_own_relying_party() {
        let rp = RelyingParty::for_public_url("https://portal.example.com/").unwrap();
        assert_eq!(rp.id, "portal.example.com");
        assert_eq!(rp.origin.as_str(), "https://portal.example.com/");
        assert!(rp.webauthn().is_ok());
    }

    #[test]
    fn loopback_addresses_become_localhost_on_the_same_port() {
        for url in ["http://127.0.0.1:3000", "http://[::1]:3000"] {
            let rp = RelyingParty::for_public_url(url).unwrap();
            assert_eq!(rp.id, "localhost");
            assert_eq!(rp.origin.as_str(), "http://localhost:3000/");
        }
    }

    #[test]
    fn registrations_ask_for_a_discoverable_passkey_that_verifies_its_user() {
        let rp = RelyingParty::for_public_url("http://localhost:3000").unwrap();
        let (options, _) = rp.webauthn().unwrap().start_passkey_registration(webauthn_rs::prelude::Uuid::new_v4(), "ada", "Ada", None).unwrap();
        let mut json = serde_json::to_value(&options.public_key).unwrap();
        super::require_discoverable(&mut json);
        let selection = &json["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required");
        assert_eq!(selection["requireResidentKey"], true);
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(json["rp"]["id"], "localhost");
    }

    #[test]
    fn other_ip_addresses_cannot_hold_passkeys() {
        assert_eq!(RelyingParty::for_public_url("http://192.0.2.7:3000"), None);
        assert_eq!(RelyingParty::for_public_url("not a url"), None);
    }
}
