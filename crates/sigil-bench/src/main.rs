//! `sigil-bench`: the measuring side of `bench/run.sh`.
//!
//! A purpose-built HTTP/1.1 keep-alive load generator (one connection per task, requests sent
//! back to back), because the flows measured here are multi-step (authorize, then redeem) and
//! need per-step assertions that general tools do not make; and micro-benchmarks of the
//! cryptography a token costs, measured with the same code Sigil signs with.

mod api;
mod crypto;
mod flows;
mod gateway;
mod http;
mod lookup;
mod policy;
mod vc;

use clap::{Parser, Subcommand};

/// Benchmarks for Sigil.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Cost of one ES256 access token signature and one argon2id verification (single thread).
    Crypto {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
    /// Repeats one request: client credentials, introspection, discovery.
    Load(flows::LoadArgs),
    /// Full authorization-code round trips (authorize with a session, then redeem the code).
    CodeFlow(flows::CodeFlowArgs),
    /// Password sign-ins through the sign-in form.
    SignIn(flows::SignInArgs),
    /// Refresh-token rotations on seeded grants (`sigil store seed`), one chain per connection.
    Refresh(flows::RefreshArgs),
    /// User lookups by username and by e-mail straight against a seeded PostgreSQL store.
    Lookup(lookup::LookupArgs),
    /// The management API on a seeded store: user creation rate, lookup and list latency.
    Api(api::ApiArgs),
    /// Verifiable credentials issued and presentations verified per core, beside the cost of
    /// their signatures (single thread, in process).
    Vc {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
    /// Access decisions per core with 1,000 gateway applications and 10,000 routes loaded
    /// (route matching and Cedar, nested realms ANDed), single thread, in process.
    Policy {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
    /// A minimal upstream for the gateway benchmark: `200 ok` to everything, until killed.
    Upstream(gateway::UpstreamArgs),
    /// Signs in through a gateway and prints its session cookie.
    GatewaySession(gateway::GatewaySessionArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let report = match cli.command {
        Command::Crypto { seconds } => crypto::run(seconds)?,
        Command::Load(args) => rt.block_on(flows::load(args))?,
        Command::CodeFlow(args) => rt.block_on(flows::code_flow(args))?,
        Command::SignIn(args) => rt.block_on(flows::sign_in(args))?,
        Command::Refresh(args) => rt.block_on(flows::refresh(args))?,
        Command::Lookup(args) => rt.block_on(lookup::run(args))?,
        Command::Api(args) => rt.block_on(api::run(args))?,
        Command::Vc { seconds } => vc::run(seconds)?,
        Command::Policy { seconds } => policy::run(seconds)?,
        Command::Upstream(args) => rt.block_on(gateway::upstream(args))?,
        Command::GatewaySession(args) => rt.block_on(gateway::session(args))?,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
