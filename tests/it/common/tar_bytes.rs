//! Tar archives and gzip streams written byte by byte: headers with any type and fields,
//! pax records, stored-block gzip members with a break at a known byte. The `tar` and
//! `flate2` writers cannot make the archives PyPI refuses (sparse members, corrupt deflate
//! data), so the sdist tests build them here.

pub const BLOCK: usize = 512;

/// Pax records, key and value.
pub type Records<'a> = &'a [(&'a str, &'a str)];

/// A ustar header for `name`, of type `kind`, announcing `size` bytes.
pub fn header(name: &str, kind: u8, size: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"14000000000\0");
    h[156] = kind;
    h[257..265].copy_from_slice(b"ustar\x0000");
    h
}

/// Fills in the checksum, as every tar writer does last.
pub fn sealed(mut h: [u8; BLOCK]) -> [u8; BLOCK] {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// Appends `data` padded to whole blocks.
pub fn padded(tar: &mut Vec<u8>, data: &[u8]) {
    tar.extend_from_slice(data);
    tar.resize(tar.len().next_multiple_of(BLOCK), 0);
}

pub fn file(tar: &mut Vec<u8>, name: &str, data: &[u8]) {
    tar.extend_from_slice(&sealed(header(name, b'0', data.len() as u64)));
    padded(tar, data);
}

/// A pax extended header with `records`, as `<len> key=value\n` lines.
pub fn pax(tar: &mut Vec<u8>, records: &[(&str, &str)]) {
    let mut body = Vec::new();
    for (k, v) in records {
        let bare = k.len() + v.len() + 3;
        let mut len = bare + 1;
        while len != bare + len.to_string().len() {
            len = bare + len.to_string().len();
        }
        body.extend_from_slice(format!("{len} {k}={v}\n").as_bytes());
    }
    tar.extend_from_slice(&sealed(header("././@PaxHeader", b'x', body.len() as u64)));
    padded(tar, &body);
}

pub fn end(tar: &mut Vec<u8>) {
    tar.extend_from_slice(&[0; 2 * BLOCK]);
}

pub fn gz(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A gzip member whose deflate data is `stored` in stored blocks, then (if `broken`) a block
/// of the reserved type 3, which every inflater refuses at a known byte.
pub fn gz_stored(stored: &[u8], broken: bool) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = stored.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let last = !broken && i + 1 == chunks.len();
        out.push(u8::from(last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    if broken {
        out.push(0b110);
    } else {
        let mut crc = flate2::Crc::new();
        crc.update(stored);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
    }
    out
}

/// Bytes that do not compress (xorshift).
pub fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
