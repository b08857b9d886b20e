//! A private PostgreSQL server for tests that stop it or read its log: initdb and pg_ctl on a
//! random port in a temporary directory (as the `postgres` user when running as root).

use std::path::PathBuf;
use std::process::Command;

use super::free_port;

/// A private PostgreSQL server.
pub struct PgServer {
    pub dir: PathBuf,
    pub port: u16,
    extra: String,
}

fn as_postgres(program: &str, args: &[&str]) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl PgServer {
    /// Starts a fresh server.
    pub fn start() -> PgServer {
        Self::start_with("")
    }

    /// Starts a fresh server with extra `postgres` options (`-c name=value …`).
    pub fn start_with(extra: &str) -> PgServer {
        let dir = tempfile::Builder::new()
            .prefix("sigil-faults-pg")
            .tempdir()
            .unwrap()
            .keep();
        let _ = Command::new("chown").arg("postgres").arg(&dir).status();
        let data = dir.join("data");
        assert!(
            as_postgres(
                "initdb",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-A",
                    "trust",
                    "-U",
                    "postgres"
                ]
            ),
            "initdb failed"
        );
        let server = PgServer {
            dir,
            port: free_port(),
            extra: extra.to_owned(),
        };
        server.up();
        server
    }

    fn ctl(&self, args: &[&str]) -> bool {
        let data = self.dir.join("data");
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        as_postgres("pg_ctl", &all)
    }

    /// Starts (again).
    pub fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 {}",
            self.port,
            self.dir.display(),
            self.extra
        );
        let log = self.dir.join("log");
        assert!(
            self.ctl(&["-o", &options, "-l", log.to_str().unwrap(), "-w", "start"]),
            "pg_ctl start failed"
        );
    }

    /// Stops.
    pub fn down(&self) {
        assert!(
            self.ctl(&["-m", "fast", "-w", "stop"]),
            "pg_ctl stop failed"
        );
    }

    /// A URL to its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.ctl(&["-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
