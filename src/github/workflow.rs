//! Workflow commands (`::add-mask::`, `::error …::`, `::group::`) and their escaping.

/// Escapes a command's message: `%`, CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value: as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::add-mask::value` — the runner hides the value in every later log line.
pub fn mask(value: &str) -> String {
    format!("::add-mask::{}", escape_data(value))
}

/// What to do with each token trusted publishing mints: in GitHub Actions, print
/// `::add-mask::` for it before anything else can show it; elsewhere nothing.
pub fn mask_minted(in_github: bool) -> crate::auth::OnMint {
    if !in_github {
        return Box::new(|_| {});
    }
    Box::new(|c: &crate::auth::Credentials| {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", mask(c.password.reveal()));
        let _ = out.flush();
    })
}

/// An annotation (`error`, `warning` or `notice`), optionally tied to a file.
pub fn annotation(level: &str, file: Option<&str>, title: &str, message: &str) -> String {
    let mut props = Vec::new();
    if let Some(f) = file {
        props.push(format!("file={}", escape_property(f)));
    }
    props.push(format!("title={}", escape_property(title)));
    format!("::{level} {}::{}", props.join(","), escape_data(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_runner_expects() {
        assert_eq!(
            annotation("error", Some("dist/a,b.whl"), "rule: x", "50% done\nnext"),
            "::error file=dist/a%2Cb.whl,title=rule%3A x::50%25 done%0Anext"
        );
        assert_eq!(mask("a\nb"), "::add-mask::a%0Ab");
    }
}
