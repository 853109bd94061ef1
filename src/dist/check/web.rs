//! E-mail addresses and URLs as Warehouse reads them: `email.utils.parseaddr` (strict, so a
//! list of addresses yields none) with `email-validator`, and rfc3986's `is_valid_uri`.

/// Splits an RFC 822 address list on commas outside quotes and angle brackets.
pub(super) fn split_addresses(value: &str) -> Vec<String> {
    let (mut out, mut current, mut quoted, mut angle) = (Vec::new(), String::new(), false, false);
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle && depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) fn is_valid_email(entry: &str) -> bool {
    // RFC 822 comments (`a@b.org (Jane Doe)`, distutils' old style): Warehouse validates
    // what `email.utils.parseaddr` returns, which has them removed.
    let entry = &strip_comments(entry);
    // parseaddr is lenient with brackets: `Jane <a@b.org` and `a@b.org>` give `a@b.org`.
    let address = match entry.rfind('<') {
        Some(a) => {
            let rest = &entry[a + 1..];
            rest.find('>').map_or(rest, |b| &rest[..b])
        }
        None => entry.trim_end().trim_end_matches('>'),
    };
    let Some((local, domain)) = address.trim().rsplit_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    // email-validator: no empty dot-separated part in the local part, no all-numeric TLD.
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && !local.split('.').any(str::is_empty)
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && !labels[labels.len() - 1].chars().all(|c| c.is_ascii_digit())
}

/// `entry` without its parenthesized comments (outside quotes; they nest).
fn strip_comments(entry: &str) -> String {
    let (mut out, mut depth, mut quoted) = (String::new(), 0usize, false);
    for c in entry.chars() {
        match c {
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            // A stray `)` is dropped, as parseaddr drops it.
            ')' if !quoted => {
                depth = depth.saturating_sub(1);
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            out.push(c);
        }
    }
    out
}

/// Warehouse's `is_valid_uri(url, require_authority=False)` (warehouse/utils/http.py,
/// applied to Home-page, Download-URL and Project-URL by forklift/metadata.py): `rfc3986`
/// wants an http(s) scheme and, when an authority is given, a numeric port of at most
/// 65535 — nothing more. It accepts a missing or odd host (`https:`, `https://`,
/// `http://exa mple.com`), so refusing those would block an upload PyPI takes.
pub(super) fn is_valid_url(value: &str) -> bool {
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let Some(after) = rest.strip_prefix("//") else {
        return true;
    };
    let authority = after.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // An IPv6 literal keeps its colons inside brackets.
    let port = match host_port.rfind(']') {
        Some(end) => host_port[end..].split_once(':').map(|(_, p)| p),
        None => host_port.rsplit_once(':').map(|(_, p)| p),
    };
    // rfc3986 judges only an all-digit port (`:abc` passes).
    !port.is_some_and(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().map_or(true, |n| n > 65535)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commas split the list only outside quotes, comments and angle brackets, and
    /// brackets inside quotes are text.
    #[test]
    fn address_lists_split_where_rfc_822_splits_them() {
        let cases: [(&str, &[&str]); 6] = [
            (
                r#""Smith, J (x" <a@b.org>, c@d.io"#,
                &[r#""Smith, J (x" <a@b.org>"#, "c@d.io"],
            ),
            (
                r#"(x "y)" z, w) a@b.org, c@d.io"#,
                &[r#"(x "y)" z, w) a@b.org"#, "c@d.io"],
            ),
            ("(c) a@b.org, d@e.io", &["(c) a@b.org", "d@e.io"]),
            (r#""<x" a@b.org, c@d.io"#, &[r#""<x" a@b.org"#, "c@d.io"]),
            ("<a,b@c.org>, d@e.io", &["<a,b@c.org>", "d@e.io"]),
            (
                r#"<a@b.org ">" , x>, c@d.io"#,
                &[r#"<a@b.org ">" , x>"#, "c@d.io"],
            ),
        ];
        for (list, want) in cases {
            assert_eq!(split_addresses(list), want, "{list}");
        }
    }

    /// Warehouse: `email_validator.validate_email(email.utils.parseaddr(value)[1],
    /// check_deliverability=False)`; the verdicts are those of email-validator 2.4 on
    /// Python 3.14's parseaddr.
    #[test]
    fn single_addresses_are_judged_as_warehouse_judges_them() {
        let valid = [
            "a@b.org",
            "Jane <a@b.org>",
            "a@b.org (Jane Doe)",
            "(Jane) a@b.org",
            "<a@b.org>",
            "a@b.o-rg",
            "Jane <a@b.org",
            "a@b.org>",
            "a@xn--bcher-kva.example",
            "a@bücher.example",
            "a@b.c",
            "a@b.org (x (y) z)",
            "\"Jane (x)\" <a@b.org>",
            "a@b.org (unclosed",
            "a+tag@b.org",
            "a@sub.b.org",
            "A@B.ORG",
            // Quotes inside a comment are text, and brackets inside quotes are text.
            "(Jane \"Q) a@b.org",
            "\"Jane (x\" <a@b.org>",
            "\"x)\" <a@b.org>",
            "a@b.org (x))",
        ];
        let invalid = [
            "a@b",
            "@b.org",
            "a@.org",
            "a@b..org",
            "a@-b.org",
            "a@b-.org",
            "a@b_c.org",
            "a b@c.org",
            "Jane a@b.org>",
            "\"a b\"@c.org",
            "<>a@b.org",
            "a@1.2",
            "a.@b.org",
            ".a@b.org",
            "a..b@c.org",
            "a@b.org.",
        ];
        for address in valid {
            assert!(is_valid_email(address), "{address} is valid");
        }
        for address in invalid {
            assert!(!is_valid_email(address), "{address} is not");
        }
    }

    /// Warehouse `is_valid_uri(url, require_authority=False)` (rfc3986 2.0): the verdicts
    /// of the real function on each.
    #[test]
    fn ports_are_judged_as_rfc3986_judges_them() {
        for (url, valid) in [
            ("https://e.org:65535/", true),
            ("https://e.org:65536/", false),
            ("https://e.org:0/", true),
            ("https://[::1]:8080/", true),
            ("https://[::1]:99999/", false),
            ("https://e.org:/", true),
            ("https://e.org:abc/", true),
        ] {
            assert_eq!(is_valid_url(url), valid, "{url}");
        }
    }
}
