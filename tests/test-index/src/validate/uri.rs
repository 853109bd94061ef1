//! URL and e-mail checks of Warehouse's metadata rules. Warehouse uses `rfc3986`
//! (`is_valid_uri(url, require_authority=False)`) and `email-validator`; both are
//! approximated here by the rules that decide the common cases (recorded against
//! the real libraries): an http(s) scheme and a valid numeric port; an address with
//! one `@`, a sane local part and a dotted domain.

/// `warehouse.utils.http.is_valid_uri(url, require_authority=False)`.
pub fn is_valid_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return false;
    }
    if let Some(after) = rest.strip_prefix("//") {
        let authority = after.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        // An IPv6 literal keeps its colons inside brackets.
        let port = match host_port.rfind(']') {
            Some(end) => host_port[end..].split_once(':').map(|(_, p)| p),
            None => host_port.rsplit_once(':').map(|(_, p)| p),
        };
        if let Some(port) = port
            && !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().map_or(true, |p| p > 65535)
        {
            return false;
        }
    }
    true
}

/// `email.utils.parseaddr(value)[1]` as PyPI's Python runs it (3.14: `strict=True` by
/// default), roughly: empty — nothing to validate — unless the value holds exactly one
/// address with balanced parentheses (so `A <a@x.org>, B <b@y.org>` is not validated at
/// all); then the bracketed address if any, else the value.
pub fn parse_address(value: &str) -> String {
    let (mut depth, mut quoted, mut angle, mut escaped, mut commas) =
        (0i32, false, false, false, 0);
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return String::new();
                }
            }
            '<' if !quoted && depth == 0 => angle = true,
            '>' if !quoted && depth == 0 => angle = false,
            ',' if !quoted && !angle && depth == 0 => commas += 1,
            _ => {}
        }
    }
    let items = value.split(',').filter(|s| !s.trim().is_empty()).count();
    if depth != 0 || (commas > 0 && items > 1) {
        return String::new();
    }
    if let (Some(start), Some(end)) = (value.find('<'), value.rfind('>'))
        && start < end
    {
        return value[start + 1..end].trim().to_owned();
    }
    let first = value.trim().trim_end_matches(',').trim();
    if first.ends_with('@') {
        return String::new();
    }
    first.to_owned()
}

/// `email_validator.validate_email(address, check_deliverability=False)`; `Err` is
/// the library's message.
pub fn validate_email(address: &str) -> Result<(), String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("An email address must have an @-sign.".to_owned());
    };
    if local.is_empty() {
        return Err("There must be something before the @-sign.".to_owned());
    }
    if domain.is_empty() {
        return Err("There must be something after the @-sign.".to_owned());
    }
    if local.starts_with('.') {
        return Err("An email address cannot start with a period.".to_owned());
    }
    if local.ends_with('.') {
        return Err(
            "An email address cannot have a period immediately before the @-sign.".to_owned(),
        );
    }
    if local.contains("..") || domain.contains("..") {
        return Err("An email address cannot have two periods in a row.".to_owned());
    }
    let bad_local: Vec<char> = local
        .chars()
        .filter(|c| !(c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(*c)))
        .collect();
    if !bad_local.is_empty() {
        return Err(format!(
            "The email address contains invalid characters before the @-sign: {}.",
            describe(&bad_local)
        ));
    }
    if domain.starts_with('-') {
        return Err(
            "An email address cannot have a hyphen immediately after the @-sign.".to_owned(),
        );
    }
    if domain.starts_with('.') {
        return Err(
            "An email address cannot have a period immediately after the @-sign.".to_owned(),
        );
    }
    let bad_domain: Vec<char> = domain
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '.')))
        .collect();
    if !bad_domain.is_empty() {
        return Err(format!(
            "The part after the @-sign contains invalid characters: {}.",
            describe(&bad_domain)
        ));
    }
    if !domain.contains('.') {
        return Err("The part after the @-sign is not valid. It should have a period.".to_owned());
    }
    let tld = domain.rsplit('.').next().unwrap_or("");
    if tld.is_empty() || tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "The part after the @-sign is not valid. It is not within a valid top-level domain."
                .to_owned(),
        );
    }
    let special = ["arpa", "invalid", "local", "localhost", "onion", "test"];
    if special.contains(&tld.to_ascii_lowercase().as_str()) {
        return Err(
            "The part after the @-sign is a special-use or reserved name that cannot be used with email."
                .to_owned(),
        );
    }
    Ok(())
}

/// email-validator names invalid characters: `SPACE`, or the character quoted.
fn describe(chars: &[char]) -> String {
    let mut seen: Vec<char> = Vec::new();
    for c in chars {
        if !seen.contains(c) {
            seen.push(*c);
        }
    }
    seen.iter()
        .map(|c| match c {
            ' ' => "SPACE".to_owned(),
            c => format!("'{c}'"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_like_rfc3986() {
        // Expectations recorded from Warehouse's is_valid_uri with rfc3986 2.0.0.
        for (url, ok) in [
            ("https://example.com", true),
            ("http://example.com/a b", true),
            ("example.com", false),
            ("ftp://x", false),
            ("https://", true),
            ("https://example.com:99999", false),
            ("https://example.com:abc", true),
            ("https://[::1]/", true),
            ("HTTPS://EX.COM", true),
            ("https:", true),
            ("mailto:a@b.c", false),
        ] {
            assert_eq!(is_valid_url(url), ok, "{url}");
        }
    }

    #[test]
    fn emails_like_email_validator() {
        // Expectations recorded from email-validator 2.3.0 after email.utils.parseaddr.
        for (value, result) in [
            ("foo", Err("An email address must have an @-sign.")),
            (
                "Foo <foo@bar>",
                Err("The part after the @-sign is not valid. It should have a period."),
            ),
            ("foo@bar.com", Ok(())),
            (
                "foo@-bar.com",
                Err("An email address cannot have a hyphen immediately after the @-sign."),
            ),
            (
                "foo bar@x.com",
                Err("The email address contains invalid characters before the @-sign: SPACE."),
            ),
            (
                "x@y..z",
                Err("An email address cannot have two periods in a row."),
            ),
            (
                ".foo@x.com",
                Err("An email address cannot start with a period."),
            ),
            (
                "foo@x_y.com",
                Err("The part after the @-sign contains invalid characters: '_'."),
            ),
            (
                "foo@x.123",
                Err(
                    "The part after the @-sign is not valid. It is not within a valid top-level domain.",
                ),
            ),
            (
                "foo@bar.invalid",
                Err(
                    "The part after the @-sign is a special-use or reserved name that cannot be used with email.",
                ),
            ),
        ] {
            let address = parse_address(value);
            assert_eq!(
                validate_email(&address),
                result.map_err(str::to_owned),
                "{value}"
            );
        }
        assert_eq!(parse_address("not an email@"), "");
        // Python 3.14's strict parseaddr: several addresses (or unbalanced parentheses)
        // give ('', ''), and Warehouse validates nothing (annotated_types 0.8.0, urllib3).
        assert_eq!(parse_address("a@b.c, d@e.f"), "");
        assert_eq!(parse_address("A <1+a@x.org>, B <b@y.org>, C <c@z.dev>"), "");
        assert_eq!(parse_address("\"Doe, J\" <j@x.org>"), "j@x.org");
        assert_eq!(parse_address("a@b.c (x"), "");
    }
}
