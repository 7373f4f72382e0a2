//! The people of an account (F3, F4, F6): the list, one user's form, bulk actions,
//! invitations and the CSV import.

pub mod bulk;
pub mod counts;
pub mod edit;
pub mod import;
pub mod invitations;
pub mod list;
