//! Enumerators: the `1.`, `(a)`, `iv)`, `#.` markers of enumerated lists, their sequences
//! (arabic, alphabetic, Roman) and docutils' test of whether a line really starts a list item.

use super::body;
use super::lines::Line;

/// The three enumerator formats: `(1)`, `1)` and `1.`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Format {
    Parens,
    RParen,
    Period,
}

/// An enumerator as the `enumerator` pattern matches it.
#[derive(Debug, Clone)]
pub(super) struct Enumerator {
    pub(super) format: Format,
    pub(super) text: String,
    pub(super) end: usize,
}

/// Matches the enumerator pattern (without docutils' validity checks).
pub(super) fn enumerator(text: &str) -> Option<Enumerator> {
    let (format, body) = if let Some(rest) = text.strip_prefix('(') {
        (Format::Parens, rest)
    } else {
        (Format::Period, text)
    };
    let len = body
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
        .unwrap_or(body.len());
    let label = &body[..len];
    let valid = label == "#"
        || (!label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()))
        || (label.len() == 1 && label.bytes().all(|b| b.is_ascii_alphabetic()))
        || (!label.is_empty() && label.bytes().all(|b| b"ivxlcdm".contains(&b)))
        || (!label.is_empty() && label.bytes().all(|b| b"IVXLCDM".contains(&b)));
    if !valid {
        return None;
    }
    let after = &body[len..];
    let format = match (format, after.chars().next()) {
        (Format::Parens, Some(')')) => Format::Parens,
        (Format::Period, Some(')')) => Format::RParen,
        (Format::Period, Some('.')) => Format::Period,
        _ => return None,
    };
    let marker_len = text.len() - after.len() + 1;
    let end = body::marker(text, &text[..marker_len])?;
    Some(Enumerator {
        format,
        text: label.to_string(),
        end,
    })
}

/// Enumeration sequences, in the order docutils tries them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Sequence {
    Arabic,
    LowerAlpha,
    UpperAlpha,
    LowerRoman,
    UpperRoman,
    Auto,
}

pub(super) fn sequence_of(text: &str, expected: Option<Sequence>) -> Sequence {
    let fits = |s: Sequence| match s {
        Sequence::Arabic => text.bytes().all(|b| b.is_ascii_digit()),
        Sequence::LowerAlpha => text.len() == 1 && text.bytes().all(|b| b.is_ascii_lowercase()),
        Sequence::UpperAlpha => text.len() == 1 && text.bytes().all(|b| b.is_ascii_uppercase()),
        Sequence::LowerRoman => text.bytes().all(|b| b"ivxlcdm".contains(&b)),
        Sequence::UpperRoman => text.bytes().all(|b| b"IVXLCDM".contains(&b)),
        Sequence::Auto => text == "#",
    };
    if text == "#" {
        return Sequence::Auto;
    }
    if let Some(s) = expected.filter(|s| fits(*s)) {
        return s;
    }
    match text {
        "i" => return Sequence::LowerRoman,
        "I" => return Sequence::UpperRoman,
        _ => {}
    }
    [
        Sequence::Arabic,
        Sequence::LowerAlpha,
        Sequence::UpperAlpha,
        Sequence::LowerRoman,
    ]
    .into_iter()
    .find(|s| fits(*s))
    .unwrap_or(Sequence::UpperRoman)
}

pub(super) fn ordinal(text: &str, sequence: Sequence) -> Option<u32> {
    match sequence {
        Sequence::Auto => Some(1),
        Sequence::Arabic => text.parse().ok(),
        Sequence::LowerAlpha | Sequence::UpperAlpha => Some(u32::from(
            text.to_ascii_lowercase().as_bytes()[0] - b'a' + 1,
        )),
        Sequence::LowerRoman | Sequence::UpperRoman => roman_value(&text.to_ascii_uppercase()),
    }
}

const ROMAN: [(u32, &str); 13] = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
];

fn to_roman(mut n: u32) -> String {
    let mut out = String::new();
    for (value, digits) in ROMAN {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

/// docutils accepts only canonical Roman numerals from 1 to 4999.
pub(super) fn roman_value(text: &str) -> Option<u32> {
    let (mut n, mut rest) = (0, text);
    for (value, digits) in ROMAN {
        while let Some(r) = rest.strip_prefix(digits) {
            n += value;
            rest = r;
        }
    }
    (rest.is_empty() && (1..5000).contains(&n) && to_roman(n) == text).then_some(n)
}

fn make_enumerator(ordinal: u32, sequence: Sequence, format: Format) -> Option<(String, String)> {
    let label = match sequence {
        Sequence::Auto => "#".to_string(),
        Sequence::Arabic => ordinal.to_string(),
        Sequence::LowerAlpha | Sequence::UpperAlpha => {
            if ordinal > 26 {
                return None;
            }
            let c = char::from(b'a' + u8::try_from(ordinal - 1).ok()?);
            if sequence == Sequence::UpperAlpha {
                c.to_ascii_uppercase().to_string()
            } else {
                c.to_string()
            }
        }
        Sequence::LowerRoman => to_roman(ordinal).to_ascii_lowercase(),
        Sequence::UpperRoman => to_roman(ordinal),
    };
    let wrap = |l: &str| match format {
        Format::Parens => format!("({l}) "),
        Format::RParen => format!("{l}) "),
        Format::Period => format!("{l}. "),
    };
    Some((wrap(&label), wrap("#")))
}

/// docutils' `is_enumerated_list_item`: the next line is blank, indented, or the next item.
pub(super) fn is_item(
    lines: &[Line],
    i: usize,
    ordinal: u32,
    sequence: Sequence,
    format: Format,
) -> bool {
    let Some(next) = lines.get(i + 1) else {
        return true;
    };
    if next.is_blank() || next.is_indented() {
        return true;
    }
    make_enumerator(ordinal + 1, sequence, format).is_some_and(|(next_enum, auto)| {
        next.text.starts_with(&next_enum) || next.text.starts_with(&auto)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerators_and_roman_numerals() {
        assert!(enumerator("1. a").is_some());
        assert!(enumerator("(ii) a").is_some());
        assert!(enumerator("#) a").is_some());
        assert!(enumerator("1.a").is_none());
        assert_eq!(roman_value("IV"), Some(4));
        assert_eq!(roman_value("IIII"), None);
        assert_eq!(sequence_of("i", None), Sequence::LowerRoman);
        assert_eq!(
            sequence_of("v", Some(Sequence::LowerAlpha)),
            Sequence::LowerAlpha
        );
    }
}
