//! What an audit event is about, in every spelling the API uses for it.
//!
//! The same thing has up to three spellings: the current response's `eventType`
//! (`Communication Channels`, `Identifiers`), the legacy response's `eventType` (`CommChannel`,
//! `Identifier`) and the request's `referenceType` (`CommChannel`). [`EventType`] holds all of
//! them in one table ([`EventType::spelling`]), and [`EventType::from_label`] is the one reader
//! that maps any of them (and the spellings people type) back to the type.

use crate::nouns::read;

/// The kind of one audit event, normalised across both response generations and the
/// `referenceType` request parameter.
///
/// The eleven documented `referenceType` values are [`EventType::ALL`]; [`EventType::Other`]
/// stands for a label outside them (response `eventType`s are an open set: names for
/// extended/custom field and merge events are unconfirmed), and readers keep the raw label
/// beside it so it can still be shown.
///
/// Variants are declared in [`EventType::ALL`]'s order, `Other` last, so `t as usize` indexes
/// [`EventType::EVERY`] (dense per-type tables, bit masks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// Identifier changes: `mobile`, `email`, `externalId`, `cardnumber`.
    Identifier,
    /// Standard profile fields: `FirstName`, `LastName`, `Gender`, `DateOfBirth`, …
    StandardField,
    /// Brand-defined extended fields.
    ExtendedField,
    /// Brand-defined custom fields.
    CustomField,
    /// Customer status and label changes (values carry label ids).
    CustomerStatus,
    /// Card status and label changes (values carry label ids).
    CardStatus,
    /// Opt-in/out per channel and priority (`EMAIL`, `TRANS`, …).
    SubscriptionStatus,
    /// A duplicate account merged into this customer.
    CustomerMerge,
    /// A card's custom fields.
    CardCustomField,
    /// Push tokens and other communication channels per platform (`ios`, `android`).
    CommChannel,
    /// A card's extended fields.
    CardExtendedField,
    /// A label this vocabulary does not know. It is spelled `Other` everywhere, which no API
    /// sends or accepts: a request must not name it (the client refuses it) and readers show
    /// the raw label instead.
    Other,
}

/// Every spelling of one [`EventType`].
struct Spelling {
    /// `referenceType` (and, by that convention, the legacy `eventType`).
    reference: &'static str,
    /// `eventType` in current responses.
    current: &'static str,
    /// Shown in the UI (singular, spaced).
    display: &'static str,
}

/// Labels people and older tools use that are no spelling of the API's: `Subscription` for
/// subscription status, `Merge` for a customer merge. Matched like any spelling.
const SHORTHANDS: [(&str, EventType); 2] = [
    ("Subscription", EventType::SubscriptionStatus),
    ("Merge", EventType::CustomerMerge),
];

impl EventType {
    /// The eleven documented `referenceType` values, in the API documentation's order (what a
    /// request may filter by; [`EventType::Other`] is not among them).
    pub const ALL: [EventType; 11] = [
        EventType::Identifier,
        EventType::StandardField,
        EventType::ExtendedField,
        EventType::CustomField,
        EventType::CustomerStatus,
        EventType::CardStatus,
        EventType::SubscriptionStatus,
        EventType::CustomerMerge,
        EventType::CardCustomField,
        EventType::CommChannel,
        EventType::CardExtendedField,
    ];

    /// [`EventType::ALL`] and then [`EventType::Other`]: every value, at the index of its
    /// discriminant (`EVERY[t as usize] == t`), for tables and facets over stored events.
    pub const EVERY: [EventType; 12] = {
        let mut every = [EventType::Other; 12];
        let mut i = 0;
        while i < EventType::ALL.len() {
            every[i] = EventType::ALL[i];
            i += 1;
        }
        every
    };

    /// The one table of spellings.
    ///
    /// Confirmed by saved responses: current `Identifiers`, `Communication Channels`,
    /// `Customer Status`, `Card Status`, `Subscription Status`, `Standard Fields`; legacy
    /// `Identifier`, `CommChannel`; every `referenceType`. The other current spellings follow
    /// the confirmed pattern (plural `Fields`, spaced words) and are unconfirmed; a different
    /// real spelling still reads as its type through [`EventType::from_label`].
    const fn spelling(self) -> Spelling {
        let (reference, current, display) = match self {
            EventType::Identifier => ("Identifier", "Identifiers", "Identifier"),
            EventType::StandardField => ("StandardField", "Standard Fields", "Standard Field"),
            EventType::ExtendedField => ("ExtendedField", "Extended Fields", "Extended Field"),
            EventType::CustomField => ("CustomField", "Custom Fields", "Custom Field"),
            EventType::CustomerStatus => ("CustomerStatus", "Customer Status", "Customer Status"),
            EventType::CardStatus => ("CardStatus", "Card Status", "Card Status"),
            EventType::SubscriptionStatus => (
                "SubscriptionStatus",
                "Subscription Status",
                "Subscription Status",
            ),
            EventType::CustomerMerge => ("CustomerMerge", "Customer Merge", "Customer Merge"),
            EventType::CardCustomField => {
                ("CardCustomField", "Card Custom Fields", "Card Custom Field")
            }
            EventType::CommChannel => (
                "CommChannel",
                "Communication Channels",
                "Communication Channel",
            ),
            EventType::CardExtendedField => (
                "CardExtendedField",
                "Card Extended Fields",
                "Card Extended Field",
            ),
            EventType::Other => ("Other", "Other", "Other"),
        };
        Spelling {
            reference,
            current,
            display,
        }
    }

    /// The `referenceType` value selecting this type (`CommChannel`, `CustomerStatus`).
    /// [`EventType::Other`] gives `Other`, which [`EventType::parse`] does not read back.
    pub const fn as_str(self) -> &'static str {
        self.spelling().reference
    }

    /// `eventType` as current responses spell it (`Identifiers`, `Communication Channels`).
    pub const fn current_name(self) -> &'static str {
        self.spelling().current
    }

    /// `eventType` as legacy responses spell it (`Identifier`, `CommChannel`): the
    /// `referenceType` spelling. Saved responses confirm it for those two; the others are
    /// assumed to follow it.
    pub const fn legacy_name(self) -> &'static str {
        self.spelling().reference
    }

    /// The spelling of `generation`'s responses.
    pub const fn name_in(self, generation: crate::Generation) -> &'static str {
        match generation {
            crate::Generation::Current => self.current_name(),
            crate::Generation::Legacy => self.legacy_name(),
        }
    }

    /// The display name (`Communication Channel`, `Standard Field`); search matches it too.
    pub const fn name(self) -> &'static str {
        self.spelling().display
    }

    /// True for the status types, whose values carry label ids (a "change" to the same status
    /// with a new label id is a label change).
    pub const fn is_status(self) -> bool {
        matches!(self, EventType::CustomerStatus | EventType::CardStatus)
    }

    /// Reads a `referenceType` value exactly as documented (trimmed, ASCII case ignored):
    /// `CommChannel`, `commchannel`. A request parameter must be one of [`EventType::ALL`], so
    /// response spellings (`Communication Channels`) and `Other` are `None` here; use
    /// [`EventType::from_label`] for labels.
    pub fn parse(s: &str) -> Option<EventType> {
        read(&EventType::ALL, EventType::as_str, s)
    }

    /// Reads any label: either generation's `eventType`, a `referenceType`, the display name
    /// or a shorthand, as people and servers write them. Case, spaces, `_`/`-` and other
    /// punctuation, and a plural `s` are ignored, so `Identifiers`, `Identifier` and
    /// `IDENTIFIER` are one type, `Communication Channels` is `CommChannel`, and
    /// `CARD_CUSTOM_FIELD` is `CardCustomField` (`…Status` keeps its `s`). Anything else is
    /// [`EventType::Other`]. No allocation: the label is compared as it is read.
    pub fn from_label(label: &str) -> EventType {
        let stem = Stem::of(label);
        let spelled = |t: EventType| {
            let s = t.spelling();
            [s.reference, s.current, s.display]
                .into_iter()
                .any(|spelling| stem.matches(&Stem::of(spelling)))
        };
        EventType::ALL
            .into_iter()
            .find(|t| spelled(*t))
            .or_else(|| {
                SHORTHANDS
                    .into_iter()
                    .find(|(s, _)| stem.matches(&Stem::of(s)))
                    .map(|(_, t)| t)
            })
            .unwrap_or(EventType::Other)
    }
}

/// What of a label [`EventType::from_label`] compares: its letters and digits, lowercased,
/// without a trailing plural `s` (one ending in `status` keeps it).
struct Stem<'a> {
    label: &'a str,
    /// How many characters of [`Stem::chars`] make the stem.
    len: usize,
}

impl<'a> Stem<'a> {
    fn chars(label: &'a str) -> impl Iterator<Item = char> + 'a {
        label
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
    }

    fn of(label: &'a str) -> Stem<'a> {
        // The last six characters, to see whether the key ends in `s` but not `status`.
        let mut tail = ['\0'; 6];
        let mut len = 0;
        for c in Stem::chars(label) {
            tail.rotate_left(1);
            tail[5] = c;
            len += 1;
        }
        if tail[5] == 's' && tail != ['s', 't', 'a', 't', 'u', 's'] {
            len -= 1;
        }
        Stem { label, len }
    }

    fn matches(&self, other: &Stem<'_>) -> bool {
        self.len == other.len
            && Stem::chars(self.label)
                .take(self.len)
                .eq(Stem::chars(other.label).take(other.len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Generation;

    #[test]
    fn every_discriminant_indexes_every() {
        for (i, t) in EventType::EVERY.into_iter().enumerate() {
            assert_eq!(t as usize, i, "{t:?}");
        }
        assert_eq!(EventType::EVERY[..11], EventType::ALL);
        assert_eq!(EventType::EVERY[11], EventType::Other);
        assert!(!EventType::ALL.contains(&EventType::Other));
    }

    #[test]
    fn the_reference_types_are_the_documented_eleven() {
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names.join(", "),
            "Identifier, StandardField, ExtendedField, CustomField, CustomerStatus, CardStatus, \
             SubscriptionStatus, CustomerMerge, CardCustomField, CommChannel, CardExtendedField"
        );
    }

    #[test]
    fn the_confirmed_spellings() {
        let current = [
            (EventType::Identifier, "Identifiers"),
            (EventType::CommChannel, "Communication Channels"),
            (EventType::CustomerStatus, "Customer Status"),
            (EventType::CardStatus, "Card Status"),
            (EventType::SubscriptionStatus, "Subscription Status"),
            (EventType::StandardField, "Standard Fields"),
        ];
        for (t, spelled) in current {
            assert_eq!(t.current_name(), spelled);
            assert_eq!(t.name_in(Generation::Current), spelled);
        }
        assert_eq!(EventType::Identifier.legacy_name(), "Identifier");
        assert_eq!(EventType::CommChannel.legacy_name(), "CommChannel");
        assert_eq!(
            EventType::CommChannel.name_in(Generation::Legacy),
            "CommChannel"
        );
        assert_eq!(EventType::CommChannel.name(), "Communication Channel");
    }

    /// Every spelling of every type, in both generations, as a `referenceType` and as shown,
    /// reads back as that type; so do its case and separator variants.
    #[test]
    fn every_spelling_reads_back() {
        for t in EventType::EVERY {
            let spellings = [t.as_str(), t.current_name(), t.legacy_name(), t.name()];
            for s in spellings {
                for variant in [
                    s.to_owned(),
                    s.to_lowercase(),
                    s.to_uppercase(),
                    s.replace(' ', "_"),
                    s.replace(' ', "-"),
                    format!(" {s} "),
                ] {
                    assert_eq!(EventType::from_label(&variant), t, "{variant:?}");
                }
            }
            if t != EventType::Other {
                assert_eq!(EventType::parse(t.as_str()), Some(t));
                assert_eq!(EventType::parse(&t.as_str().to_lowercase()), Some(t));
            }
        }
    }

    #[test]
    fn labels_normalise_as_the_parser_and_the_simulator_need() {
        use EventType::*;
        for (label, t) in [
            ("Identifiers", Identifier),
            ("IDENTIFIER", Identifier),
            ("Communication Channel", CommChannel),
            ("CommChannels", CommChannel),
            ("CustomerStatus", CustomerStatus),
            ("Standard Fields", StandardField),
            ("Custom Fields", CustomField),
            ("CARD_CUSTOM_FIELD", CardCustomField),
            ("card-extended-fields", CardExtendedField),
            ("Subscription", SubscriptionStatus),
            ("Subscriptions", SubscriptionStatus),
            ("Merge", CustomerMerge),
            ("Loyalty Points", Other),
            ("Status", Other),
            ("s", Other),
            ("", Other),
            ("Identifierss", Other),
            ("Identi fier", Identifier),
            ("Íd", Other),
        ] {
            assert_eq!(EventType::from_label(label), t, "{label:?}");
        }
    }

    #[test]
    fn parse_reads_reference_types_only() {
        assert_eq!(
            EventType::parse(" customerstatus "),
            Some(EventType::CustomerStatus)
        );
        for not_a_reference_type in ["Communication Channels", "Identifiers", "Other", "", "Nope"] {
            assert_eq!(
                EventType::parse(not_a_reference_type),
                None,
                "{not_a_reference_type:?}"
            );
        }
    }

    #[test]
    fn only_the_two_statuses_carry_label_ids() {
        let statuses: Vec<EventType> = EventType::EVERY
            .into_iter()
            .filter(|t| t.is_status())
            .collect();
        assert_eq!(statuses, [EventType::CustomerStatus, EventType::CardStatus]);
    }

    #[test]
    fn spellings_name_one_type_each() {
        for a in EventType::EVERY {
            for b in EventType::EVERY {
                if a != b {
                    for s in [a.as_str(), a.current_name(), a.name()] {
                        assert_ne!(EventType::from_label(s), b, "{s:?}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 2000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0007_0cab),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any text reads as some type without panicking, and as the same type whatever its
        /// ASCII case or the separators between its words.
        #[test]
        fn any_label_reads_the_same_in_any_case(label in ".{0,40}") {
            let t = EventType::from_label(&label);
            proptest::prop_assert_eq!(EventType::from_label(&label.to_ascii_uppercase()), t);
            proptest::prop_assert_eq!(EventType::from_label(&label.replace(' ', "_")), t);
        }
    }
}
