//! The reader's grouping is module-wide state: set here, in a test binary of its own, so no
//! other test sees it change.

use capillary_vocab::count::{Grouped, Grouping};

#[test]
fn once_set_every_count_follows_the_readers_grouping() {
    assert_eq!(Grouping::for_reader(), Grouping::Thousands);
    assert_eq!(Grouped(1_044_880).to_string(), "1,044,880");
    Grouping::of_sample("1,23,45,67,890").set_for_reader();
    assert_eq!(Grouping::for_reader(), Grouping::Indian);
    assert_eq!(
        format!("{} of {} events", Grouped(36), Grouped(1_044_880)),
        "36 of 10,44,880 events"
    );
    // Asked for explicitly, another grouping still shows.
    assert_eq!(
        Grouped(1_044_880)
            .grouped_as(Grouping::Thousands)
            .to_string(),
        "1,044,880"
    );
    Grouping::Thousands.set_for_reader();
    assert_eq!(Grouped(100_000).to_string(), "100,000");
}
