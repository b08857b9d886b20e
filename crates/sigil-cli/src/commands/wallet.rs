//! `sigil wallet --dir DIR receive|collect|list|present|web`.

use std::io::{BufRead, Write};

use serde_json::json;

use crate::cli::{WalletArgs, WalletCommand};
use crate::wallet::{Consent, Redeem, SignIn, Wallet, collect, present, receive_with, web_wallet};

fn now() -> i64 {
    sigil_core::Clock::now(&sigil_core::SystemClock).0
}

/// Runs a wallet command.
pub async fn run(args: WalletArgs) -> anyhow::Result<()> {
    let mut wallet = Wallet::open(&args.dir)?;
    match args.command {
        WalletCommand::Receive {
            offer,
            tx_code,
            client_id,
            json,
        } => {
            let sign_in = client_id.map(|client_id| SignIn {
                client_id,
                open: Box::new(|url| {
                    eprintln!("Open this address to sign in at the issuer, then come back:\n{url}");
                }),
            });
            let redeem = Redeem {
                tx_code: tx_code.as_deref(),
                sign_in: sign_in.as_ref(),
            };
            let received = receive_with(&mut wallet, &offer, &redeem, now()).await?;
            print_received(&received.credentials, json);
            for p in &received.pending {
                if json {
                    let out = json!({"id": p.id, "issuer": p.issuer, "type": p.configuration_id,
                        "pending": true, "interval": p.interval});
                    println!("{out}");
                } else {
                    println!(
                        "{} from {} is deferred by the issuer ({}): run `sigil wallet collect` later",
                        p.configuration_id, p.issuer, p.id
                    );
                }
            }
        }
        WalletCommand::Collect { wait, json } => {
            let deadline = now() + i64::try_from(wait).unwrap_or(i64::MAX);
            loop {
                let collected = collect(&mut wallet, now()).await?;
                print_received(&collected.credentials, json);
                for (id, why) in &collected.dropped {
                    eprintln!("{id} will not be issued: {why}");
                }
                let pause = wallet.pending.iter().map(|p| p.interval).min().unwrap_or(5);
                if collected.waiting == 0 || now() + pause as i64 > deadline {
                    if collected.waiting > 0 && !json {
                        println!("{} still pending", collected.waiting);
                    }
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_secs(pause)).await;
            }
        }
        WalletCommand::List { json } => {
            for c in &wallet.credentials {
                if json {
                    let out = json!({
                        "id": c.id, "issuer": c.issuer, "name": c.name, "vct": c.vct,
                        "format": c.format, "claims": c.shown_claims(),
                        "type": c.configuration_id, "labels": c.labels,
                        "received_at": c.received_at, "expires_at": c.expires_at,
                    });
                    println!("{out}");
                } else {
                    println!("{}\t{}\t{}", c.id, c.name, c.issuer);
                    for (name, value) in &c.shown_claims() {
                        println!("  {}: {value}", c.label(name));
                    }
                }
            }
            if !json {
                for p in &wallet.pending {
                    println!("{}\t{} (pending)\t{}", p.id, p.configuration_id, p.issuer);
                }
            }
        }
        WalletCommand::Web { listen } => {
            anyhow::ensure!(
                listen.ip().is_loopback(),
                "the wallet page listens on a loopback address only, not {listen}"
            );
            let listener = tokio::net::TcpListener::bind(listen).await?;
            let (router, url) = web_wallet(wallet, listener.local_addr()?, now);
            println!("Open your wallet at {url}");
            println!("(the address holds a secret: keep it to yourself; Ctrl-C stops the page)");
            axum::serve(listener, router)
                .with_graceful_shutdown(super::serve::shutdown_signal())
                .await?;
        }
        WalletCommand::Present { request, yes, json } => {
            let outcome = present(&wallet, &request, |c| yes || ask(c), now()).await?;
            if json {
                println!("{}", serde_json::to_string(&outcome)?);
            } else if outcome.sent {
                println!("presented to {}", outcome.consent.verifier);
            } else {
                println!("nothing was disclosed");
            }
        }
    }
    Ok(())
}

/// Prints credentials just received.
fn print_received(credentials: &[crate::wallet::StoredCredential], json: bool) {
    for c in credentials {
        if json {
            println!(
                "{}",
                json!({"id": c.id, "issuer": c.issuer, "name": c.name, "vct": c.vct})
            );
        } else {
            println!("received {} from {} ({})", c.name, c.issuer, c.id);
        }
    }
}

/// Shows what would be disclosed and asks on the terminal.
fn ask(consent: &Consent) -> bool {
    let mut err = std::io::stderr();
    let who = consent.name.as_deref().unwrap_or("A verifier");
    let _ = writeln!(
        err,
        "{who} (as it calls itself; {}), answering to {}, asks for:",
        consent.verifier, consent.responds_to
    );
    for d in &consent.disclosures {
        let _ = writeln!(err, "  from your {}:", d.name);
        for (label, value) in &d.claims {
            let _ = writeln!(err, "    {label}: {value}");
        }
    }
    let _ = write!(err, "Disclose these? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes")
}
