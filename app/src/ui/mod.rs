//! Building blocks shared by the pages.

mod form;
mod gate;
mod layout;
mod messages;
mod time;

pub use form::{FormError, SubmitButton, TextField, error_of};
pub use gate::{Gate, Need};
pub use layout::{AuthCard, Layout};
pub use messages::{error_text, permission_names, problem_text};
pub use time::format_time;
