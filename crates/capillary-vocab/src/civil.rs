//! Proleptic Gregorian calendar arithmetic: day counts since 1970-01-01 ↔ `(year, month, day)`.
//!
//! The explorer reads and writes four time spellings of the audit API and HTTP dates, all
//! without a calendar crate (it would weigh more in the WASM bundle than every formatter
//! together); these few functions are all of the calendar they share.
//!
//! Every function is total over `i64`: they compute in `i128` (or need no arithmetic that can
//! overflow), so no input, however far outside any real date, overflows or panics. That
//! matters because the inputs come from untrusted responses. Callers that need a real date
//! check the range themselves (see [`days_in_month`]).

/// Whether `year` (proleptic Gregorian, astronomical numbering: year 0 is 1 BC) has a 29 February.
pub const fn is_leap_year(year: i64) -> bool {
    // `%` by a positive constant never overflows, and a zero remainder is sign-independent.
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1–12) of `year`; 0 for a month outside 1–12, so `day <= days_in_month(y, m)`
/// (with `day >= 1`) is the whole validity check of a date.
pub const fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
///
/// Total: computed in `i128`, so no input overflows; a month or day outside its range counts
/// on from the nearest valid one, as the algorithm does (day 0 is the last day of the month
/// before), and a result beyond `i64` saturates. Callers reading text pass checked dates.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let (y, m, d) = (i128::from(year), i128::from(month), i128::from(day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9).rem_euclid(12);
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Calendar date `(year, month, day)` of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`); month 1–12, day 1–31.
///
/// Total: computed in `i128`, so any `i64` day count gives its proleptic date (years beyond
/// 9999 or before 1 included) without overflow.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i128::from(m <= 2);
    // |y| <= |days| / 365 + 2 fits i64; month and day are small.
    (y as i64, m as i64, d as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(days_from_civil(10_000, 1, 1), 2_932_897);
        assert_eq!(civil_from_days(days_from_civil(0, 2, 29)), (0, 2, 29));
        // A day past the month counts on, day 0 is the day before the 1st.
        assert_eq!(days_from_civil(2023, 2, 29), days_from_civil(2023, 3, 1));
        assert_eq!(days_from_civil(2023, 3, 0), days_from_civil(2023, 2, 28));
    }

    #[test]
    fn leap_years_and_month_lengths() {
        for (y, leap) in [
            (2024, true),
            (2023, false),
            (2000, true),
            (1900, false),
            (0, true),
            (-4, true),
            (-100, false),
            (-400, true),
            (i64::MIN, true),
            (i64::MAX, false),
        ] {
            assert_eq!(is_leap_year(y), leap, "{y}");
            assert_eq!(days_in_month(y, 2), if leap { 29 } else { 28 }, "{y}");
        }
        let lengths: Vec<i64> = (1..=12).map(|m| days_in_month(2023, m)).collect();
        assert_eq!(lengths, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
        for m in [0, 13, -1, i64::MIN, i64::MAX] {
            assert_eq!(days_in_month(2024, m), 0, "{m}");
        }
    }

    /// Day by day over a wide span: every day count is a valid date, the next day is the next
    /// date, and the date reads back as the count.
    #[test]
    fn every_day_round_trips_over_a_wide_span() {
        let start = days_from_civil(-2_000, 1, 1);
        let end = days_from_civil(12_000, 12, 31);
        let mut prev = civil_from_days(start - 1);
        for days in start..=end {
            let (y, m, d) = civil_from_days(days);
            assert!(
                (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m),
                "{y}-{m}-{d}"
            );
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            let (py, pm, pd) = prev;
            let next = if pd < days_in_month(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, d), next, "after {prev:?}");
            prev = (y, m, d);
        }
    }

    #[test]
    fn extreme_inputs_neither_overflow_nor_panic() {
        let extremes = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        for a in extremes {
            let (y, m, d) = civil_from_days(a);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d), "{a}");
            assert_eq!(days_from_civil(y, m, d), a, "{a}");
            for b in extremes {
                for c in extremes {
                    let _ = days_from_civil(a, b, c);
                }
                let _ = days_in_month(a, b);
            }
            let _ = is_leap_year(a);
        }
        assert_eq!(days_from_civil(i64::MAX, 12, 31), i64::MAX, "saturates");
        assert_eq!(days_from_civil(i64::MIN, 1, 1), i64::MIN, "saturates");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 4000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0xc1_5e11),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any `i64` day count is a valid date that reads back as it; any `i64` triple gives a
        /// day count without panicking.
        #[test]
        fn any_day_count_round_trips(
            days in proptest::prelude::any::<i64>(),
            y in proptest::prelude::any::<i64>(),
            m in proptest::prelude::any::<i64>(),
            d in proptest::prelude::any::<i64>(),
        ) {
            let (cy, cm, cd) = civil_from_days(days);
            proptest::prop_assert!((1..=12).contains(&cm) && cd >= 1 && cd <= days_in_month(cy, cm));
            proptest::prop_assert_eq!(days_from_civil(cy, cm, cd), days);
            let _ = (days_from_civil(y, m, d), days_in_month(y, m), is_leap_year(y));
        }
    }
}
