//! F15 second factor: an authenticator app (TOTP) and recovery codes, enrolled by the user,
//! asked for after the password; codes throttled, each TOTP step and recovery code used once.

use crate::common;

use common::{Backend, PASSWORD, TestApp, new_client, spawn_app};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    enrolling_needs_a_first_code_and_gives_recovery_codes_once,
    a_sign_in_with_an_app_waits_for_its_code_before_any_session,
    a_code_is_accepted_once_even_when_sent_twice_at_once,
    a_recovery_code_signs_in_once_and_mails_its_owner,
    wrong_codes_are_throttled_like_passwords,
    the_second_step_needs_its_own_fresh_password_step,
    removing_the_app_or_renewing_codes_asks_for_the_password,
    the_secret_is_sealed_at_rest,
    an_account_policy_holds_those_it_covers_until_they_enrol,
    an_administrator_resets_a_members_factor_within_the_rules,
);

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The secret's bytes from its text on the enrolment page (base32 in groups).
fn secret_bytes(text: &str) -> Vec<u8> {
    totp_rs::Secret::Encoded(text.replace(' ', "")).to_bytes().expect("the page shows base32")
}

/// The code an authenticator app holding `secret` shows at `time`.
fn code(secret: &[u8], time: i64) -> String {
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec(), None, String::new()).generate(time as u64)
}

fn problem(answer: &common::Answer) -> Value {
    answer.body["Validation"][0]["problem"].clone()
}

/// Jane, member of Acme, with an authenticator app enrolled: its secret and her recovery codes.
async fn jane_with_app(app: &TestApp) -> (Vec<u8>, Vec<String>) {
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let begun = app.call("factors/totp/begin", &[]).await;
    assert!(begun.is_ok(), "{begun:?}");
    let secret = secret_bytes(begun.body["secret"].as_str().unwrap());
    // The step before now: the sign-ins that follow use the current step.
    let confirmed = app.call("factors/totp/confirm", &[("code", &code(&secret, now() - 30)), ("name", "Jane's phone")]).await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
    let codes: Vec<String> = serde_json::from_value(confirmed.body).unwrap();
    (secret, codes)
}

/// A fresh browser past Jane's password, at the second step.
async fn at_second_step(app: &TestApp) -> Client {
    let browser = new_client();
    let answer = app.call_as(&browser, "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(answer.body["second_step"], true);
    browser
}

async fn enrolling_needs_a_first_code_and_gives_recovery_codes_once(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    assert_eq!(app.call("factors/mine", &[]).await.body, json!({ "totp": null, "passkeys": [], "recovery_codes_left": 0 }));

    let begun = app.call("factors/totp/begin", &[]).await;
    let uri = begun.body["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Portico:jane?"), "{uri}");
    assert!(begun.body["qr_svg"].as_str().unwrap().starts_with("<?xml") || begun.body["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = secret_bytes(begun.body["secret"].as_str().unwrap());

    // A wrong code, or no name, confirms nothing.
    let wrong = app.call("factors/totp/confirm", &[("code", "000000"), ("name", "Phone")]).await;
    assert_eq!((wrong.status, problem(&wrong)), (StatusCode::UNPROCESSABLE_ENTITY, json!("WrongCode")));
    let unnamed = app.call("factors/totp/confirm", &[("code", &code(&secret, now())), ("name", " ")]).await;
    assert_eq!(problem(&unnamed), json!("Required"));
    assert_eq!(app.count("SELECT COUNT(*) FROM totp_factors WHERE confirmed_at IS NOT NULL").await, 0);
    assert!(app.login("jane", PASSWORD).await.body["second_step"] == false, "an unconfirmed app is not asked for");
    assert!(app.call("accounts/details", &[]).await.is_ok());

    let confirmed = app.call("factors/totp/confirm", &[("code", &code(&secret, now())), ("name", "Phone")]).await;
    let codes: Vec<String> = serde_json::from_value(confirmed.body).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), 10, "all different");
    let mine = app.call("factors/mine", &[]).await.body;
    assert_eq!((mine["totp"]["name"].clone(), mine["recovery_codes_left"].clone()), (json!("Phone"), json!(10)));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.factor_enrolled'").await, 1);
    // Codes are stored hashed, never as shown.
    for shown in &codes {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM recovery_codes WHERE code_hash = '{shown}'")).await, 0);
    }
    // A second app needs the first removed.
    let again = app.call("factors/totp/begin", &[]).await;
    assert_eq!((again.status, again.body["Conflict"]["problem"].clone()), (StatusCode::CONFLICT, json!("FactorAlreadyEnrolled")));
    app.finish().await;
}

async fn a_sign_in_with_an_app_waits_for_its_code_before_any_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, _) = jane_with_app(&app).await;
    let sessions_before = app.count("SELECT COUNT(*) FROM sessions").await;
    let browser = at_second_step(&app).await;
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body, Value::Null, "no session after the password alone");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, sessions_before);
    assert_eq!(app.call_as(&browser, "accounts/details", &[]).await.status, StatusCode::UNAUTHORIZED);

    let wrong = app.call_as(&browser, "auth/second_step", &[("code", "123456")]).await;
    assert_eq!(problem(&wrong), json!("WrongCode"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.second_step_failed'").await, 1);
    let right = app.call_as(&browser, "auth/second_step", &[("code", &code(&secret, now()))]).await;
    assert!(right.is_ok(), "{right:?}");
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body["login_name"], "jane");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.logged_in' AND details LIKE '%\"second_factor\":\"totp\"%'").await,
        1
    );
    // The step is spent: its cookie opens nothing more.
    assert_eq!(app.count("SELECT COUNT(*) FROM second_steps").await, 0);
    app.finish().await;
}

async fn a_code_is_accepted_once_even_when_sent_twice_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, _) = jane_with_app(&app).await;
    let (first, second) = (at_second_step(&app).await, at_second_step(&app).await);
    let current = code(&secret, now());
    let args = [("code", current.as_str())];
    let (a, b) = tokio::join!(
        app.call_as(&first, "auth/second_step", &args),
        app.call_as(&second, "auth/second_step", &args),
    );
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let refused = if a.is_ok() { b } else { a };
    assert_eq!(problem(&refused), json!("WrongCode"));
    // Later, the same code again: still refused (its step is spent).
    let third = at_second_step(&app).await;
    assert_eq!(problem(&app.call_as(&third, "auth/second_step", &[("code", &current)]).await), json!("WrongCode"));
    app.finish().await;
}

async fn a_recovery_code_signs_in_once_and_mails_its_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, codes) = jane_with_app(&app).await;
    let browser = at_second_step(&app).await;
    // Typed in lower case, with the dash: still the code.
    let typed = codes[3].to_lowercase();
    let answer = app.call_as(&browser, "auth/second_step", &[("code", &typed)]).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(app.call("factors/mine", &[]).await.body["recovery_codes_left"], 9);
    let mail = app.mail_containing("jane@example.com", "recovery codes").await;
    assert!(mail.contains("9 unused codes remain"), "{mail}");
    let again = at_second_step(&app).await;
    assert_eq!(problem(&app.call_as(&again, "auth/second_step", &[("code", &codes[3])]).await), json!("WrongCode"));
    app.finish().await;
}

async fn wrong_codes_are_throttled_like_passwords(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, _) = jane_with_app(&app).await;
    let browser = at_second_step(&app).await;
    // Five at once: the limit (5 per identifier) is taken atomically, so none slips past.
    let guesses = futures::future::join_all((0..8).map(|n| {
        let guess = format!("{:06}", 100_000 + n);
        let browser = browser.clone();
        let app = &app;
        async move { app.call_as(&browser, "auth/second_step", &[("code", guess.as_str())]).await }
    }))
    .await;
    let limited = guesses.iter().filter(|g| g.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(limited >= 3, "8 guesses, at most 5 checked: {guesses:?}");
    // Blocked now, even with the right code.
    let right = app.call_as(&browser, "auth/second_step", &[("code", &code(&secret, now()))]).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "{right:?}");
    assert_eq!(app.call_as(&browser, "session/current", &[]).await.body, Value::Null);
    app.finish().await;
}

async fn the_second_step_needs_its_own_fresh_password_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, _) = jane_with_app(&app).await;
    // A browser that never gave the password.
    let stranger = new_client();
    let answer = app.call_as(&stranger, "auth/second_step", &[("code", &code(&secret, now()))]).await;
    assert_eq!((answer.status, answer.body), (StatusCode::UNAUTHORIZED, json!("SecondStepExpired")));
    // A step that waited too long.
    let slow = at_second_step(&app).await;
    app.execute("UPDATE second_steps SET expires_at = 0").await;
    let late = app.call_as(&slow, "auth/second_step", &[("code", &code(&secret, now()))]).await;
    assert_eq!(late.body, json!("SecondStepExpired"));
    // Swept afterwards.
    let swept = app::ssr::sweeper::sweep(&app.state.db, &app.state.settings, now()).await.unwrap();
    assert_eq!(swept.second_steps, 1);
    // A password change elsewhere ends a sign-in waiting at its second step.
    let waiting = at_second_step(&app).await;
    let changed = app.call("auth/change_password", &[("current_password", PASSWORD), ("new_password", common::NEW)]).await;
    assert!(changed.is_ok(), "{changed:?}");
    let ended = app.call_as(&waiting, "auth/second_step", &[("code", &code(&secret, now() + 30))]).await;
    assert_eq!(ended.body, json!("SecondStepExpired"));
    app.finish().await;
}

async fn removing_the_app_or_renewing_codes_asks_for_the_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, codes) = jane_with_app(&app).await;
    let wrong = app.call("factors/recovery/regenerate", &[("password", "not my password")]).await;
    assert_eq!(problem(&wrong), json!("WrongCurrentPassword"));
    let renewed = app.call("factors/recovery/regenerate", &[("password", PASSWORD)]).await;
    let new_codes: Vec<String> = serde_json::from_value(renewed.body).unwrap();
    assert_eq!(new_codes.len(), 10);
    let browser = at_second_step(&app).await;
    assert_eq!(problem(&app.call_as(&browser, "auth/second_step", &[("code", &codes[0])]).await), json!("WrongCode"), "the old set died");

    assert!(app.call("factors/totp/rename", &[("name", "Work phone")]).await.is_ok());
    assert_eq!(app.call("factors/mine", &[]).await.body["totp"]["name"], "Work phone");
    assert_eq!(problem(&app.call("factors/totp/remove", &[("password", "not my password")]).await), json!("WrongCurrentPassword"));
    assert_eq!(app.count("SELECT COUNT(*) FROM totp_factors").await, 1);
    assert!(app.call("factors/totp/remove", &[("password", PASSWORD)]).await.is_ok());
    assert_eq!(app.call("factors/mine", &[]).await.body, json!({ "totp": null, "passkeys": [], "recovery_codes_left": 0 }));
    assert_eq!(app.login("jane", PASSWORD).await.body["second_step"], false);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action IN ('user.factor_removed', 'user.recovery_codes_regenerated')").await, 2);
    app.finish().await;
}

async fn the_secret_is_sealed_at_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, _) = jane_with_app(&app).await;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret FROM totp_factors").fetch_one(&app.state.db.pool).await.unwrap();
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_slice()), "the raw secret is not stored");
    let jane = app.user_id("jane").await;
    let key = &app.state.settings.sealing_key;
    assert_eq!(key.open(&format!("totp:{jane}"), &stored), Some(secret), "the server's key opens it");
    assert_eq!(key.open("totp:999", &stored), None, "for Jane only");
    app.finish().await;
}

async fn an_account_policy_holds_those_it_covers_until_they_enrol(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    common::create(&app, &app.client, "bob", &[]).await;
    let bob_client = common::signed_in(&app, "bob").await;

    // Only account.manage sets it.
    let refused = app.call_as(&bob_client, "accounts/set_factor_policy", &[("policy", "Everyone")]).await;
    assert_eq!((refused.status, refused.body), (StatusCode::FORBIDDEN, json!("Forbidden")));

    // Administrators: Jane (Administrator) is held, Bob (Member) is not.
    assert!(app.call("accounts/set_factor_policy", &[("policy", "Administrators")]).await.is_ok());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'account.factor_policy_changed'").await, 1);
    let held = app.call("accounts/details", &[]).await;
    assert_eq!((held.status, held.body), (StatusCode::FORBIDDEN, json!("SecondFactorRequired")));
    assert_eq!(app.session().await["needs_second_factor"], true);
    assert!(app.call_as(&bob_client, "accounts/details", &[]).await.is_ok());
    assert_eq!(app.call_as(&bob_client, "session/current", &[]).await.body["needs_second_factor"], false);

    // Everyone: Bob too, until he enrols; enrolling frees him at once.
    let secret = common::enrol_totp(&app, &app.client).await;
    assert!(app.call("accounts/set_factor_policy", &[("policy", "Everyone")]).await.is_ok());
    assert_eq!(app.call_as(&bob_client, "accounts/details", &[]).await.body, json!("SecondFactorRequired"));
    assert!(app.call_as(&bob_client, "factors/mine", &[]).await.is_ok(), "enrolling stays open");
    common::enrol_totp(&app, &bob_client).await;
    assert!(app.call_as(&bob_client, "accounts/details", &[]).await.is_ok());
    // Jane signs in again: password, then her code.
    let browser = new_client();
    assert_eq!(app.call_as(&browser, "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await.body["second_step"], true);
    let code = common::totp_code(&secret, now() as u64);
    assert!(app.call_as(&browser, "auth/second_step", &[("code", &code)]).await.is_ok());
    assert!(app.call_as(&browser, "accounts/details", &[]).await.is_ok());
    assert_eq!(app.call_as(&browser, "accounts/details", &[]).await.body["factor_policy"], "Everyone");
    app.finish().await;
}

async fn an_administrator_resets_a_members_factor_within_the_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    assert!(app.call("accounts/create", &[("account_name", "Acme")]).await.is_ok());
    let manager_role = common::role_id(&app, "user_manager").await;
    let bob = common::create(&app, &app.client, "bob", &[manager_role]).await.to_string();
    let bob_client = common::signed_in(&app, "bob").await;
    let unprotected = || async { app.call("dashboard/summary", &[]).await.body["counts"]["admins_without_factor"].clone() };
    assert_eq!(unprotected().await, json!(2), "Jane (Administrator) and Bob (User manager)");
    common::enrol_totp(&app, &bob_client).await;
    assert_eq!(unprotected().await, json!(1));
    let jane = app.user_id("jane").await.to_string();

    // Nobody resets their own, and the primary administrator's only by themself (I4).
    let own = app.call("users/reset_factors", &[("id", &jane)]).await;
    assert_eq!(own.body, json!({ "Refused": "Yourself" }));
    common::enrol_totp(&app, &app.client).await;
    let primary = app.call_as(&bob_client, "users/reset_factors", &[("id", &jane)]).await;
    assert_eq!(primary.body, json!({ "Refused": "PrimaryAdministrator" }));
    assert_eq!(app.count("SELECT COUNT(*) FROM totp_factors").await, 2);

    let reset = app.call("users/reset_factors", &[("id", &bob)]).await;
    assert!(reset.is_ok(), "{reset:?}");
    assert_eq!(unprotected().await, json!(1), "Jane has hers; Bob's is gone");
    // The users table filters by it, and marks it.
    let app_ref = &app;
    let with = |on: bool| async move {
        let app = app_ref;
        // A form, as the page sends it (the function's codec is URL-encoded).
        let page = app.call("users/list", &[("query[filter][second_factor]", if on { "true" } else { "false" })]).await.body;
        page["rows"].as_array().unwrap().iter().map(|r| (r["login_name"].as_str().unwrap().to_owned(), r["has_second_factor"].clone())).collect::<Vec<_>>()
    };
    assert_eq!(with(true).await, [("jane".to_owned(), json!(true))]);
    assert_eq!(with(false).await, [("bob".to_owned(), json!(false))]);
    assert_eq!(app.call_as(&bob_client, "session/current", &[]).await.body, Value::Null, "his sessions ended");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM totp_factors WHERE user_id = {bob}")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM recovery_codes WHERE user_id = {bob}")).await, 0);
    assert!(app.mail_containing("bob@example.com", "second factor was reset").await.contains("authenticator app"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.factors_reset'").await, 1);
    // His password alone signs him in again.
    let again = new_client();
    let login = app.call_as(&again, "auth/login", &[("identifier", "bob"), ("password", common::NEW)]).await;
    assert_eq!(login.body["second_step"], false, "{login:?}");
    assert!(app.call_as(&again, "accounts/details", &[]).await.is_ok());
    // Nothing left to reset.
    let nothing = app.call("users/reset_factors", &[("id", &bob)]).await;
    assert_eq!((nothing.status, nothing.body["Conflict"]["problem"].clone()), (StatusCode::CONFLICT, json!("NoFactor")));
    app.finish().await;
}
