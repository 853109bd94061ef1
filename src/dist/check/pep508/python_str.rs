//! A Python string literal's body, as a quoted value in a marker (`os_name == 'a\x41'`)
//! must be one: packaging reads such a value with `ast.literal_eval`.

/// Whether the inside of a quoted marker string is a valid Python string literal's body:
/// packaging reads one with backslashes or unprintable characters with
/// `ast.literal_eval` (`process_python_str`), which refuses a NUL, a bare line break, a
/// backslash before the closing quote and malformed escapes (`\x4`, `\u12`, `\U` beyond
/// U+10FFFF, `\N{…}`). A `\N{…}` name is taken on its form: telling a real Unicode name
/// would need Python's name table, and accepting is the safe side here.
pub(super) fn is_python_string_body(inner: &str) -> bool {
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\0' | '\n' | '\r' => return false,
            '\\' => {
                let hex = |n: usize, chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let digits: String = (0..n).filter_map(|_| chars.next()).collect();
                    (digits.len() == n && digits.chars().all(|d| d.is_ascii_hexdigit()))
                        .then(|| u32::from_str_radix(&digits, 16).ok())
                        .flatten()
                };
                match chars.next() {
                    // The backslash escapes the closing quote: the string never ends.
                    None => return false,
                    Some('x') if hex(2, &mut chars).is_none() => return false,
                    Some('u') if hex(4, &mut chars).is_none() => return false,
                    Some('U') if hex(8, &mut chars).is_none_or(|v| v > 0x10_ffff) => {
                        return false;
                    }
                    Some('N') => {
                        if chars.next() != Some('{') {
                            return false;
                        }
                        let mut name = String::new();
                        let closed = chars.by_ref().any(|c| {
                            c == '}' || {
                                name.push(c);
                                false
                            }
                        });
                        let named = closed
                            && !name.is_empty()
                            && name
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-'));
                        if !named {
                            return false;
                        }
                    }
                    // A backslash before a line break continues the line.
                    Some('\r') if chars.peek() == Some(&'\n') => {
                        chars.next();
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    true
}
