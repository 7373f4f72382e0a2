//! Numbers as each language writes them.

use crate::i18n::Locale;

/// 10000 as "10,000" (English) or "10 000" (French, with a narrow no-break space).
pub fn thousands(locale: Locale, n: u64) -> String {
    let digits = n.to_string();
    let separator = match locale {
        Locale::fr => "\u{202f}",
        _ => ",",
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_three_from_the_right() {
        assert_eq!(thousands(Locale::en, 0), "0");
        assert_eq!(thousands(Locale::en, 999), "999");
        assert_eq!(thousands(Locale::en, 10_000), "10,000");
        assert_eq!(thousands(Locale::en, 1_234_567), "1,234,567");
        assert_eq!(thousands(Locale::fr, 10_000), "10\u{202f}000");
    }
}
