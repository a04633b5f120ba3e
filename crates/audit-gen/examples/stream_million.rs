//! Times streaming a 1M-record customer (`cargo run --release -p audit-gen
//! --example stream_million`): the simulator indexes entities this way.
fn main() {
    let world = audit_gen::World::new(audit_gen::WorldConfig {
        customers: vec![audit_gen::CustomerConfig {
            id: None,
            records: 1_000_000,
            cards: vec![],
            merge: true,
        }],
        ..audit_gen::WorldConfig::default()
    });
    let t = std::time::Instant::now();
    let mut bytes = 0usize;
    let mut out = String::new();
    for r in world.entities()[0].stream() {
        out.clear();
        audit_gen::json::push_record(&mut out, &r, audit_gen::Shape::Current, true);
        bytes += out.len();
    }
    println!(
        "1M records, {} MB of JSON, in {:?}",
        bytes / 1_000_000,
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let n = world.entities()[0].stream().count();
    println!(
        "{n} records generated (not serialised) in {:?}",
        t.elapsed()
    );
}
