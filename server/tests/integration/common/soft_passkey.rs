//! A software passkey: answers the server's WebAuthn options as a platform authenticator would
//! (ES256 key, "none" attestation, user present and verified, a signature counter), so the
//! passkey rules are tested end to end without a browser.
//!
//! Written here instead of taken from webauthn-authenticator-rs: that crate turns on tokio's
//! `test-util` and more in every crate it shares with the server, so the test build could not
//! reuse the release build's artifacts (see README, "Build once").

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, SigningKey, signature::Signer as _};
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED_CREDENTIAL: u8 = 0x40;

pub struct SoftPasskey {
    key: SigningKey,
    credential_id: Vec<u8>,
    rp_id: String,
    /// The page's origin, as a browser puts it in the client data (`http://localhost:1234`).
    origin: String,
    sign_count: u32,
}

impl SoftPasskey {
    /// Creates a credential for `options` (the `publicKey` creation options) at `origin`, and
    /// the browser's answer to send back (a `PublicKeyCredential` as JSON).
    pub fn register(origin: &str, options: &Value) -> (Self, Value) {
        let key = SigningKey::from_slice(&rand::random::<[u8; 32]>()).expect("a random scalar is a key");
        let rp_id = options["rp"]["id"].as_str().expect("the options name the relying party").to_owned();
        let passkey = SoftPasskey { key, credential_id: rand::random::<[u8; 16]>().to_vec(), rp_id, origin: origin.to_owned(), sign_count: 0 };

        let client_data = passkey.client_data("webauthn.create", options);
        let mut authenticator_data = passkey.authenticator_data(USER_PRESENT | USER_VERIFIED | ATTESTED_CREDENTIAL);
        authenticator_data.extend_from_slice(&[0; 16]); // AAGUID: none, as with "none" attestation
        authenticator_data.extend_from_slice(&(passkey.credential_id.len() as u16).to_be_bytes());
        authenticator_data.extend_from_slice(&passkey.credential_id);
        authenticator_data.extend(passkey.cose_public_key());
        let attestation = cbor_map([
            (text("fmt"), text("none")),
            (text("attStmt"), Cbor::Map(BTreeMap::new())),
            (text("authData"), Cbor::Bytes(authenticator_data)),
        ]);

        let answer = passkey.credential(json!({
            "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
            "attestationObject": URL_SAFE_NO_PAD.encode(serde_cbor_2::to_vec(&attestation).unwrap()),
        }));
        (passkey, answer)
    }

    pub fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    /// Signs the challenge of `options` (the `publicKey` request options). `user_handle` is
    /// what a discoverable credential adds to its answer when signing in without a name.
    pub fn sign(&mut self, options: &Value, user_handle: Option<&str>) -> Value {
        assert_eq!(options["rpId"].as_str(), Some(self.rp_id.as_str()), "the authenticator answers only its relying party");
        let allowed = options["allowCredentials"].as_array().map(Vec::as_slice).unwrap_or_default();
        assert!(
            allowed.is_empty() || allowed.iter().any(|credential| credential["id"] == self.credential_id()),
            "the authenticator answers only for its own credential"
        );
        self.sign_count += 1;
        let client_data = self.client_data("webauthn.get", options);
        let authenticator_data = self.authenticator_data(USER_PRESENT | USER_VERIFIED);
        let signed = [authenticator_data.as_slice(), Sha256::digest(&client_data).as_slice()].concat();
        let signature: Signature = self.key.sign(&signed);
        self.credential(json!({
            "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
            "authenticatorData": URL_SAFE_NO_PAD.encode(authenticator_data),
            "signature": URL_SAFE_NO_PAD.encode(signature.to_der().as_bytes()),
            "userHandle": user_handle,
        }))
    }

    fn client_data(&self, ceremony: &str, options: &Value) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("the options carry a challenge");
        serde_json::to_vec(&json!({ "type": ceremony, "challenge": challenge, "origin": self.origin, "crossOrigin": false })).unwrap()
    }

    /// The relying party's hash, the flags and the counter: what every ceremony's data starts with.
    fn authenticator_data(&self, flags: u8) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.sign_count.to_be_bytes());
        data
    }

    /// The public key as COSE (RFC 9053): EC2 key type, ES256, curve P-256, x and y.
    fn cose_public_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let (x, y) = (point.x().expect("not the identity"), point.y().expect("uncompressed"));
        let key = cbor_map([
            (Cbor::Integer(1), Cbor::Integer(2)),
            (Cbor::Integer(3), Cbor::Integer(-7)),
            (Cbor::Integer(-1), Cbor::Integer(1)),
            (Cbor::Integer(-2), Cbor::Bytes(x.to_vec())),
            (Cbor::Integer(-3), Cbor::Bytes(y.to_vec())),
        ]);
        serde_cbor_2::to_vec(&key).unwrap()
    }

    fn credential(&self, response: Value) -> Value {
        let id = self.credential_id();
        json!({ "id": id, "rawId": id, "type": "public-key", "response": response, "extensions": {} })
    }
}

fn text(text: &str) -> Cbor {
    Cbor::Text(text.to_owned())
}

fn cbor_map<const N: usize>(entries: [(Cbor, Cbor); N]) -> Cbor {
    Cbor::Map(entries.into_iter().collect())
}
