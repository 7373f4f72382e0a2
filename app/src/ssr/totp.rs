//! Time-based one-time passwords (RFC 6238 as SPEC F15 fixes it: SHA-1, 6 digits, 30 s, for
//! authenticator apps), through `totp-rs`; the enrolment QR code as SVG through `qrcode`.

use rand::{RngCore, rngs::OsRng};
use totp_rs::{Algorithm, TOTP};

const DIGITS: usize = 6;
const STEP_SECS: u64 = 30;
const ISSUER: &str = "Portico";

/// A new secret: 160 random bits, as RFC 4226 recommends for HMAC-SHA-1.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], login: &str) -> TOTP {
    // Unchecked: the secret is ours (always 160 bits), and a label with any character is fine
    // inside the URI, which totp-rs percent-encodes.
    TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 1, STEP_SECS, secret.to_vec(), Some(ISSUER.to_owned()), login.to_owned())
}

/// What an authenticator app scans: `otpauth://totp/Portico:<login>?secret=…&issuer=Portico`.
pub fn uri(secret: &[u8], login: &str) -> String {
    totp(secret, login).get_url()
}

/// The secret as people type it into an app without a camera (base32, in groups of four).
pub fn secret_text(secret: &[u8]) -> String {
    let encoded = totp(secret, "").get_secret_base32();
    encoded.as_bytes().chunks(4).map(|chunk| String::from_utf8_lossy(chunk).into_owned()).collect::<Vec<_>>().join(" ")
}

/// `uri` as an SVG QR code, drawn on the server (no external service, no script).
pub fn qr_svg(uri: &str) -> String {
    use qrcode::{QrCode, render::svg};
    QrCode::new(uri.as_bytes())
        .map(|code| code.render::<svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
        .unwrap_or_default()
}

/// The time step `code` belongs to, if it is right for `now` give or take one step (clocks
/// drift); the caller accepts each step once.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "");
    let current = now.max(0) as u64 / STEP_SECS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| constant_time_eq(totp.generate(step * STEP_SECS).as_bytes(), code.as_bytes()))
        .map(|step| step as i64)
}

/// The code an app shows at `time` (tests compute codes the same way).
pub fn code_at(secret: &[u8], time: i64) -> String {
    totp(secret, "").generate(time.max(0) as u64)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, truncated to six digits.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1_111_111_109), "081804");
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let step = now / 30;
        assert_eq!(matching_step(&secret, &code_at(&secret, now), now), Some(step));
        assert_eq!(matching_step(&secret, &code_at(&secret, now - 30), now), Some(step - 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, now + 30), now), Some(step + 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, now - 90), now), None);
        let spaced = code_at(&secret, now).chars().enumerate().map(|(i, c)| if i == 3 { format!(" {c}") } else { c.to_string() }).collect::<String>();
        assert_eq!(matching_step(&secret, &spaced, now), Some(step), "spaces are ignored");
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn the_uri_and_qr_code_name_the_issuer_and_user() {
        let secret = new_secret();
        let uri = uri(&secret, "ada");
        assert!(uri.starts_with("otpauth://totp/Portico:ada?"), "{uri}");
        assert!(uri.contains("issuer=Portico"), "{uri}");
        assert!(uri.contains(&secret_text(&secret).replace(' ', "")), "{uri}");
        let svg = qr_svg(&uri);
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    }
}
