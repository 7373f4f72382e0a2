//! Builds the whole application, bound to a socket, so `main` and the tests start it alike.

use crate::{config::Config, http_layers};
use app::{App, shell, ssr::{AppState, Db, outbox::Transport, worker}};
use axum::{Router, extract::State, http::StatusCode, routing::get};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::{net::SocketAddr, sync::LazyLock, time::Duration};
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
    mail_from: lettre::message::Mailbox,
}

impl Application {
    /// Opens the database (applying migrations), builds the router and binds `addr`
    /// (port 0 picks a free port).
    pub async fn build(config: &Config, leptos_options: LeptosOptions, addr: SocketAddr) -> Result<Self, String> {
        let url = config.database_url();
        // Always: the second-factor key lives there too, whatever the database.
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create data directory {}: {e}", config.data_dir.display()))?;
        let mail_from = config.mail_from.parse().map_err(|e| format!("PORTICO_MAIL_FROM: {e}"))?;
        let db = Db::connect(&url).await.map_err(|e| format!("cannot open the database: {e}"))?;
        let mut settings = config.settings();
        settings.sealing_key = config.sealing_key()?;
        let mut state = AppState::new(db, settings);
        if let Some(smtp) = &config.smtp_url {
            state = state.with_transport(Transport::smtp(smtp)?);
        }
        let router = router(state.clone(), leptos_options, config.public_url.clone(), config.metrics_token.clone().filter(|token| !token.is_empty()));
        let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Ok(Self { listener, router, state, mail_from })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM), finishing open requests.
    /// The background worker (mail, alerts) runs beside it; mails it has not delivered stay
    /// queued for next time.
    pub async fn run(self) -> std::io::Result<()> {
        tokio::spawn(worker::run(self.state.clone(), self.mail_from.clone(), Duration::from_millis(500)));
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown_signal()).await
    }
}

/// The app's routes, found once per process by rendering the app with resources held back.
/// Leptos holds them back with a process-wide flag (leptos#4773): a resource first polled
/// while any thread generates routes waits forever. So no server in this process serves
/// before the list exists, and none generates it again while another serves (the test suite
/// starts hundreds of servers in one process; a page burst hung so, every thread idle).
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

pub fn router(state: AppState, leptos_options: LeptosOptions, public_origin: Option<String>, metrics_token: Option<String>) -> Router {
    crate::metrics::init();
    let routes = ROUTES.clone();
    let context_state = state.clone();
    let provide_state = move || provide_context(context_state.clone());
    let app = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, provide_state, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options);
    let probes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/audit/export.csv", get(app::ssr::downloads::audit_csv))
        .route("/users/import/template.csv", get(app::ssr::downloads::import_template))
        .with_state(state.clone());
    let metrics = Router::new().route("/metrics", get(crate::metrics::scrape)).with_state((state, metrics_token));
    http_layers::apply(app.merge(probes).merge(metrics), public_origin)
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
