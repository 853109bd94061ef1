//! URLs as Warehouse reads them: rfc3986's `is_valid_uri`.

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
