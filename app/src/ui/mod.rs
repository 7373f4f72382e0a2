//! Building blocks shared by the pages.

mod acting;
mod confirm;
mod copy;
mod form;
mod gate;
mod layout;
mod messages;
mod numbers;
pub mod menu;
mod preferences;
mod signed_out;
pub mod style;
mod time;

pub use confirm::{ConfirmDialog, Confirmation};
pub use copy::CopyButton;
pub use form::{FieldProblem, FormError, SubmitButton, TextField, error_of};
pub use acting::{AccountPicker, ActingBanner};
pub use gate::{Gate, Need, safe_next};
pub use layout::{AuthCard, Layout};
pub use preferences::{LanguageChoice, SubscriptionChoices};
pub use numbers::thousands;
pub use messages::{error_summary, error_text, permission_names, problem_text, refusal_text};
pub use time::format_time;
pub use signed_out::{SIGNED_OUT_URL, leave_if_signed_out, leave_when_signed_out, load_page};
