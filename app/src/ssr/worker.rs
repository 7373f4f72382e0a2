//! The background work of every instance: delivering queued mail (often) and announcing what
//! is about to expire (once a minute). Each step claims its rows, so instances never repeat
//! one another's work.

use super::{AppState, alerts, now, outbox};
use lettre::message::Mailbox;
use std::time::Duration;

/// How often the expiry alerts are looked for.
const ALERT_INTERVAL_SECS: i64 = 60;

/// Runs until the process ends. `from` was checked at start-up.
pub async fn run(state: AppState, from: Mailbox, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    let mut alerts_due_at = 0;
    loop {
        ticker.tick().await;
        if let Err(error) = outbox::deliver_due(&state.db, &state.transport, &from).await {
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
