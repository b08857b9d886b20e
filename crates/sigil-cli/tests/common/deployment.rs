//! A deployment on PostgreSQL as an operator drives it: the global arguments and environment
//! (a shared master key) every `sigil` command and node of it takes.

use std::path::Path;

use super::flow::REDIRECT_URI;
use super::{Server, sigil_with};

/// The password every test user here gets.
pub const PASSWORD: &str = "a long passphrase";

/// The command line of one deployment.
pub struct Deployment {
    /// Global arguments (`--database-url …`).
    pub global: Vec<String>,
    /// Environment (the master key file).
    pub env: Vec<(String, String)>,
}

impl Deployment {
    /// A deployment on `database_url` with a fresh master key written into `dir`.
    pub fn on_postgres(database_url: String, dir: &Path) -> Deployment {
        let key = dir.join("master.key");
        std::fs::write(
            &key,
            sigil_core::b64url_encode(sigil_core::random::bytes::<32>()),
        )
        .unwrap();
        Deployment {
            global: vec!["--database-url".into(), database_url],
            env: vec![(
                "SIGIL_SECRETS__MASTER_KEY_FILE".into(),
                key.display().to_string(),
            )],
        }
    }

    /// Runs a command that must succeed; its output as JSON, or as a string if it is not.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        let (ok, out, err) = sigil_with(&self.global, &self.env, args, stdin);
        assert!(ok, "sigil {args:?}: {err}");
        serde_json::from_str(&out).unwrap_or(serde_json::Value::String(out))
    }

    /// Registers a client (`client create ARGS… --json`) and returns its id and secret.
    pub fn client(&self, args: &[&str]) -> (String, String) {
        let created = self.run(&[&["client", "create"], args, &["--json"]].concat(), None);
        (
            created["client_id"].as_str().unwrap().to_owned(),
            created["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    /// A first-party web client redirecting to [`REDIRECT_URI`].
    pub fn web_client(&self) -> (String, String) {
        self.client(&[
            "--name",
            "web",
            "--redirect-uri",
            REDIRECT_URI,
            "--first-party",
        ])
    }

    /// A client-credentials client allowed the `api` scope.
    pub fn service_client(&self, name: &str) -> (String, String) {
        self.client(&[
            "--name",
            name,
            "--grant-type",
            "client_credentials",
            "--scope",
            "api",
        ])
    }

    /// Creates `username` with [`PASSWORD`].
    pub fn user(&self, username: &str) {
        self.run(
            &["user", "create", username, "--password-stdin"],
            Some(&format!("{PASSWORD}\n")),
        );
    }

    /// Starts a node logging into `log_dir`, with extra environment, answering as `issuer`
    /// (its own URL when `None`).
    pub fn node(&self, log_dir: &Path, extra: &[(&str, &str)], issuer: Option<&str>) -> Server {
        let mut env = self.env.clone();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Server::start_with(&self.global, &env, log_dir, issuer)
    }
}
