//! The background work of every instance: delivering queued mail (often), announcing what
//! is about to expire (once a minute), and sweeping what has expired (every five minutes, on
//! its own task). Each step claims its rows, so instances never repeat one another's work.

use super::{AppState, now, outbox, services::alerts, sweeper};
use lettre::message::Mailbox;
use std::time::Duration;

/// How often the expiry alerts are looked for.
const ALERT_INTERVAL_SECS: i64 = 60;
/// How long after start the first sweep waits (then every `Settings::sweep_interval_secs`).
const FIRST_SWEEP_AFTER: Duration = Duration::from_secs(30);

/// Runs until the process ends. `from` was checked at start-up.
pub async fn run(state: AppState, from: Mailbox, interval: Duration) {
    // A long sweep never delays mail.
    tokio::spawn(sweep(state.clone()));
    let mut ticker = tokio::time::interval(interval);
    let mut alerts_due_at = 0;
    loop {
        ticker.tick().await;
        if let Err(error) = outbox::deliver_due(&state.db, &state.transport, &from, state.settings.mail_give_up_secs, now()).await {
            tracing::warn!(%error, "outbox pass failed");
        }
        if now() >= alerts_due_at {
            alerts_due_at = now() + ALERT_INTERVAL_SECS;
            if let Err(error) = alerts::announce_expiring(&state).await {
                tracing::warn!(%error, "expiry alerts pass failed");
            }
        }
    }
}

/// Sweeps expired rows shortly after start, then at the configured interval, until the process
/// ends.
async fn sweep(state: AppState) {
    let every = Duration::from_secs(state.settings.sweep_interval_secs.max(1));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_SWEEP_AFTER.min(every), every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = sweeper::sweep(&state.db, &state.settings, now()).await {
            tracing::warn!(%error, "sweep failed");
        }
    }
}
