//! An account's life (F2, F11): creating one, belonging to it, and its dashboard.

pub mod create;
pub mod dashboard;
pub mod membership;
