//! Files the browser downloads with a plain link (no server function can answer with a file):
//! the audit log as CSV, and the users import template. The same guard decides, from the
//! request itself.

use super::{AppState, cookies, guard::Caller, mail::locale_of, services::audit};
use crate::{audit::AuditFilter, domain::Permission, error::AppError};
use axum::{
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

/// `GET /audit/export.csv?actor=…&action=…&target=…&from=…&to=…`: the audit page's filter.
pub async fn audit_csv(State(state): State<AppState>, Query(filter): Query<AuditFilter>, parts: Parts) -> Response {
    match export(state, &filter, &parts).await {
        Ok(csv) => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"audit-log.csv\"")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ];
            (headers, csv).into_response()
        }
        Err(error) => refused(&error),
    }
}

/// `GET /users/import/template.csv`: the import file's header and one example row.
pub async fn import_template(State(state): State<AppState>, parts: Parts) -> Response {
    match Caller::from_parts(&parts, state).require(&[Permission::UsersManage]).await {
        Ok(_) => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"users-import.csv\"")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ];
            (headers, crate::users::template_csv()).into_response()
        }
        Err(error) => refused(&error),
    }
}

/// A refusal as a browser shows a failed download: the status and the error in plain text.
fn refused(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

async fn export(state: AppState, filter: &AuditFilter, parts: &Parts) -> Result<Vec<u8>, AppError> {
    let req = Caller::from_parts(parts, state).require(&[Permission::AuditView]).await?;
    let filter = filter.parse()?;
    // The sentences are in the language the requester reads: the page's (its cookie), else
    // their saved preference.
    let locale = locale_of(&cookies::locale(&parts.headers).unwrap_or_else(|| req.actor.info.locale.clone()));
    audit::log::export_csv(&req, &filter, locale).await
}
