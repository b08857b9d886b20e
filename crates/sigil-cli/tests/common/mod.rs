//! Running the `sigil` binary from tests: one-shot commands and servers.

#![allow(dead_code, clippy::unwrap_used)]

pub mod deployment;
pub mod flow;
pub mod pg;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sigil");

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Cheap password hashing for tests.
const TEST_ENV: &[(&str, &str)] = &[
    ("SIGIL_PASSWORDS__MEMORY_KIB", "1024"),
    ("SIGIL_PASSWORDS__ITERATIONS", "1"),
];

/// Runs `sigil GLOBAL… ARGS…` with extra environment; returns success, stdout, stderr.
pub fn sigil_with(
    global: &[String],
    env: &[(String, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(global)
        .args(args)
        .envs(TEST_ENV.iter().copied())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `sigil --data-dir DATA ARGS…`.
pub fn sigil(data: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    sigil_with(
        &["--data-dir".into(), data.display().to_string()],
        &[],
        args,
        stdin,
    )
}

/// A `sigil serve` process.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// The issuer it answers as, which browsers' `Origin` must match.
    pub issuer: String,
    pub log: std::path::PathBuf,
}

impl Server {
    /// Serves the embedded store in `data`.
    pub fn start(data: &Path) -> Server {
        Self::start_with(
            &["--data-dir".into(), data.display().to_string()],
            &[],
            data,
            None,
        )
    }

    /// Serves with the given global arguments and environment, logging into `log_dir`; the
    /// issuer is the node's own URL unless given (nodes behind one load balancer share one).
    pub fn start_with(
        global: &[String],
        env: &[(String, String)],
        log_dir: &Path,
        issuer: Option<&str>,
    ) -> Server {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let issuer = issuer.map_or_else(|| base.clone(), str::to_owned);
        let log = log_dir.join(format!("server-{port}.log"));
        let child = Command::new(BIN)
            .args(global)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--issuer",
                issuer.as_str(),
            ])
            .env("RUST_LOG", "debug")
            .envs(TEST_ENV.iter().copied())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Server {
            child,
            base,
            issuer,
            log,
        }
    }

    /// Waits for `/readyz`.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(res) = reqwest::get(format!("{}/readyz", self.base)).await
                && res.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "server did not become ready: {}",
            std::fs::read_to_string(&self.log).unwrap()
        );
    }

    /// Stops with SIGTERM and returns the log.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return std::fs::read_to_string(&self.log).unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("server did not stop on SIGTERM");
    }
}

/// A test that fails part-way must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
