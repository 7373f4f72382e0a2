//! How times are shown.

/// UTC, unambiguous across the team's time zones.
pub fn format_time(unix_secs: i64) -> String {
    use time::{OffsetDateTime, macros::format_description};
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| t.format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
    }
}
