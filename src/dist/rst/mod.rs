//! The part of reStructuredText rendering that can be checked faithfully without docutils.
//!
//! PyPI renders `text/x-rst` descriptions with `readme_renderer`, which turns every docutils
//! warning into a refusal. We check the most common one, a section title whose underline (or
//! overline) is shorter than the title; everything else is left to the index (see README).

/// Characters docutils accepts as section adornment.
const ADORNMENT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

fn is_adornment(line: &str) -> bool {
    let line = line.trim_end();
    let mut chars = line.chars();
    match chars.next() {
        Some(c) if ADORNMENT.contains(c) => line.len() >= 2 && chars.all(|x| x == c),
        _ => false,
    }
}

/// The first problem found, as `(line number, message)`.
pub fn check(text: &str) -> Option<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, pair) in lines.windows(2).enumerate() {
        let (title, under) = (pair[0], pair[1]);
        let title_trimmed = title.trim_end();
        if title_trimmed.is_empty() || title.starts_with([' ', '\t']) || is_adornment(title) {
            continue;
        }
        if is_adornment(under) {
            // docutils measures titles in characters, not bytes.
            let (title_len, under_len) = (
                title_trimmed.chars().count(),
                under.trim_end().chars().count(),
            );
            // docutils treats an underline shorter than 4 as plain text (an info, not a warning).
            if under_len < title_len && under_len >= 4 {
                return Some((
                    i + 2,
                    format!("Title underline too short: '{title_trimmed}'"),
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn finds_short_underlines_only() {
        assert_eq!(check("Title\n=====\n\ntext\n"), None);
        assert_eq!(
            check("Long title\n=====\n"),
            Some((2, "Title underline too short: 'Long title'".to_string()))
        );
        assert_eq!(check("A paragraph\n\n----\n\nmore\n"), None);
    }
}
