//! Checkout input, validated once, in code that runs in the browser (instant feedback) and
//! on the server (the check that counts).

/// A buyer's name: 1 to 100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerName(String);

impl BuyerName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("enter the name for the order".into());
        }
        if name.chars().count() > 100 {
            return Err("the name is longer than 100 characters".into());
        }
        if name.chars().any(char::is_control) {
            return Err("the name contains control characters".into());
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked for shape (delivery is the only real proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim();
        // Too long to be an address: say so without echoing it back.
        if email.len() > 254 {
            return Err("the email address is longer than 254 characters".into());
        }
        let invalid = || format!("{email:?} is not an email address");
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok || local.contains('@') {
            return Err(invalid());
        }
        Ok(Self(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A card number: 12 to 19 digits (spaces and dashes allowed) passing the Luhn check.
/// Only its last four digits are ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() {
            return Err("enter a card number".into());
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err("a card number has only digits".into());
        }
        if !(12..=19).contains(&digits.len()) {
            return Err("a card number has 12 to 19 digits".into());
        }
        if !luhn(&digits) {
            return Err("that card number is not valid (check the digits)".into());
        }
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> String {
        self.0[self.0.len() - 4..].to_string()
    }
}

/// Never print a card number, even in debug logs.
impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardNumber(****{})", self.last4())
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A client-chosen idempotency key: 8 to 100 of `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (8..=100).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err("the idempotency key must be 8 to 100 letters, digits, '-' or '_'".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A non-empty list of distinct seat ids.
pub fn seat_selection(seats: &[i64], max: usize) -> Result<Vec<i64>, String> {
    if seats.is_empty() {
        return Err("choose at least one seat".into());
    }
    let mut sorted = seats.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != seats.len() {
        return Err("a seat is listed twice".into());
    }
    if sorted.len() > max {
        return Err(format!("at most {max} seats at a time"));
    }
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_pass_luhn_or_are_refused() {
        assert!(CardNumber::parse("4242 4242 4242 4242").is_ok());
        assert!(CardNumber::parse("4000-0000-0000-0002").is_ok());
        assert!(CardNumber::parse("4242 4242 4242 4241").is_err());
        assert!(CardNumber::parse("4242").is_err());
        assert!(CardNumber::parse("4242 4242 4242 424x").is_err());
        assert_eq!(
            CardNumber::parse("4242424242424242").unwrap().last4(),
            "4242"
        );
        assert_eq!(
            format!("{:?}", CardNumber::parse("4242424242424242").unwrap()),
            "CardNumber(****4242)"
        );
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("ada@example.com").is_ok());
        assert!(Email::parse(" ada@example.com ").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(BuyerName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert!(BuyerName::parse("   ").is_err());
        assert!(BuyerName::parse(&"x".repeat(101)).is_err());
    }

    #[test]
    fn idempotency_keys_and_seat_lists_are_checked() {
        assert!(IdempotencyKey::parse("abc-123_XYZ").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse("has space in it").is_err());
        assert_eq!(seat_selection(&[3, 1, 2], 10).unwrap(), vec![1, 2, 3]);
        assert!(seat_selection(&[], 10).is_err());
        assert!(seat_selection(&[1, 1], 10).is_err());
        assert!(seat_selection(&[1, 2, 3], 2).is_err());
    }
}
