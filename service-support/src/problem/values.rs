//! Values as problem documents write them: a client's id shortened, money with two decimals.

/// A client-supplied id, shortened for an error message (ids in paths are not checked first).
pub fn shown(id: &str) -> String {
    const MAX: usize = 64;
    match id.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &id[..cut]),
        None => id.to_owned(),
    }
}

/// Money (or any amount written with two decimals) as a problem's member: a JSON number with
/// exactly two decimals, or null.
pub fn money(value: Option<rust_decimal::Decimal>) -> serde_json::Value {
    value
        .and_then(|value| {
            let mut cents = value.round_dp(2);
            cents.rescale(2);
            // Parsed, not converted: the number keeps its text (`2.10`, not `2.1`).
            serde_json::from_str(&cents.to_string()).ok()
        })
        .unwrap_or(serde_json::Value::Null)
}
