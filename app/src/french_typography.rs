//! French typography in `locales/fr.json`: a non-breaking space (U+00A0, or the narrow U+202F)
//! comes before `:`, `;`, `?` and `!`, so that the sign never starts a line of its own.

/// Every French string (by its key path) where one of those signs lacks its space.
fn misplaced(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                misplaced(child, &format!("{path}.{key}"), out);
            }
        }
        serde_json::Value::String(text) => {
            let chars: Vec<char> = text.chars().collect();
            let bad = chars.windows(2).any(|pair| matches!(pair[1], ':' | ';' | '?' | '!') && !matches!(pair[0], '\u{a0}' | '\u{202f}'));
            if bad {
                out.push(format!("{path}: {text}"));
            }
        }
        _ => {}
    }
}

#[test]
fn signs_follow_a_non_breaking_space() {
    let french: serde_json::Value = serde_json::from_str(include_str!("../locales/fr.json")).expect("fr.json parses");
    let mut wrong = Vec::new();
    misplaced(&french, "", &mut wrong);
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The check itself sees a plain space.
    misplaced(&serde_json::json!({ "k": "Prêt ?" }), "", &mut wrong);
    assert_eq!(wrong, [".k: Prêt ?"]);
}
