//! Pyramid's HTTP exceptions, byte for byte. Warehouse answers the upload API with
//! `_exc_with_message(HTTPBadRequest, msg)`: the status line becomes `"400 <msg>"` and
//! Pyramid renders a default page whose format follows `Accept` (HTML for `*/*`, JSON
//! for `application/json`, plain text otherwise — including no `Accept` at all). Even
//! the upload success is such a page ("200 OK"), because `HTTPOk(body="")` has no body.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::accept::acceptable_offers;
use crate::pyfmt::{html_escape, json_str};

/// Which of Pyramid's body templates the exception uses.
#[derive(Debug, Clone)]
enum Template {
    /// `${explanation}${br}${br}\n${detail}\n${html_comment}\n`
    Default,
    /// `_HTTPMove`: `${explanation} ${location}; you should be redirected automatically.`
    Move { location: String },
    /// `HTTPMethodNotAllowed`: `The method ${REQUEST_METHOD} is not allowed …`
    MethodNotAllowed { method: String },
}

/// A Pyramid `HTTPException` about to be rendered.
#[derive(Debug, Clone)]
pub struct HttpException {
    status: StatusCode,
    title: &'static str,
    explanation: &'static str,
    detail: Option<String>,
    /// `_exc_with_message` puts the message in the status line instead of the title.
    message_in_status: bool,
    template: Template,
    headers: Vec<(HeaderName, String)>,
}

impl HttpException {
    fn new(status: StatusCode) -> Self {
        let (title, explanation) = match status.as_u16() {
            200 => ("OK", ""),
            301 => ("Moved Permanently", "The resource has been moved to"),
            308 => ("Permanent Redirect", "The resource has been moved to"),
            400 => (
                "Bad Request",
                "The server could not comply with the request since it is either malformed or otherwise incorrect.",
            ),
            403 => ("Forbidden", "Access was denied to this resource."),
            404 => ("Not Found", "The resource could not be found."),
            405 => ("Method Not Allowed", ""),
            410 => (
                "Gone",
                "This resource is no longer available.  No forwarding address is given.",
            ),
            429 => ("Too Many Requests", ""),
            _ => (
                "Internal Server Error",
                "The server has either erred or is incapable of performing the requested operation.",
            ),
        };
        HttpException {
            status,
            title,
            explanation,
            detail: None,
            message_in_status: false,
            template: Template::Default,
            headers: Vec::new(),
        }
    }

    /// Warehouse's `_exc_with_message(exc, message)`.
    pub fn with_message(status: StatusCode, message: impl Into<String>) -> Self {
        HttpException {
            detail: Some(message.into()),
            message_in_status: true,
            ..Self::new(status)
        }
    }

    /// `_exc_with_message(HTTPBadRequest, message)`, the upload API's usual answer.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::with_message(StatusCode::BAD_REQUEST, message)
    }

    /// `_exc_with_message(HTTPForbidden, message)`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::with_message(StatusCode::FORBIDDEN, message)
    }

    /// `HTTPOk()`: what a successful (or identical duplicate) upload returns.
    pub fn ok() -> Self {
        Self::new(StatusCode::OK)
    }

    /// A bare exception such as `HTTPInternalServerError()`.
    pub fn plain(status: StatusCode) -> Self {
        Self::new(status)
    }

    /// `HTTPMethodNotAllowed(headers={"Allow": …})` from Warehouse's method deriver.
    pub fn method_not_allowed(method: &str, allow: &str) -> Self {
        let mut exc = Self::new(StatusCode::METHOD_NOT_ALLOWED);
        exc.template = Template::MethodNotAllowed {
            method: method.to_owned(),
        };
        exc.headers.push((header::ALLOW, allow.to_owned()));
        exc
    }

    /// A redirect (`HTTPMovedPermanently`, `HTTPPermanentRedirect`), optionally with
    /// Warehouse's message in the status line. `location` is as the view gave it
    /// (relative); `absolute` is what WebOb puts in the header.
    pub fn redirect(
        status: StatusCode,
        location: &str,
        absolute: &str,
        message: Option<&str>,
    ) -> Self {
        let mut exc = Self::new(status);
        if let Some(message) = message {
            exc.detail = Some(message.to_owned());
            exc.message_in_status = true;
        }
        exc.template = Template::Move {
            location: location.to_owned(),
        };
        exc.headers.push((header::LOCATION, absolute.to_owned()));
        exc
    }

    /// The status text after the code, as Pyramid's `status` has it: the message
    /// round-tripped through ISO-8859-1 with `replace`, or the title.
    fn status_text(&self) -> String {
        match (&self.detail, self.message_in_status) {
            (Some(message), true) => message
                .chars()
                .map(|c| if (c as u32) < 0x100 { c } else { '?' })
                .collect(),
            _ => self.title.to_owned(),
        }
    }

    /// Renders the page for a request's `Accept` header.
    pub fn render(&self, headers: &HeaderMap) -> Response {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // Pyramid reads `environ.get('HTTP_ACCEPT', '')`: no header means an empty
        // (valid) one, which accepts neither offer, so plain text.
        let chosen = acceptable_offers(Some(accept), &["text/html", "application/json"])
            .first()
            .copied()
            .unwrap_or("text/plain");
        let status_line = format!("{} {}", self.status.as_u16(), self.status_text());
        let (br, escape): (&str, fn(&str) -> String) = match chosen {
            "text/html" => ("<br/>", html_escape),
            _ => ("\n", str::to_owned),
        };
        let detail = escape(self.detail.as_deref().unwrap_or(""));
        let body = match &self.template {
            Template::Default => {
                format!("{}{br}{br}\n{detail}\n\n", escape(self.explanation))
            }
            Template::Move { location } => format!(
                "{} {}; you should be redirected automatically.\n{detail}\n",
                escape(self.explanation),
                escape(location)
            ),
            Template::MethodNotAllowed { method } => format!(
                "The method {} is not allowed for this resource. {br}{br}\n{detail}",
                escape(method)
            ),
        };
        let (content_type, page) = match chosen {
            "text/html" => (
                "text/html; charset=UTF-8",
                format!(
                    "<html>\n <head>\n  <title>{status_line}</title>\n </head>\n <body>\n  <h1>{status_line}</h1>\n  {body}\n </body>\n</html>"
                ),
            ),
            "application/json" => (
                "application/json",
                format!(
                    "{{\"message\": {}, \"code\": {}, \"title\": {}}}",
                    json_str(&body),
                    json_str(&status_line),
                    json_str(self.title)
                ),
            ),
            _ => (
                "text/plain; charset=UTF-8",
                format!("{status_line}\n\n{body}"),
            ),
        };
        let mut response = (self.status, page).into_response();
        let response_headers = response.headers_mut();
        response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response_headers.insert(name.clone(), value);
            }
        }
        if self.message_in_status {
            let reason: Vec<u8> = self
                .status_text()
                .chars()
                // Latin-1 bytes; controls cannot travel in a status line.
                .map(|c| {
                    if c == '\t' || (c >= ' ' && c != '\u{7f}') {
                        c as u32 as u8
                    } else {
                        b'?'
                    }
                })
                .collect();
            if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(reason) {
                response.extensions_mut().insert(reason);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn body_of(exc: &HttpException, accept: Option<&str>) -> String {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        }
        let response = exc.render(&headers);
        String::from_utf8(
            to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn renders_like_pyramid() {
        let exc = HttpException::bad_request("Only one sdist may be uploaded per release.");
        assert_eq!(
            body_of(&exc, None).await,
            "400 Only one sdist may be uploaded per release.\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n\nOnly one sdist may be uploaded per release.\n\n"
        );
        assert_eq!(
            body_of(&exc, Some("*/*")).await,
            "<html>\n <head>\n  <title>400 Only one sdist may be uploaded per release.</title>\n </head>\n <body>\n  <h1>400 Only one sdist may be uploaded per release.</h1>\n  The server could not comply with the request since it is either malformed or otherwise incorrect.<br/><br/>\nOnly one sdist may be uploaded per release.\n\n\n </body>\n</html>"
        );
        assert_eq!(
            body_of(&exc, Some("application/json")).await,
            "{\"message\": \"The server could not comply with the request since it is either malformed or otherwise incorrect.\\n\\n\\nOnly one sdist may be uploaded per release.\\n\\n\", \"code\": \"400 Only one sdist may be uploaded per release.\", \"title\": \"Bad Request\"}"
        );
        assert_eq!(
            body_of(&HttpException::ok(), None).await,
            "200 OK\n\n\n\n\n\n\n"
        );
    }
}
