//! Prometheus metrics (F13): request counts and latencies per route, plus gauges read at
//! scrape time. `/metrics` answers only with `Authorization: Bearer $PORTICO_METRICS_TOKEN`,
//! and not at all when no token is configured: the figures describe the business.

use app::ssr::AppState;
use axum::{
    extract::{MatchedPath, Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Instant};

/// The process-wide recorder; installed once, even when tests build several applications.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then ours just renders nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts and times every request by its route pattern (never the raw path: ids and tokens
/// would explode the label set and leak).
pub async fn record(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("portico_http_requests_total", &labels).increment(1);
    metrics::histogram!("portico_http_request_duration_seconds", &labels[..2]).record(started.elapsed().as_secs_f64());
    response
}

pub async fn scrape(State((state, token)): State<(AppState, Option<String>)>, req: Request) -> Response {
    let Some(token) = token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response();
    }
    record_gauges(&state).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

/// Figures that live in the database, read when Prometheus asks.
async fn record_gauges(state: &AppState) {
    let pool = &state.db.pool;
    let gauges = [
        ("portico_outbox_pending", "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"),
        ("portico_sessions", "SELECT COUNT(*) FROM sessions"),
        ("portico_users", "SELECT COUNT(*) FROM users"),
        ("portico_accounts", "SELECT COUNT(*) FROM accounts"),
    ];
    for (name, sql) in gauges {
        if let Ok(value) = sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await {
            metrics::gauge!(name).set(value as f64);
        }
    }
    metrics::gauge!("portico_db_pool_connections").set(f64::from(state.db.pool.size()));
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Installs the recorder before the first request is recorded.
pub fn init() {
    handle();
}
