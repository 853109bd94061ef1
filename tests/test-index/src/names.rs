//! Project names as Warehouse sees them: the display name a user typed, its PEP 503
//! normalized form (the key of everything), and the "ultranormalized" form Warehouse
//! uses to refuse look-alike names.

/// `warehouse.utils.project.PROJECT_NAME_RE` (and packaging's `_validate_regex`):
/// ASCII letters/digits at both ends, `.`, `_`, `-` allowed inside.
pub fn is_valid_project_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    match bytes {
        [] => false,
        [only] => edge(only),
        [first, middle @ .., last] => {
            edge(first)
                && edge(last)
                && middle
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
    }
}

/// `packaging.utils.canonicalize_name` (without validation): lowercase, runs of
/// `-_.` become one `-`.
pub fn canonicalize_name(name: &str) -> String {
    let lowered = name.to_lowercase().replace(['_', '.'], "-");
    let mut out = String::with_capacity(lowered.len());
    for ch in lowered.chars() {
        if ch == '-' && out.ends_with('-') {
            continue;
        }
        out.push(ch);
    }
    out
}

/// Warehouse's SQL `ultranormalize_name`: drop `.`, `_`, `-`; `l`/`i` → `1`; `o` → `0`.
pub fn ultranormalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '.' | '_' | '-'))
        .map(|c| match c.to_ascii_lowercase() {
            'l' | 'i' => '1',
            'o' => '0',
            other => other,
        })
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(canonicalize_name("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(canonicalize_name("a-_-b"), "a-b");
        assert_eq!(ultranormalize_name("Foo-lib_IO"), "f0011b10");
        assert!(is_valid_project_name("a"));
        assert!(is_valid_project_name("Foo.bar-1"));
        assert!(!is_valid_project_name("-foo"));
        assert!(!is_valid_project_name("foo_"));
        assert!(!is_valid_project_name("fö"));
    }
}
