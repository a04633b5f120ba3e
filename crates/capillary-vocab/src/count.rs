//! How a count is written for people: `1234567` → "1,234,567", or "12,34,567" for a reader
//! whose locale groups digits the Indian way.
//!
//! A trail of a million events is read as "1,000,000 of 1,000,000 events", not as seven
//! zeros to count. Every count the explorer shows (the fetch line, the match count, events
//! loaded, the histogram's bars, facet chips, a load's progress) is written by [`Grouped`], so
//! the same number reads the same everywhere.
//!
//! The groups follow the reader: in threes ("10,000,000"), or, where the browser's locale
//! writes numbers so (en-IN, hi, ta, …), the last three digits and then twos ("1,00,00,000", a
//! crore). The separator stays a comma, as the page's English is. No pure crate knows the
//! reader's locale: the page and its worker each ask the browser once at start-up
//! ([`Grouping::of_sample`] reads the answer) and set it with [`Grouping::set_for_reader`].

use core::fmt;
use core::sync::atomic::{AtomicU8, Ordering};

/// A count, displayed with its digits grouped for the reader: `Grouped(1234567)` shows
/// "1,234,567" (or "12,34,567", see [`Grouping`]). Displaying it allocates nothing, so it goes
/// straight into a `format!`.
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

impl Grouped {
    /// This count grouped `grouping`'s way, whatever the reader's is.
    pub fn grouped_as(self, grouping: Grouping) -> impl fmt::Display {
        GroupedAs(self.0, grouping)
    }
}

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        GroupedAs(self.0, Grouping::for_reader()).fmt(f)
    }
}

/// How digits are grouped: the only difference between readers the explorer's counts follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Grouping {
    /// In threes: 10,000,000.
    #[default]
    Thousands,
    /// The last three, then twos (lakh and crore): 1,00,00,000.
    Indian,
}

/// The characters locales separate digit groups with (CLDR: comma, full stop, apostrophe,
/// spaces, Arabic thousands separator, right single quotation mark).
const GROUP_SEPARATORS: [char; 8] = [
    ',', '.', '\'', ' ', '\u{a0}', '\u{202f}', '\u{66c}', '\u{2019}',
];

/// The reader's grouping, once the page or worker has set it ([`Grouping::Thousands`] until
/// then). A module runs one thread, so this is set once before anything is shown.
static READER: AtomicU8 = AtomicU8::new(0);

impl Grouping {
    /// The grouping a locale's number format shows, from how it writes 1234567890
    /// (`Intl.NumberFormat().format(1234567890)`: "1,234,567,890", "1,23,45,67,890",
    /// "१,२३,४५,६७,८९०", "1.234.567.890", "1 234 567 890"). Digits of any script count: every
    /// character but the group separators CLDR's locales use (no Unicode tables in the
    /// module for this). A locale that does not group, a separator not known here, or text
    /// that is no such number gives [`Grouping::Thousands`].
    pub fn of_sample(sample: &str) -> Grouping {
        let groups: Vec<usize> = sample
            .trim()
            .split(|c| GROUP_SEPARATORS.contains(&c))
            .filter(|group| !group.is_empty())
            .map(|group| group.chars().count())
            .collect();
        let groups = groups.as_slice();
        // Ten digits in all; after the first group, twos and then a last three.
        match groups {
            [first, middle @ .., 3]
                if groups.iter().sum::<usize>() == 10
                    && (1..=2).contains(first)
                    && !middle.is_empty()
                    && middle.iter().all(|&g| g == 2) =>
            {
                Grouping::Indian
            }
            _ => Grouping::Thousands,
        }
    }

    /// The grouping [`Grouped`] shows counts with in this module (page or worker).
    pub fn for_reader() -> Grouping {
        match READER.load(Ordering::Relaxed) {
            1 => Grouping::Indian,
            _ => Grouping::Thousands,
        }
    }

    /// Makes this the reader's grouping for every [`Grouped`] shown from now on.
    pub fn set_for_reader(self) {
        READER.store(self as u8, Ordering::Relaxed);
    }

    /// How many digits group `index` holds, counting groups from the right (the 0th is the
    /// last three digits).
    fn group_size(self, index: usize) -> usize {
        match (self, index) {
            (Grouping::Thousands, _) | (Grouping::Indian, 0) => 3,
            (Grouping::Indian, _) => 2,
        }
    }
}

/// A count written with `Grouping`'s groups.
struct GroupedAs(u64, Grouping);

impl fmt::Display for GroupedAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let GroupedAs(n, grouping) = *self;
        // u64::MAX has 20 digits: at most 9 commas between them (Indian groups).
        let mut buf = [0u8; 29];
        let mut at = buf.len();
        let mut rest = n;
        let mut in_group = 0;
        let mut group = 0;
        loop {
            if in_group == grouping.group_size(group) {
                at -= 1;
                buf[at] = b',';
                in_group = 0;
                group += 1;
            }
            at -= 1;
            buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            in_group += 1;
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
    use super::{Grouped, Grouping};
    use proptest::prelude::*;

    #[test]
    fn indian_grouping_is_three_then_twos() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (99_999, "99,999"),
            (100_000, "1,00,000"), // a lakh
            (1_044_880, "10,44,880"),
            (10_000_000, "1,00,00,000"), // a crore
            (u64::MAX, "1,84,46,74,40,73,70,95,51,615"),
        ] {
            assert_eq!(Grouped(n).grouped_as(Grouping::Indian).to_string(), text);
        }
        assert_eq!(
            format!("[{:>9}]", Grouped(100_000).grouped_as(Grouping::Indian)),
            "[ 1,00,000]"
        );
    }

    #[test]
    fn the_grouping_is_read_from_how_the_locale_writes_a_number() {
        for (sample, grouping) in [
            ("1,234,567,890", Grouping::Thousands), // en-US
            ("1,23,45,67,890", Grouping::Indian),   // en-IN, hi
            ("१,२३,४५,६७,८९०", Grouping::Indian),   // mr (Devanagari digits)
            ("১,২৩,৪৫,৬৭,৮৯০", Grouping::Indian),   // bn
            ("1.234.567.890", Grouping::Thousands), // de
            ("1\u{202f}234\u{202f}567\u{202f}890", Grouping::Thousands), // fr
            ("1234567890", Grouping::Thousands),    // no grouping
            ("", Grouping::Thousands),
            ("NaN", Grouping::Thousands),
            ("12,34,567", Grouping::Thousands), // not the sample number
            ("1,2,3,4,5,6,7,8,9,0,1", Grouping::Thousands),
            ("١٬٢٣٤٬٥٦٧٬٨٩٠", Grouping::Thousands), // ar (Arabic-Indic digits)
            ("1’234’567’890", Grouping::Thousands), // de-CH
        ] {
            assert_eq!(Grouping::of_sample(sample), grouping, "{sample:?}");
        }
    }

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
            let text = Grouped(n).grouped_as(Grouping::Thousands).to_string();
            prop_assert_eq!(text.replace(',', "").parse::<u64>().ok(), Some(n));
            // Every group after the first has exactly three digits.
            let mut groups = text.split(',');
            let first = groups.next().unwrap_or_default();
            prop_assert!((1..=3).contains(&first.len()));
            prop_assert!(groups.all(|g| g.len() == 3));
        }

        #[test]
        fn indian_groups_read_back_as_the_count(n in any::<u64>()) {
            let text = Grouped(n).grouped_as(Grouping::Indian).to_string();
            prop_assert_eq!(text.replace(',', "").parse::<u64>().ok(), Some(n));
            // The last group has three digits, the others two (the first one or two).
            let groups: Vec<&str> = text.split(',').collect();
            let (last, rest) = groups.split_last().unwrap();
            if !rest.is_empty() {
                prop_assert_eq!(last.len(), 3);
                prop_assert!((1..=2).contains(&rest[0].len()));
                prop_assert!(rest[1..].iter().all(|g| g.len() == 2));
            }
        }
    }
}
