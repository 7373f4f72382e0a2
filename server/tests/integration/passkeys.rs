//! F15 passkeys: registered under a name on the security page, used as the second step after
//! the password, or alone from the sign-in page. A software authenticator answers the server's
//! challenges at the origin the server expects; each ceremony is answered once.

use crate::common;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{Answer, Backend, PASSWORD, TestApp, new_client, soft_passkey::SoftPasskey, spawn_app, spawn_app_with, test_config};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_named_passkey_is_registered_once_with_recovery_codes,
    a_passkey_passes_the_second_step_once,
    refused_passkey_answers_count_like_wrong_codes,
    a_passkey_alone_signs_its_owner_in,
    passkey_sign_ins_count_against_the_address,
    renaming_and_removing_are_the_owners_and_removing_asks_the_password,
    an_administrator_reset_removes_passkeys_too,
);

/// A person's authenticator, with the WebAuthn user handle (base64url) the server gave it.
struct Device {
    authenticator: SoftPasskey,
    user_handle: String,
}

/// The page's origin as a browser reports it (no trailing slash).
fn origin(app: &TestApp) -> String {
    let rp = app::ssr::webauthn::RelyingParty::for_public_url(&app.state.settings.public_url).expect("tests run on loopback");
    rp.origin.origin().ascii_serialization()
}

/// The options of a `PasskeyChallenge` answer, as a browser would parse them.
fn challenge(answer: &Answer) -> (String, Value) {
    assert!(answer.is_ok(), "{answer:?}");
    let options = serde_json::from_str(answer.body["options"].as_str().unwrap()).unwrap();
    (answer.body["ceremony"].as_str().unwrap().to_owned(), options)
}

/// The problem a refusal names, whether invalid input (422) or a conflict (409).
fn passkey_problem(answer: &Answer) -> Value {
    let invalid = &answer.body["Validation"][0]["problem"];
    if invalid.is_null() { answer.body["Conflict"]["problem"].clone() } else { invalid.clone() }
}

/// Registers a passkey named `name` for the user `client` is signed in as.
async fn register(app: &TestApp, client: &Client, name: &str) -> (Device, Answer) {
    let (ceremony, options) = challenge(&app.call_as(client, "factors/passkey/begin", &[]).await);
    let selection = &options["authenticatorSelection"];
    assert_eq!((selection["residentKey"].clone(), selection["userVerification"].clone()), (json!("required"), json!("required")));
    let user_handle = options["user"]["id"].as_str().unwrap().to_owned();
    let (authenticator, answer) = SoftPasskey::register(&origin(app), &options);
    let finished =
        app.call_as(client, "factors/passkey/finish", &[("ceremony", &ceremony), ("answer", &answer.to_string()), ("passkey_name", name)]).await;
    (Device { authenticator, user_handle }, finished)
}

/// The device's answer to request options: a second step's, or a sign-in's, where the device
/// (a discoverable credential) names its user itself.
fn assertion(device: &mut Device, options: Value, discoverable: bool) -> String {
    let user_handle = discoverable.then_some(device.user_handle.as_str());
    device.authenticator.sign(&options, user_handle).to_string()
}

/// Jane, administrator of Acme, with one passkey (and her recovery codes).
async fn jane_with_passkey(app: &TestApp) -> (Device, Vec<String>) {
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let (device, finished) = register(app, &app.client, "Work laptop").await;
    assert!(finished.is_ok(), "{finished:?}");
    (device, serde_json::from_value(finished.body).unwrap())
}

async fn at_second_step(app: &TestApp) -> Client {
    let browser = new_client();
    let answer = app.call_as(&browser, "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await;
    assert_eq!(answer.body["second_step"], true, "{answer:?}");
    browser
}

async fn a_named_passkey_is_registered_once_with_recovery_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    assert_eq!(app.call("factors/mine", &[]).await.body["passkeys"], json!([]));

    // A name is required; the refused answer stores nothing and spends its ceremony.
    let (_, unnamed) = register(&app, &app.client, "  ").await;
    assert_eq!((unnamed.status, passkey_problem(&unnamed)), (StatusCode::UNPROCESSABLE_ENTITY, json!("Required")));
    assert_eq!(unnamed.body["Validation"][0]["field"], "passkey_name");
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);

    let (device, finished) = register(&app, &app.client, "Work laptop").await;
    let codes: Vec<String> = serde_json::from_value(finished.body).unwrap();
    assert_eq!(codes.len(), 10, "the first factor comes with recovery codes");
    let mine = app.call("factors/mine", &[]).await.body;
    assert_eq!(mine["passkeys"][0]["name"], "Work laptop");
    assert_eq!((mine["passkeys"][0]["last_used_at"].clone(), mine["recovery_codes_left"].clone()), (Value::Null, json!(10)));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.factor_enrolled' AND details LIKE '%\"factor\":\"passkey\"%'").await,
        1
    );
    assert_eq!(app.call("dashboard/summary", &[]).await.body["counts"]["admins_without_factor"], json!(0));

    // A second passkey keeps the user handle and gives no new codes.
    let (second, finished) = register(&app, &app.client, "Phone").await;
    assert_eq!(finished.body, Value::Null);
    assert_eq!(second.user_handle, device.user_handle);
    assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes WHERE used_at IS NULL").await, 10);

    // An answer is taken once: sent again (or to another user's ceremony) it is refused.
    let (ceremony, options) = challenge(&app.call("factors/passkey/begin", &[]).await);
    assert!(options["excludeCredentials"].as_array().unwrap().len() == 2, "the user's passkeys are excluded");
    let bob = app.admin("bob").await;
    let crossed = app.call_as(&bob, "factors/passkey/finish", &[("ceremony", &ceremony), ("answer", "{}"), ("passkey_name", "X")]).await;
    assert_eq!(passkey_problem(&crossed), json!("PasskeyNotAccepted"), "another user's ceremony");
    let replayed = app.call("factors/passkey/finish", &[("ceremony", &ceremony), ("answer", "{}"), ("passkey_name", "X")]).await;
    assert_eq!(passkey_problem(&replayed), json!("PasskeyNotAccepted"), "spent by the first answer");
    let garbage = app.call("factors/passkey/finish", &[("ceremony", "../../etc"), ("answer", "{}"), ("passkey_name", "X")]).await;
    assert_eq!(passkey_problem(&garbage), json!("PasskeyNotAccepted"));
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 2);
    app.finish().await;
}

async fn a_passkey_passes_the_second_step_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut device, _) = jane_with_passkey(&app).await;
    let browser = at_second_step(&app).await;
    assert_eq!(app.call_as(&browser, "auth/second_step/ways", &[]).await.body, json!({ "app": false, "passkey": true }));
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body, Value::Null, "no session yet");

    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/second_step/passkey_begin", &[]).await);
    assert_eq!(options["allowCredentials"][0]["id"], json!(device.authenticator.credential_id()), "only her passkeys are asked for");
    assert_eq!(options["userVerification"], "required");
    let answer = assertion(&mut device, options, false);
    // The same answer sent twice at once: one sign-in.
    let args = [("ceremony", ceremony.as_str()), ("answer", answer.as_str())];
    let (first, second) = futures::join!(
        app.call_as(&browser, "auth/second_step/passkey", &args),
        app.call_as(&browser, "auth/second_step/passkey", &args),
    );
    assert_eq!([first.is_ok(), second.is_ok()].iter().filter(|ok| **ok).count(), 1, "{first:?} {second:?}");
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body["login_name"], "jane");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.logged_in' AND details LIKE '%\"second_factor\":\"passkey\"%'").await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys WHERE last_used_at IS NOT NULL").await, 1);
    app.finish().await;
}

async fn refused_passkey_answers_count_like_wrong_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut device, _) = jane_with_passkey(&app).await;
    let browser = at_second_step(&app).await;
    // Bob's own ceremony cannot pass Jane's second step.
    let bob = app.admin("bob").await;
    let (mut bob_device, finished) = register(&app, &bob, "Bob's key").await;
    assert!(finished.is_ok());
    let bob_browser = new_client();
    assert_eq!(app.call_as(&bob_browser, "auth/login", &[("identifier", "bob"), ("password", PASSWORD)]).await.body["second_step"], true);
    let (bob_ceremony, bob_options) = challenge(&app.call_as(&bob_browser, "auth/second_step/passkey_begin", &[]).await);
    let bob_answer = assertion(&mut bob_device, bob_options, false);
    let crossed = app.call_as(&browser, "auth/second_step/passkey", &[("ceremony", &bob_ceremony), ("answer", &bob_answer)]).await;
    assert_eq!(passkey_problem(&crossed), json!("PasskeyNotAccepted"));

    // A forged signature, then answers to nothing, until the throttle stops her (5 in the test config).
    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/second_step/passkey_begin", &[]).await);
    let mut forged: Value = serde_json::from_str(&assertion(&mut device, options, false)).unwrap();
    forged["response"]["signature"] = json!(URL_SAFE_NO_PAD.encode([7u8; 70]));
    let refused = app.call_as(&browser, "auth/second_step/passkey", &[("ceremony", &ceremony), ("answer", &forged.to_string())]).await;
    assert_eq!((refused.status, passkey_problem(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, json!("PasskeyNotAccepted")));
    for _ in 0..3 {
        let refused = app.call_as(&browser, "auth/second_step/passkey", &[("ceremony", "unknown"), ("answer", "{}")]).await;
        assert_eq!(passkey_problem(&refused), json!("PasskeyNotAccepted"));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.second_step_failed'").await, 5);
    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/second_step/passkey_begin", &[]).await);
    let right = assertion(&mut device, options, false);
    let blocked = app.call_as(&browser, "auth/second_step/passkey", &[("ceremony", &ceremony), ("answer", &right)]).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{blocked:?}");
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body, Value::Null);
    app.finish().await;
}

async fn a_passkey_alone_signs_its_owner_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut device, _) = jane_with_passkey(&app).await;
    let browser = new_client();
    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/passkey/begin", &[]).await);
    assert_eq!(options["allowCredentials"], json!([]), "any passkey of Portico's: it names its user");
    assert_eq!(options["userVerification"], "required");
    let answer = assertion(&mut device, options, true);

    // An answer naming another user handle than its passkey's is refused.
    let mut lying: Value = serde_json::from_str(&answer).unwrap();
    lying["response"]["userHandle"] = json!(URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()));
    let (other_ceremony, _) = challenge(&app.call_as(&browser, "auth/passkey/begin", &[]).await);
    let refused = app.call_as(&browser, "auth/passkey", &[("ceremony", &other_ceremony), ("answer", &lying.to_string())]).await;
    assert_eq!(passkey_problem(&refused), json!("PasskeyNotAccepted"));

    let signed_in = app.call_as(&browser, "auth/passkey", &[("ceremony", &ceremony), ("answer", &answer)]).await;
    assert!(signed_in.is_ok(), "{signed_in:?}");
    assert_eq!(signed_in.body["second_step"], false);
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body["login_name"], "jane");
    let replayed = app.call_as(&new_client(), "auth/passkey", &[("ceremony", &ceremony), ("answer", &answer)]).await;
    assert_eq!(passkey_problem(&replayed), json!("PasskeyNotAccepted"), "a ceremony is answered once");

    // A locked user's passkey opens nothing; a forced password change still comes first.
    app.execute("UPDATE users SET locked_at = 1 WHERE login_name = 'jane'").await;
    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/passkey/begin", &[]).await);
    let locked = app.call_as(&new_client(), "auth/passkey", &[("ceremony", &ceremony), ("answer", &assertion(&mut device, options, true))]).await;
    assert_eq!(locked.body, json!("UserLocked"));
    app.execute("UPDATE users SET locked_at = NULL, must_change_password = 1 WHERE login_name = 'jane'").await;
    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/passkey/begin", &[]).await);
    let forced = app.call_as(&new_client(), "auth/passkey", &[("ceremony", &ceremony), ("answer", &assertion(&mut device, options, true))]).await;
    assert_eq!(forced.body["must_change_password"], true, "{forced:?}");
    app.finish().await;
}

async fn passkey_sign_ins_count_against_the_address(backend: Backend) {
    let mut config = test_config();
    config.login_max_failures_per_ip = 3;
    let app = spawn_app_with(backend, config).await;
    let (mut device, _) = jane_with_passkey(&app).await;
    let browser = new_client();
    // Three started and abandoned: the fourth waits, like a fourth wrong password would.
    for _ in 0..2 {
        assert!(app.call_as(&browser, "auth/passkey/begin", &[]).await.is_ok());
    }
    let (ceremony, options) = challenge(&app.call_as(&browser, "auth/passkey/begin", &[]).await);
    assert_eq!(app.call_as(&browser, "auth/passkey/begin", &[]).await.status, StatusCode::TOO_MANY_REQUESTS);
    // A sign-in that succeeds gives its start back.
    assert!(app.call_as(&browser, "auth/passkey", &[("ceremony", &ceremony), ("answer", &assertion(&mut device, options, true))]).await.is_ok());
    assert!(app.call_as(&browser, "auth/passkey/begin", &[]).await.is_ok());
    app.finish().await;
}

async fn renaming_and_removing_are_the_owners_and_removing_asks_the_password(backend: Backend) {
    let app = spawn_app(backend).await;
    jane_with_passkey(&app).await;
    let id = app.count("SELECT id FROM passkeys").await.to_string();
    assert!(app.call("factors/passkey/rename", &[("id", &id), ("name", "Old laptop")]).await.is_ok());
    assert_eq!(app.call("factors/mine", &[]).await.body["passkeys"][0]["name"], "Old laptop");
    let bad = app.call("factors/passkey/rename", &[("id", &id), ("name", &"x".repeat(61))]).await;
    assert_eq!(passkey_problem(&bad), json!("TooLong"));

    let bob = app.admin("bob").await;
    assert_eq!(app.call_as(&bob, "factors/passkey/rename", &[("id", &id), ("name", "Mine now")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call_as(&bob, "factors/passkey/remove", &[("id", &id), ("password", PASSWORD)]).await.status, StatusCode::NOT_FOUND);
    let wrong = app.call("factors/passkey/remove", &[("id", &id), ("password", "not my password")]).await;
    assert_eq!(passkey_problem(&wrong), json!("WrongCurrentPassword"));
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 1);

    assert!(app.call("factors/passkey/remove", &[("id", &id), ("password", PASSWORD)]).await.is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes").await, 0, "no factor left: the codes go too");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.factor_removed' AND details LIKE '%\"factor\":\"passkey\"%'").await,
        1
    );
    assert_eq!(app.login("jane", PASSWORD).await.body["second_step"], false, "the password alone signs in again");
    app.finish().await;
}

async fn an_administrator_reset_removes_passkeys_too(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let bob = common::create(&app, &app.client, "bob", &[]).await.to_string();
    let bob_client = common::signed_in(&app, "bob").await;
    let (_, finished) = register(&app, &bob_client, "Bob's key").await;
    assert!(finished.is_ok());
    let listed = app.call("users/list", &[("query[filter][second_factor]", "true")]).await.body;
    assert_eq!(listed["rows"][0]["login_name"], "bob", "a passkey is a second factor in the users table");

    assert!(app.call("users/reset_factors", &[("id", &bob)]).await.is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes").await, 0);
    assert_eq!(app.call_as(&bob_client, "session/current", &[]).await.body, Value::Null, "his sessions ended");
    app.finish().await;
}
