//! The browser's half of a passkey ceremony: WebAuthn through `navigator.credentials`, with the
//! JSON helpers of `PublicKeyCredential` (`parse…FromJSON`, `toJSON`; not in web-sys yet)
//! reached through `Reflect`. The server's options and the answer travel as WebAuthn's JSON.

use crate::error::{AppError, Problem};
use js_sys::{Function, JSON, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Which prompt: register a new passkey, or use one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Create,
    Get,
}

fn problem(problem: Problem) -> AppError {
    AppError::field("passkey", problem)
}

fn method(target: &JsValue, name: &str) -> Result<Function, AppError> {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| problem(Problem::PasskeyUnsupported))
}

/// Shows the browser's passkey prompt for `options` (from the server) and returns the
/// authenticator's answer, for the server.
pub async fn prompt(kind: Prompt, options: &str) -> Result<String, AppError> {
    let unsupported = || problem(Problem::PasskeyUnsupported);
    let window = web_sys::window().ok_or_else(unsupported)?;
    let class = Reflect::get(&window, &JsValue::from_str("PublicKeyCredential")).map_err(|_| unsupported())?;
    let (parse, call) = match kind {
        Prompt::Create => ("parseCreationOptionsFromJSON", "create"),
        Prompt::Get => ("parseRequestOptionsFromJSON", "get"),
    };
    let json = JSON::parse(options).map_err(|_| unsupported())?;
    let public_key = method(&class, parse)?.call1(&class, &json).map_err(|_| unsupported())?;
    let request = Object::new();
    Reflect::set(&request, &JsValue::from_str("publicKey"), &public_key).map_err(|_| unsupported())?;
    let credentials = Reflect::get(&window.navigator(), &JsValue::from_str("credentials")).map_err(|_| unsupported())?;
    let pending: Promise = method(&credentials, call)?.call1(&credentials, &request).map_err(refusal)?.dyn_into().map_err(|_| unsupported())?;
    let credential = JsFuture::from(pending).await.map_err(refusal)?;
    if credential.is_null() {
        return Err(problem(Problem::PasskeyCancelled));
    }
    let answer = method(&credential, "toJSON")?.call0(&credential).map_err(|_| unsupported())?;
    JSON::stringify(&answer).ok().and_then(|s| s.as_string()).ok_or_else(unsupported)
}

/// What the browser's refusal (a `DOMException`) means to the person.
fn refusal(error: JsValue) -> AppError {
    let name = Reflect::get(&error, &JsValue::from_str("name")).ok().and_then(|n| n.as_string()).unwrap_or_default();
    problem(match name.as_str() {
        // Cancelled, timed out, or no authenticator chosen: the browser does not say which.
        "NotAllowedError" | "AbortError" => Problem::PasskeyCancelled,
        // create() with an authenticator that already holds one of the user's passkeys.
        "InvalidStateError" => Problem::PasskeyAlreadyRegistered,
        // Not a secure context, or the page is not at the relying party's origin.
        "SecurityError" | "NotSupportedError" => Problem::PasskeyUnsupported,
        _ => Problem::PasskeyNotAccepted,
    })
}
