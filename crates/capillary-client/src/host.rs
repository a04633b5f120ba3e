//! Host parsing as the URL standard does it, for the hosts this crate accepts: so an
//! [`crate::Origin`] serialises (and compares) exactly as the browser's `URL.origin` does.
//!
//! Only the parts of the standard that change an origin are here: ASCII lowercasing, IPv4 in
//! its decimal, octal, hexadecimal and shortened spellings (`127.1`, `0x7f.0.0.1`,
//! `2130706433` are all `127.0.0.1`), IPv6 compression, and a trailing dot kept on a domain
//! (`host.` is another origin than `host`). Domains are limited to ASCII letters, digits, `-`
//! and `.`: the explorer does not carry IDNA tables (see [`crate::endpoint`]), so a non-ASCII
//! host is refused rather than guessed at.

use std::fmt::Write as _;

/// The host of an authority, serialised as the URL standard does; `None` when a browser would
/// refuse it or this crate does not accept it.
pub(crate) fn parse_host(input: &str) -> Option<String> {
    if let Some(inside) = input.strip_prefix('[') {
        let address = parse_ipv6(inside.strip_suffix(']')?)?;
        return Some(format!("[{}]", serialize_ipv6(&address)));
    }
    let host = input.to_ascii_lowercase();
    if ends_in_a_number(&host) {
        let address = parse_ipv4(&host)?;
        return Some(std::net::Ipv4Addr::from(address).to_string());
    }
    let valid = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with('-')
        && !host.contains("..")
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
    valid.then_some(host)
}

/// The standard's "ends in a number" check: such a host is parsed as IPv4 (and refused if it is
/// not one, as `foo.123` is).
fn ends_in_a_number(host: &str) -> bool {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") {
        if parts.len() == 1 {
            return false;
        }
        parts.pop();
    }
    let last = parts.last().copied().unwrap_or_default();
    (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
        || parse_ipv4_number(last).is_some()
}

/// One dot-separated part: decimal, `0x` hexadecimal or `0`-prefixed octal.
fn parse_ipv4_number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or(part.strip_prefix("0X")) {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Longer parts overflow, or are zero-padded spellings nobody types: refused.
    if digits.len() > 12 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The standard's IPv4 parser: up to four parts, the last filling the remaining bytes.
fn parse_ipv4(host: &str) -> Option<u32> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") && parts.len() > 1 {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts
        .iter()
        .map(|p| parse_ipv4_number(p))
        .collect::<Option<_>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|n| *n > 255) || *last >= 256u64.pow(5 - numbers.len() as u32) {
        return None;
    }
    let mut address = *last;
    for (i, n) in leading.iter().enumerate() {
        address += n << (8 * (3 - i));
    }
    u32::try_from(address).ok()
}

/// The standard's IPv6 parser (`::` compression, an IPv4 tail).
fn parse_ipv6(input: &str) -> Option<[u16; 8]> {
    let b = input.as_bytes();
    let mut address = [0u16; 8];
    let mut piece = 0usize;
    let mut compress = None;
    let mut i = 0;
    if b.first() == Some(&b':') {
        if b.get(1) != Some(&b':') {
            return None;
        }
        i = 2;
        piece = 1;
        compress = Some(1);
    }
    while i < b.len() {
        if piece == 8 {
            return None;
        }
        if b[i] == b':' {
            if compress.is_some() {
                return None;
            }
            i += 1;
            piece += 1;
            compress = Some(piece);
            continue;
        }
        let (mut value, mut length) = (0u16, 0);
        while length < 4 && i < b.len() && b[i].is_ascii_hexdigit() {
            value = value * 16 + (b[i] as char).to_digit(16)? as u16;
            i += 1;
            length += 1;
        }
        match b.get(i) {
            Some(b'.') => {
                if length == 0 || piece > 6 {
                    return None;
                }
                i -= length;
                let mut numbers_seen = 0;
                while i < b.len() {
                    if numbers_seen > 0 {
                        if b[i] != b'.' || numbers_seen >= 4 {
                            return None;
                        }
                        i += 1;
                    }
                    if !b.get(i)?.is_ascii_digit() {
                        return None;
                    }
                    let mut ipv4_piece: Option<u16> = None;
                    while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                        let d = u16::from(d - b'0');
                        ipv4_piece = match ipv4_piece {
                            None => Some(d),
                            Some(0) => return None,
                            Some(v) => Some(v * 10 + d),
                        };
                        if ipv4_piece > Some(255) {
                            return None;
                        }
                        i += 1;
                    }
                    address[piece] = address[piece] * 0x100 + ipv4_piece?;
                    numbers_seen += 1;
                    if numbers_seen == 2 || numbers_seen == 4 {
                        piece += 1;
                    }
                }
                if numbers_seen != 4 {
                    return None;
                }
                break;
            }
            Some(b':') => {
                i += 1;
                if i == b.len() {
                    return None;
                }
            }
            Some(_) => return None,
            None => {}
        }
        address[piece] = value;
        piece += 1;
    }
    match compress {
        Some(c) => {
            let mut swaps = piece - c;
            piece = 7;
            while piece != 0 && swaps > 0 {
                address.swap(piece, c + swaps - 1);
                piece -= 1;
                swaps -= 1;
            }
        }
        None if piece != 8 => return None,
        None => {}
    }
    Some(address)
}

/// Lowercase hex pieces, the first longest run of two or more zero pieces as `::`.
fn serialize_ipv6(address: &[u16; 8]) -> String {
    let mut longest: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < 8 {
        let start = i;
        while i < 8 && address[i] == 0 {
            i += 1;
        }
        let run = i - start;
        if run >= 2 && longest.is_none_or(|(_, len)| run > len) {
            longest = Some((start, run));
        }
        i = i.max(start + 1);
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((start, run)) = longest.filter(|(start, _)| *start == i) {
            out.push_str(if start == 0 { "::" } else { ":" });
            i += run;
            continue;
        }
        let _ = write!(out, "{:x}", address[i]);
        if i != 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}
