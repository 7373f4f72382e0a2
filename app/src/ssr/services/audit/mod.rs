//! The audit log as administrators read it (F8). Writing events is `ssr::audit`.

pub mod log;
pub mod story;
