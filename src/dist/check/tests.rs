use super::*;

/// Warehouse `_validate_filename`: ordinals 0–31 and 127 are refused, the rest is not.
#[test]
fn control_characters_in_a_filename_are_refused() {
    let codes = |file: &str| {
        let mut out = Vec::new();
        check_filename_characters(
            file,
            &mut Findings {
                file,
                out: &mut out,
            },
        );
        out.len()
    };
    for bad in ["a\u{0}.whl", "a\u{1f}.whl", "a\u{7f}.whl", "a\n.whl"] {
        assert_eq!(codes(bad), 1, "{bad:?}");
    }
    for fine in ["a b.whl", "a~.whl", "ä\u{80}.whl"] {
        assert_eq!(codes(fine), 0, "{fine:?}");
    }
}
