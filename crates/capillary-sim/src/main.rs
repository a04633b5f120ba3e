//! `capillary-sim` binary: parses flags, starts the simulator, waits for Ctrl-C.
#![forbid(unsafe_code)]

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", capillary_sim::USAGE);
        return;
    }
    let config = match capillary_sim::Config::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("capillary-sim: {e}");
            std::process::exit(2);
        }
    };
    let running = match capillary_sim::spawn(config.clone()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("capillary-sim: {e}");
            std::process::exit(1);
        }
    };
    println!("capillary-sim listening on {}", running.url());
    if config.auth == capillary_sim::AuthMode::Required {
        for u in &config.users {
            println!("  Basic user {:?} (password {:?})", u.username, u.password);
        }
        for c in &config.oauth_clients {
            println!("  OAuth key {:?} secret {:?}", c.key, c.secret);
        }
    } else {
        println!("  no authentication required");
    }
    if let Some(dist) = &config.dist {
        println!("  serving {} at {}", dist.display(), config.dist_prefix);
    }
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
}
