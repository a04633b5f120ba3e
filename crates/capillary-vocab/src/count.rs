//! How a count is written for people: `1234567` → "1,234,567".
//!
//! A trail of a million events is read as "1,000,000 of 1,000,000 events", not as seven
//! zeros to count. Every count the explorer shows (the fetch line, the match count, events
//! loaded, the histogram's bars, facet chips, a load's progress) is written by [`Grouped`], so
//! the same number reads the same everywhere.
//!
//! The grouping is in threes with commas, as the rest of the page's English is; Indian
//! grouping (10,00,000) would follow the reader's locale, which no pure crate knows.

use core::fmt;

/// A count, displayed with its thousands grouped: `Grouped(1234567)` shows "1,234,567".
/// Displaying it allocates nothing, so it goes straight into a `format!`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Grouped(pub u64);

impl From<usize> for Grouped {
    fn from(n: usize) -> Grouped {
        // Lossless on every target the explorer builds for (32- and 64-bit).
        Grouped(n as u64)
    }
}

impl From<u32> for Grouped {
    fn from(n: u32) -> Grouped {
        Grouped(u64::from(n))
    }
}

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // u64::MAX has 20 digits: 6 commas between them.
        let mut buf = [0u8; 26];
        let mut at = buf.len();
        let mut rest = self.0;
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                at -= 1;
                buf[at] = b',';
            }
            at -= 1;
            buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            digits += 1;
            if rest == 0 {
                break;
            }
        }
        // ASCII digits and commas only: always UTF-8. `pad` keeps width and alignment.
        f.pad(core::str::from_utf8(&buf[at..]).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::Grouped;
    use proptest::prelude::*;

    #[test]
    fn threes_are_grouped_with_commas() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1_000, "1,000"),
            (12_345, "12,345"),
            (104_597, "104,597"),
            (1_000_000, "1,000,000"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(Grouped(n).to_string(), text);
        }
        assert_eq!(format!("[{:>7}]", Grouped(1_000)), "[  1,000]");
        assert_eq!(Grouped::from(5_000usize), Grouped(5_000));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0xc0_1175),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn without_its_commas_a_count_reads_back_as_itself(n in any::<u64>()) {
            let text = Grouped(n).to_string();
            prop_assert_eq!(text.replace(',', "").parse::<u64>().ok(), Some(n));
            // Every group after the first has exactly three digits.
            let mut groups = text.split(',');
            let first = groups.next().unwrap_or_default();
            prop_assert!((1..=3).contains(&first.len()));
            prop_assert!(groups.all(|g| g.len() == 3));
        }
    }
}
