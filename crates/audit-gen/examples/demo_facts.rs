//! Prints the demo's first page and status logs (handy when updating the
//! documented demo facts): `cargo run -p audit-gen --example demo_facts`.
fn main() {
    let d = audit_gen::demo();
    println!(
        "customer {} card {} number {}",
        d.customer_id, d.card_id, d.card_number
    );
    for (i, p) in d.customer_pages.iter().enumerate() {
        println!("customer page {i}: {} bytes", p.len());
    }
    println!("{}", String::from_utf8_lossy(&d.card_pages[0]));
    println!("{}", String::from_utf8_lossy(&d.customer_status_log));
    println!("{}", String::from_utf8_lossy(&d.card_status_log));
    println!("{}", String::from_utf8_lossy(&d.customer_lookup));
    let first = String::from_utf8_lossy(&d.customer_pages[0]);
    println!("{}", &first[..first.len().min(3000)]);
}
