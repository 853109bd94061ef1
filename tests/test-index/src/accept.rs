//! `Accept` negotiation the way WebOb does it. Both Pyramid's error pages and the
//! simple API pick their format with `acceptable_offers`, so `*/*`, `text/*`, q-values
//! and invalid headers must pick the same representation PyPI would.

/// One parsed media range of an `Accept` header.
struct Range {
    kind: String,
    subtype: String,
    q: f32,
}

/// WebOb's `acceptable_offers(offers)`: the offers the header accepts, best q first
/// (ties keep the offer order). `None` means "no Accept header" (everything acceptable);
/// an unparsable header also accepts everything, as in WebOb.
pub fn acceptable_offers<'a>(header: Option<&str>, offers: &[&'a str]) -> Vec<&'a str> {
    let Some(header) = header else {
        return offers.to_vec();
    };
    let Some(ranges) = parse(header) else {
        return offers.to_vec();
    };
    let mut scored: Vec<(usize, f32, &'a str)> = Vec::new();
    for (index, offer) in offers.iter().enumerate() {
        let (kind, subtype) = offer.split_once('/').unwrap_or((offer, ""));
        // The most specific matching range decides the offer's quality.
        let best = ranges
            .iter()
            .filter_map(|r| {
                let specificity = if r.kind == "*" {
                    1
                } else if r.kind.eq_ignore_ascii_case(kind) && r.subtype == "*" {
                    2
                } else if r.kind.eq_ignore_ascii_case(kind)
                    && r.subtype.eq_ignore_ascii_case(subtype)
                {
                    3
                } else {
                    return None;
                };
                Some((specificity, r.q))
            })
            .max_by_key(|(specificity, _)| *specificity);
        if let Some((_, q)) = best
            && q > 0.0
        {
            scored.push((index, q, offer));
        }
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(_, _, offer)| offer).collect()
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn parse(header: &str) -> Option<Vec<Range>> {
    let mut ranges = Vec::new();
    for element in header.split(',') {
        let element = element.trim();
        if element.is_empty() {
            continue;
        }
        let mut parts = element.split(';');
        let media = parts.next()?.trim();
        let (kind, subtype) = media.split_once('/')?;
        if !is_token(kind) || !is_token(subtype) || (kind == "*" && subtype != "*") {
            return None;
        }
        let mut q = 1.0;
        for param in parts {
            let (name, value) = param.trim().split_once('=')?;
            let (name, value) = (name.trim(), value.trim());
            if !is_token(name) {
                return None;
            }
            if name.eq_ignore_ascii_case("q") {
                q = parse_qvalue(value)?;
            }
        }
        ranges.push(Range {
            kind: kind.to_owned(),
            subtype: subtype.to_owned(),
            q,
        });
    }
    Some(ranges)
}

fn parse_qvalue(value: &str) -> Option<f32> {
    let ok = match value.split_once('.') {
        None => value == "0" || value == "1",
        Some(("0", frac)) => frac.len() <= 3 && frac.bytes().all(|b| b.is_ascii_digit()),
        Some(("1", frac)) => frac.len() <= 3 && frac.bytes().all(|b| b == b'0'),
        _ => false,
    };
    ok.then(|| value.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERS: [&str; 2] = ["text/html", "application/json"];

    #[test]
    fn matches_webob() {
        // Results recorded from WebOb 1.8.10 (the version Warehouse pins).
        assert_eq!(acceptable_offers(Some(""), &OFFERS), Vec::<&str>::new());
        assert_eq!(acceptable_offers(Some("*/*"), &OFFERS), OFFERS.to_vec());
        assert_eq!(
            acceptable_offers(Some("text/plain"), &OFFERS),
            Vec::<&str>::new()
        );
        assert_eq!(
            acceptable_offers(Some("text/html;q=0.1, application/json"), &OFFERS),
            ["application/json", "text/html"]
        );
        assert_eq!(
            acceptable_offers(Some("garbage;;"), &OFFERS),
            OFFERS.to_vec()
        );
        assert_eq!(acceptable_offers(Some("text/*"), &OFFERS), ["text/html"]);
        assert_eq!(acceptable_offers(None, &OFFERS), OFFERS.to_vec());
    }
}
