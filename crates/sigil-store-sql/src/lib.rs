//! SQL storage backends for Sigil. SQLite is the embedded default: one file in the data
//! directory, WAL mode, a single writer connection (SQLite admits one writer at a time;
//! queueing in-process beats `SQLITE_BUSY`), a small pool of readers.

pub mod sqlite;

pub use sqlite::SqliteStore;
