//! Regenerates the README screenshots from the release build on the demo data:
//! `trunk build --release && cargo run -p e2e --example screenshots`.

use std::path::PathBuf;

use e2e::{dist_dir, Browser, StaticServer};

#[tokio::main]
async fn main() {
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let server = StaticServer::start(&dist_dir(), "/").await;
    let b = Browser::start().await;
    b.client
        .set_window_size(1400, 860)
        .await
        .expect("window size");

    b.goto(&server.url("q=-type%3Acommchannel")).await;
    b.wait_for("[data-testid=event-row]").await;
    b.wait_for("[data-testid=event-row][data-field=mobile]")
        .await
        .click()
        .await
        .expect("open a row");
    b.wait_for("[data-testid=event-detail]").await;
    b.screenshot(&out.join("timeline.png")).await;

    b.goto(&server.url("view=status")).await;
    b.wait_for("[data-testid=status-entry]").await;
    b.screenshot(&out.join("status-log.png")).await;

    // Embed mode in a portal's narrow side panel.
    let explorer = server.url("embed=1&theme=dark&q=field%3Amobile");
    let portal = StaticServer::page(format!(
        "<!doctype html><body style=\"margin:0;display:flex;font:15px sans-serif\">\
         <main style=\"flex:1;padding:1rem\"><h1>Customer 100200300</h1><p>Admin portal</p></main>\
         <iframe src=\"{explorer}\" style=\"width:440px;height:840px;border:0;border-left:1px solid #ccc\"></iframe></body>"
    ))
    .await;
    b.goto(&portal.url("")).await;
    let frame = b.wait_for("iframe").await;
    frame.enter_frame().await.expect("enter the frame");
    b.wait_for("[data-testid=event-row]").await;
    b.client
        .enter_parent_frame()
        .await
        .expect("back to the portal");
    b.screenshot(&out.join("embedded.png")).await;
    b.close().await;
    println!("wrote {}", out.display());
}
