//! The brute-force figures (SPEC S4), by driving the throttle with a simulated clock: how many
//! wrong passwords an attacker who waits out every block gets per identifier and per client
//! IP in an hour, with the default settings.

mod common;

use app::ssr::throttle::{self, ThrottleSettings};
use common::{Backend, spawn_app};

/// Tries as early as the throttle allows, for one hour; returns the failures it was allowed.
async fn failures_allowed_in_an_hour(app: &common::TestApp, key: &str, limit: i64, settings: &ThrottleSettings) -> u32 {
    let (mut now, mut allowed) = (1_000_000_i64, 0);
    let end = now + 3600;
    while now < end {
        match throttle::check(&app.state.db, &[key], now).await {
            Ok(()) => {
                throttle::record_failure(&app.state.db, key, limit, settings, now).await.unwrap();
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
    let per_identifier = failures_allowed_in_an_hour(&app, &throttle::identifier_key("jane"), settings.max_failures_per_identifier, &settings).await;
    let per_ip = failures_allowed_in_an_hour(&app, &throttle::ip_key("203.0.113.7"), settings.max_failures_per_ip, &settings).await;
    eprintln!("S4: {per_identifier} failed logins per identifier per hour, {per_ip} per client IP");
    // 5 free, then one after each block of 30 s, 60 s, … up to 15 min.
    assert_eq!(per_identifier, 12);
    assert_eq!(per_ip, 57);
    app.finish().await;
}
