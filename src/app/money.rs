//! Money is integer cents everywhere; this is the one place that turns it into text.

/// Formats cents as dollars: `1250` → `"$12.50"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::format_cents;

    #[test]
    fn formats_whole_and_fractional_amounts() {
        assert_eq!(format_cents(0), "$0.00");
        assert_eq!(format_cents(5), "$0.05");
        assert_eq!(format_cents(1250), "$12.50");
        assert_eq!(format_cents(100_000), "$1000.00");
        assert_eq!(format_cents(-250), "-$2.50");
    }
}
