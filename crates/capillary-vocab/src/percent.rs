//! Percent-encoding of URL query components, both ways.
//!
//! Every query string the explorer writes (API requests, its own links) encodes keys and values
//! with [`encode_component`]; its own links are read back with [`decode_component`], which
//! reads as a browser's `URLSearchParams` does, so a link pasted from anywhere reads the same
//! in the app and in tests. Done by hand rather than with a URL crate: these two functions are
//! all the explorer needs, and the crate with its IDNA tables would outweigh them in the
//! WASM bundle many times.

/// Percent-encodes a query key or value: everything but RFC 3986's unreserved characters
/// (`A–Z a–z 0–9 - . _ ~`) becomes `%XX` (uppercase hex, per UTF-8 byte), so `+`, `&`, `=`,
/// `#`, `%`, spaces and non-ASCII text survive any server's decoding. A space becomes `%20`,
/// which every server reads as a space (unlike `+`, which only form decoders do).
pub fn encode_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// Decodes a query key or value as `URLSearchParams` does: `+` is a space, `%XX` (either
/// case) is the byte `XX`, a `%` not followed by two hex digits stays as it is, and bytes that
/// do not form UTF-8 become U+FFFD. Never fails: links are untrusted input.
///
/// `decode_component(&encode_component(s)) == s` for every string.
pub fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: &u8) -> Option<u8> {
    char::from(*c).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Known encodings, each read back: unreserved characters stay, URL syntax, `%` and every
    /// byte of non-ASCII text (Devanagari, an emoji with a joiner) are escaped.
    #[test]
    fn known_encodings_both_ways() {
        for (text, encoded) in [
            ("AZaz09-._~", "AZaz09-._~"),
            ("a b+c&d=e#f/g?h%", "a%20b%2Bc%26d%3De%23f%2Fg%3Fh%25"),
            ("é", "%C3%A9"),
            ("राम", "%E0%A4%B0%E0%A4%BE%E0%A4%AE"),
            ("👩‍💻", "%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB"),
            ("", ""),
        ] {
            assert_eq!(encode_component(text), encoded, "{text:?}");
            assert_eq!(decode_component(encoded), text, "{encoded:?}");
        }
    }

    /// What a browser's `URLSearchParams` gives for text other tools wrote: `+` and lowercase
    /// hex read, broken escapes kept, invalid UTF-8 replaced.
    #[test]
    fn decoding_reads_as_a_browser_does() {
        for (written, read) in [
            ("%E0%A4%A8%E0%A4%BE%E0%A4%AE%20%22", "नाम \""),
            ("1+2", "1 2"),
            ("%2b%2B", "++"),
            ("%c3%a9", "é"),
            ("%", "%"),
            ("%4", "%4"),
            ("%zz", "%zz"),
            ("%%41", "%A"),
            ("a%", "a%"),
            ("%FF", "\u{FFFD}"),
            ("%C3", "\u{FFFD}"),
            ("%E0%A4", "\u{FFFD}"),
        ] {
            assert_eq!(decode_component(written), read, "{written:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 2000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x9e_2c47),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any string, Devanagari, emoji with joiners and URL syntax included, survives
        /// encoding and decoding, and is encoded to unreserved ASCII and `%XX` only.
        #[test]
        fn any_string_round_trips(
            s in proptest::prop_oneof![
                ".{0,40}",
                "[a-z +&=?#%~.\\-]{0,20}",
                proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::strategy::Just("राम"),
                        proptest::strategy::Just("தமிழ்"),
                        proptest::strategy::Just("👩‍💻"),
                        proptest::strategy::Just("e\u{301}"),
                        proptest::strategy::Just("%2B+"),
                    ],
                    0..6,
                ).prop_map(|parts| parts.concat()),
            ]
        ) {
            let encoded = encode_component(&s);
            proptest::prop_assert!(encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            proptest::prop_assert_eq!(decode_component(&encoded), s);
        }

        /// Any text decodes without panicking.
        #[test]
        fn any_text_decodes(s in ".{0,40}|[%0-9a-fA-F+]{0,12}") {
            let _ = decode_component(&s);
        }
    }
}
