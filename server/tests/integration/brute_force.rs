//! Brute force (SPEC S4, S8). The figures: how many wrong passwords an attacker who waits out
//! every block gets per identifier and per client IP in an hour, by driving the throttle with
//! a simulated clock. And the race: hundreds of guesses sent at once, to one instance or two,
//! reach the password check no more often than the limits allow.

use crate::common;

use app::ssr::throttle::{self, Limit, ThrottleSettings};
use common::{Backend, PASSWORD, TestApp, new_client, spawn_app, spawn_app_with, test_config};
use futures::future::join_all;
use reqwest::StatusCode;

on_both_backends!(
    parallel_guesses_at_one_identifier_reach_the_check_only_as_often_as_the_limit,
    parallel_guesses_from_one_address_across_identifiers_reach_the_check_only_as_often_as_the_limit,
    the_current_password_check_is_throttled,
    a_successful_login_gives_its_attempt_back,
    forgot_password_holds_its_limit_under_a_burst,
);

/// Tries as early as the throttle allows, for one hour; returns the failures it was allowed.
async fn failures_allowed_in_an_hour(app: &TestApp, limit: &Limit, settings: &ThrottleSettings) -> u32 {
    let (mut now, mut allowed) = (1_000_000_i64, 0);
    let end = now + 3600;
    while now < end {
        match throttle::reserve(&app.state.db, &[limit], settings, now).await {
            Ok(()) => {
                allowed += 1;
                now += 1;
            }
            Err(app::error::AppError::RateLimited { retry_after_secs }) => now += retry_after_secs as i64,
            Err(other) => panic!("{other:?}"),
        }
    }
    allowed
}

#[tokio::test]
async fn an_attacker_gets_a_dozen_guesses_per_identifier_per_hour() {
    let app = spawn_app(Backend::Sqlite).await;
    let settings = ThrottleSettings::default();
    let identifier = Limit::new(throttle::identifier_key("jane"), settings.max_failures_per_identifier);
    let address = Limit::new(throttle::ip_key("203.0.113.7"), settings.max_failures_per_ip);
    let per_identifier = failures_allowed_in_an_hour(&app, &identifier, &settings).await;
    let per_ip = failures_allowed_in_an_hour(&app, &address, &settings).await;
    eprintln!("S4: {per_identifier} failed logins per identifier per hour, {per_ip} per client IP");
    // 5 free, then one after each block of 30 s, 60 s, … up to 15 min.
    assert_eq!(per_identifier, 12);
    assert_eq!(per_ip, 57);
    app.finish().await;
}

/// How the answers to a burst of logins split: (wrong password, throttled, queue full, other).
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    checked: usize,
    throttled: usize,
    overloaded: usize,
    other: Vec<String>,
}

async fn burst(apps: &[&TestApp], attempts: impl Iterator<Item = (String, String)>) -> Outcome {
    let requests = attempts.enumerate().map(|(n, (identifier, password))| {
        let app = apps[n % apps.len()];
        async move {
            let answer = app.call_as(&new_client(), "auth/login", &[("identifier", &identifier), ("password", &password)]).await;
            (answer.status, answer.body)
        }
    });
    let mut outcome = Outcome::default();
    for (status, body) in join_all(requests).await {
        match status {
            StatusCode::UNAUTHORIZED => outcome.checked += 1,
            StatusCode::TOO_MANY_REQUESTS => outcome.throttled += 1,
            StatusCode::SERVICE_UNAVAILABLE => outcome.overloaded += 1,
            _ => outcome.other.push(format!("{status} {body}")),
        }
    }
    outcome
}

async fn parallel_guesses_at_one_identifier_reach_the_check_only_as_often_as_the_limit(backend: Backend) {
    let mut config = test_config();
    config.hash_queue = Some(1000);
    let app = spawn_app_with(backend, config).await;
    let other = app.second_instance().await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let guesses = (0..200).map(|n| ("jane".to_owned(), format!("wrong guess {n}")));
    let outcome = burst(&[&app, &other], guesses).await;
    assert_eq!(outcome.other, Vec::<String>::new());
    assert_eq!(outcome.checked, 5, "only the limit's 5 guesses reach the password check: {outcome:?}");
    assert_eq!(outcome.throttled, 195);
    // The right password is refused too while the identifier is blocked.
    assert_eq!(app.login("jane", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}

async fn parallel_guesses_from_one_address_across_identifiers_reach_the_check_only_as_often_as_the_limit(backend: Backend) {
    let mut config = test_config();
    config.hash_queue = Some(1000);
    config.login_max_failures_per_ip = 20;
    let app = spawn_app_with(backend, config).await;
    let other = app.second_instance().await;
    let guesses = (0..200).map(|n| (format!("user{n}"), "wrong".to_owned()));
    let outcome = burst(&[&app, &other], guesses).await;
    assert_eq!(outcome.other, Vec::<String>::new());
    assert_eq!(outcome.checked, 20, "only the address's 20 guesses reach the password check: {outcome:?}");
    assert_eq!(outcome.throttled, 180);
    app.finish().await;
}

async fn the_current_password_check_is_throttled(backend: Backend) {
    let mut config = test_config();
    config.hash_queue = Some(1000);
    let app = spawn_app_with(backend, config).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    // Someone holding Jane's session guesses her current password, 50 at once.
    let guesses = (0..50).map(|n| {
        let current = format!("guess number {n}");
        let app = &app;
        async move { app.call("auth/change_password", &[("current_password", &current), ("new_password", "a new long secret")]).await.status }
    });
    let statuses = join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, throttled), (5, 45), "{statuses:?}");
    let right = app.call("auth/change_password", &[("current_password", PASSWORD), ("new_password", "a new long secret")]).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "blocked even for the right password");
    app.finish().await;
}

async fn a_successful_login_gives_its_attempt_back(backend: Backend) {
    let mut config = test_config();
    config.login_max_failures_per_ip = 3;
    let app = spawn_app_with(backend, config).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    // Many good logins from one address never use up the address's failures.
    for _ in 0..5 {
        assert!(app.login("jane", PASSWORD).await.is_ok());
    }
    for _ in 0..2 {
        assert_eq!(app.login("jane", "wrong").await.status, StatusCode::UNAUTHORIZED);
    }
    assert!(app.login("jane", PASSWORD).await.is_ok(), "2 failures of 3 used; the third try is the right one");
    assert_eq!(app.login("nobody", "wrong").await.status, StatusCode::UNAUTHORIZED);
    let blocked = app.login("jane", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "3 failures from the address: blocked");
    app.finish().await;
}

async fn forgot_password_holds_its_limit_under_a_burst(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.register("jane", "jane@example.com").await.is_ok());
    let requests = (0..60).map(|_| async { app.call_as(&new_client(), "auth/forgot_password", &[("email", "jane@example.com")]).await });
    let answers = join_all(requests).await;
    let accepted = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(accepted, 3, "three reset mails per address and hour");
    // The sign-up's verification mail and three reset links; a second later, still no more.
    // (Waiting for the four, not for three: delivery may still be writing the last one.)
    let mails = app.mails_to("jane@example.com", 4).await;
    let resets = mails.iter().filter(|mail| mail.contains("Subject: Choose a new Portico password")).count();
    assert_eq!((mails.len(), resets), (4, 3));
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(app.mails_to("jane@example.com", 0).await.len(), 4);
    app.finish().await;
}

#[tokio::test]
async fn a_full_hashing_queue_answers_503_with_retry_after() {
    let mut config = test_config();
    config.hash_queue = Some(2);
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let client = new_client();
    let logins = (0..40).map(|n| {
        let (client, url) = (client.clone(), app.url.clone());
        async move {
            client
                .post(format!("{url}/api/auth/login"))
                .form(&[("identifier", format!("user{n}")), ("password", "wrong".into())])
                .send()
                .await
                .unwrap()
        }
    });
    let responses = join_all(logins).await;
    let refused: Vec<_> = responses.iter().filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!refused.is_empty(), "40 logins at once overflow a queue of 2");
    for response in &refused {
        assert_eq!(response.headers()["retry-after"], "1");
    }
    assert!(responses.iter().all(|r| [StatusCode::SERVICE_UNAVAILABLE, StatusCode::UNAUTHORIZED].contains(&r.status())));
    app.finish().await;
}
