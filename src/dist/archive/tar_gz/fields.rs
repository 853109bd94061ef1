//! The fields of a tar header and the records of a pax header, parsed as CPython's
//! `tarfile` parses them (`nti`, `nts`, `calc_chksums`, `_proc_pax`'s record loop), down to
//! what Python's `int()` takes: a field Python reads, we read alike; one it refuses (its
//! `InvalidHeaderError`), we refuse alike.

use super::header::HeaderError;

/// Pax records, in insertion order (a Python `dict`).
pub(super) type Records = Vec<(Vec<u8>, Vec<u8>)>;

/// `nts`: up to the first NUL.
pub(super) fn nts(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or_default()
}

/// Bytes as text: UTF-8, anything else replaced (`tarfile` keeps it as surrogates).
pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Python's `str.isspace()`: Unicode's white space and the four separators `\x1c`–`\x1f`.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `int(text, base)` for ASCII: spaces around, a sign, a `0o` prefix in base 8,
/// digits with single underscores between them.
pub(super) fn py_int(text: &[u8], base: u32) -> Option<i128> {
    let text = std::str::from_utf8(text).ok()?.trim_matches(is_py_space);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = if base == 8 {
        match digits.get(..2) {
            Some("0o" | "0O") => digits[2..].strip_prefix('_').unwrap_or(&digits[2..]),
            _ => digits,
        }
    } else {
        digits
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    if digits.contains("__") {
        return None;
    }
    let mut n: i128 = 0;
    for c in digits.chars().filter(|&c| c != '_') {
        n = n
            .checked_mul(i128::from(base))?
            .checked_add(i128::from(c.to_digit(base)?))?;
    }
    Some(if negative { -n } else { n })
}

/// `nti`: a header number, octal text or base-256.
pub(super) fn nti(field: &[u8]) -> Result<i128, HeaderError> {
    if matches!(field[0], 0o200 | 0o377) {
        let mut n: i128 = 0;
        for &b in &field[1..] {
            n = (n << 8) | i128::from(b);
        }
        if field[0] == 0o377 {
            n -= 1i128 << (8 * (field.len() - 1));
        }
        return Ok(n);
    }
    // The usual field: octal digits, then spaces or a NUL.
    let digits = field
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    let rest = nts(&field[digits..]);
    if digits > 0 && rest.iter().all(|&b| b == b' ') {
        let mut n: i128 = 0;
        for &d in &field[..digits] {
            n = n * 8 + i128::from(d - b'0');
        }
        return Ok(n);
    }
    let text = nts(field);
    if !text.is_ascii() {
        return Err(HeaderError::Invalid("invalid header"));
    }
    let trimmed = std::str::from_utf8(text)
        .unwrap_or_default()
        .trim_matches(is_py_space);
    if trimmed.is_empty() {
        return Ok(0);
    }
    py_int(trimmed.as_bytes(), 8).ok_or(HeaderError::Invalid("invalid header"))
}

/// `calc_chksums`: the unsigned and the signed sum, the checksum field read as spaces.
pub(super) fn checksums(buf: &[u8]) -> [i128; 2] {
    // Eight bytes at a time (this runs for every header, and a debug build is slow per
    // byte): byte sums in 16-bit lanes, bytes ≥ 128 counted in 8-bit lanes.
    const LOW: u64 = 0x00ff_00ff_00ff_00ff;
    const TOP_BITS: u64 = 0x0101_0101_0101_0101;
    let (mut lanes, mut high_lanes) = (0u64, 0u64);
    for word in buf.chunks_exact(8) {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        lanes += (w & LOW) + ((w >> 8) & LOW);
        high_lanes += (w >> 7) & TOP_BITS;
    }
    let sum16 = |x: u64| (0..4).map(|i| (x >> (16 * i)) & 0xffff).sum::<u64>();
    let sum8 = |x: u64| (0..8).map(|i| (x >> (8 * i)) & 0xff).sum::<u64>();
    let (mut sum, mut high) = (sum16(lanes), sum8(high_lanes));
    // The checksum field counts as eight spaces (the 256 below), not as its bytes.
    for &b in &buf[148..156] {
        sum -= u64::from(b);
        high -= u64::from(b >> 7);
    }
    let unsigned = 256 + i128::from(sum);
    [unsigned, unsigned - 256 * i128::from(high)]
}

pub(super) fn get<'a>(records: &'a Records, key: &[u8]) -> Option<&'a [u8]> {
    records
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_slice())
}

pub(super) fn set(records: &mut Records, key: Vec<u8>, value: Vec<u8>) {
    match records.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => records.push((key, value)),
    }
}

/// The records of a pax header (`_proc_pax`'s loop), in order.
///
/// `cut`: the header's data goes on past `buf` (we hold a bounded prefix of it); a record
/// that runs past the prefix is then our limit, not a bad header.
pub(super) fn pax_records(buf: &[u8], cut: bool) -> Result<Records, HeaderError> {
    let bad = |beyond: bool| {
        if beyond && cut {
            HeaderError::TooLarge("pax header record beyond the first 1048576 bytes")
        } else {
            HeaderError::Invalid("invalid header")
        }
    };
    let mut records = Vec::new();
    let mut pos = 0;
    while pos < buf.len() && buf[pos] != 0 {
        let digits = buf[pos..]
            .iter()
            .take(21)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 20 || buf.get(pos + digits) != Some(&b' ') {
            return Err(bad(digits <= 20 && pos + digits == buf.len()));
        }
        let length: usize = std::str::from_utf8(&buf[pos..pos + digits])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(bad(false))?;
        if length < 5 {
            return Err(bad(false));
        }
        if pos.checked_add(length).is_none_or(|end| end > buf.len()) {
            return Err(bad(true));
        }
        let last = pos + length - 1;
        let start = (pos + digits + 1).min(last);
        let record = &buf[start..last];
        let Some(eq) = record.iter().position(|&b| b == b'=') else {
            return Err(bad(false));
        };
        if eq == 0 || buf[last] != b'\n' {
            return Err(bad(false));
        }
        records.push((record[..eq].to_vec(), record[eq + 1..].to_vec()));
        pos += length;
    }
    if cut && pos >= buf.len() {
        return Err(bad(true));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_python_reads_them() {
        assert_eq!(nti(b"0000644\0").unwrap(), 0o644);
        assert_eq!(nti(b"  17 \0\0\0").unwrap(), 0o17);
        assert_eq!(nti(b"\0\0\0\0\0\0\0\0").unwrap(), 0);
        assert_eq!(nti(b"0o1_7\0\0\0").unwrap(), 0o17);
        assert_eq!(nti(b"0000644 ").unwrap(), 0o644);
        assert_eq!(nti(b"17\t\0\0\0\0\0").unwrap(), 0o17);
        assert_eq!(nti(b"\x1e0000000057\0").unwrap(), 0o57);
        assert!(nti(b"0000648\0").is_err());
        assert!(nti(b"17 x\0\0\0\0").is_err());
        assert!(nti(b"9\0\0\0\0\0\0\0").is_err());
        assert!(nti(b"1__7\0\0\0\0").is_err());
        assert_eq!(nti(&[0o200, 0, 0, 0, 0, 0, 1, 0]).unwrap(), 256);
        assert_eq!(nti(&[0o377; 8]).unwrap(), -1);
        assert_eq!(py_int(b" -1_000 ", 10), Some(-1000));
        assert_eq!(py_int(b"", 10), None);
    }

    #[test]
    fn checksums_are_the_unsigned_and_signed_sums() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50 {
            let buf: Vec<u8> = (0..512)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let fields = buf[..148].iter().chain(&buf[156..]);
            let unsigned = 256 + fields.clone().map(|&b| i128::from(b)).sum::<i128>();
            let signed = 256 + fields.map(|&b| i128::from(b as i8)).sum::<i128>();
            assert_eq!(checksums(&buf), [unsigned, signed]);
        }
        assert_eq!(checksums(&[0xff; 512]), [256 + 504 * 255, 256 - 504]);
    }

    #[test]
    fn a_cut_header_is_our_limit_only_where_a_record_runs_past_it() {
        // The records end (a NUL) inside what we hold: Python reads the same.
        assert_eq!(pax_records(b"12 path=a/b\n\0\0", true).unwrap().len(), 1);
        // A bad record inside it is a bad header for Python too.
        assert!(matches!(
            pax_records(b"12 path a/b\n\0", true),
            Err(HeaderError::Invalid(_))
        ));
        for beyond in [
            &b"12 path=a/b\n30 path=x"[..],
            b"12 path=a/b\n",
            b"12 path=a/b\n12",
        ] {
            assert!(
                matches!(pax_records(beyond, true), Err(HeaderError::TooLarge(_))),
                "{beyond:?}"
            );
            assert!(matches!(
                pax_records(beyond, false),
                Err(HeaderError::Invalid(_)) | Ok(_)
            ));
        }
    }

    #[test]
    fn pax_records_are_framed_strictly() {
        let records = pax_records(b"12 path=a/b\n21 GNU.sparse.size=9\n\0\0", false).unwrap();
        assert_eq!(records[0], (b"path".to_vec(), b"a/b".to_vec()));
        assert_eq!(records[1].0, b"GNU.sparse.size");
        for bad in [
            &b"13 path=a/b\n"[..],
            b"12 path a/b\n",
            b"4 a=\n",
            b"x path=a\n",
        ] {
            assert!(
                pax_records(bad, false).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
