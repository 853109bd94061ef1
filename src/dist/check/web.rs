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
    let address = match (entry.rfind('<'), entry.rfind('>')) {
        (Some(a), Some(b)) if a < b => &entry[a + 1..b],
        _ => entry,
    };
    let Some((local, domain)) = address.trim().rsplit_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// `entry` without its parenthesized comments (outside quotes; they nest).
fn strip_comments(entry: &str) -> String {
    let (mut out, mut depth, mut quoted) = (String::new(), 0usize, false);
    for c in entry.chars() {
        match c {
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
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
}
