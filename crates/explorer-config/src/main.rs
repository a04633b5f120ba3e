//! `explorer-config check|csp [path]`: validates a deployment's `config.json` and prints the
//! Content-Security-Policy header its host should send (see README "Deploying").

#![forbid(unsafe_code)]

use std::process::ExitCode;

use explorer_config::Config;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, path) = match args.as_slice() {
        [c] => (c.as_str(), "dist/config.json"),
        [c, p] => (c.as_str(), p.as_str()),
        _ => return usage(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let loaded = Config::read(&text);
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(e) = &loaded.error {
        eprintln!("error: {e}");
    }
    match command {
        "csp" => println!("{}", loaded.config.content_security_policy()),
        "check" => {
            let c = &loaded.config;
            let apis: Vec<&str> = c.apis.iter().map(|a| a.api.as_str()).collect();
            let parents: Vec<String> = c
                .allowed_parent_origins
                .iter()
                .map(|o| o.to_string())
                .collect();
            println!("apis: {}", apis.join(", "));
            println!("other apis allowed: {}", c.other_apis);
            let modes: Vec<&str> = c.auth_modes.iter().map(|m| m.key()).collect();
            println!("auth modes: {}", modes.join(", "));
            println!(
                "time zone: {}",
                c.time_zone.as_deref().unwrap_or("(link or UTC)")
            );
            println!("page size: {}", c.page_size);
            match c.rate_limit {
                Some(l) => println!("rate limit: {} requests/minute", l.per_minute),
                None => println!("rate limit: learned from the first refusals"),
            }
            println!("embed: {}", c.embed);
            println!(
                "allowed parent origins: {}",
                if parents.is_empty() {
                    "none".to_owned()
                } else {
                    parents.join(", ")
                }
            );
            println!("theme: {}", c.theme.key());
        }
        _ => return usage(),
    }
    if loaded.error.is_some() || !loaded.warnings.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: explorer-config check|csp [path/to/config.json]   (default dist/config.json)"
    );
    ExitCode::from(2)
}
