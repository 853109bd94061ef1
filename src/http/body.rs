//! The message in an error body: servers answer in HTML pages, JSON or plain text, and a
//! person wants one line of it.

/// The human message in a response body: HTML reduced to its `<title>` (or its text), the
/// Warehouse `"<code> "` prefix removed, whitespace collapsed, long bodies cut.
pub fn message_from_body(status: u16, body: &str) -> String {
    let text = if looks_like_html(body) {
        title_of(body).unwrap_or_else(|| strip_tags(body))
    } else {
        body.to_string()
    };
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let code = status.to_string();
    let trimmed = collapsed
        .strip_prefix(&code)
        .map_or(collapsed.as_str(), str::trim_start);
    let mut message: String = trimmed.chars().take(500).collect();
    if message.is_empty() {
        message = format!("HTTP {status}");
    }
    message
}

fn looks_like_html(body: &str) -> bool {
    let start = body
        .trim_start()
        .get(..64)
        .unwrap_or(body.trim_start())
        .to_ascii_lowercase();
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || start.starts_with("<head")
        || start.starts_with("<body")
}

fn title_of(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    Some(decode_entities(&html[start..end]))
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

/// Decodes the handful of entities error pages use.
pub fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// `{"message": …}` when the body is such JSON (the OIDC endpoints), else [`message_from_body`].
pub fn json_message(status: u16, body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| message_from_body(status, body))
}

/// A response's `Location` and `Retry-After` headers, as text: what an upload's answer
/// needs besides its status and body.
pub fn location_and_retry_after(response: &reqwest::Response) -> (Option<String>, Option<String>) {
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    (
        header(reqwest::header::LOCATION),
        header(reqwest::header::RETRY_AFTER),
    )
}
