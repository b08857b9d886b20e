//! User lookups against a seeded store, through the storage trait Sigil itself uses.

use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};
use sigil_core::TenantId;
use sigil_store_sql::{PgSettings, PgStore};

/// `lookup`.
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The seeded store.
    #[arg(long)]
    database_url: String,
    /// How many users were seeded.
    #[arg(long)]
    seeded_users: u64,
    /// Lookups of each kind.
    #[arg(long, default_value_t = 5_000)]
    samples: usize,
}

/// p50, p99 and the maximum of microsecond samples, in milliseconds.
pub(crate) fn percentiles(mut us: Vec<u64>) -> Value {
    us.sort_unstable();
    let at = |p: f64| us[((us.len() as f64 * p) as usize).min(us.len() - 1)] as f64 / 1000.0;
    json!({"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)})
}

/// Looks up random seeded users by username and by e-mail.
pub async fn run(args: LookupArgs) -> anyhow::Result<Value> {
    let store = PgStore::connect(&args.database_url, &PgSettings::default()).await?;
    let tenant = TenantId::default_tenant();
    let mut by_name = Vec::with_capacity(args.samples);
    let mut by_email = Vec::with_capacity(args.samples);
    for _ in 0..args.samples {
        let i = 1 + u64::from_le_bytes(sigil_core::random::bytes::<8>()) % args.seeded_users;
        let t0 = Instant::now();
        let user =
            sigil_store::UserStore::find_user_by_username(&store, &tenant, &format!("seed{i}"))
                .await?;
        by_name.push(t0.elapsed().as_micros() as u64);
        anyhow::ensure!(user.is_some(), "seed{i} not found");
        let t0 = Instant::now();
        let user = sigil_store::UserStore::find_user_by_email(
            &store,
            &tenant,
            &format!("seed{i}@example.com"),
        )
        .await?;
        by_email.push(t0.elapsed().as_micros() as u64);
        anyhow::ensure!(user.is_some(), "seed{i}@example.com not found");
    }
    Ok(json!({"by_username": percentiles(by_name), "by_email": percentiles(by_email)}))
}
