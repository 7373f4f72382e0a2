//! Typed database ids.

use serde::{Deserialize, Serialize};

/// Database ids, typed so a user id can never be passed where an account id is expected. On the
/// server they bind to and decode from SQL as the integer they wrap.
macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Read from a form control's value or a query string.
        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    };
}

id_type!(UserId);
id_type!(AccountId);
id_type!(RoleId);
id_type!(SessionId);
id_type!(LinkId);
id_type!(GrantId);
