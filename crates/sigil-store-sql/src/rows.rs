//! Reading rows back into records, for both backends: every column through one typed accessor,
//! every parse failure reported as `Corrupt` rather than a panic or a silently empty value.
//! The record decoders in [`crate::records`] are written once against [`RowExt`].

use std::fmt::Display;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_core::{ClientId, Digest32, ScopeSet, SessionId, TenantId, UnixTime, UserId};
use sigil_store::{StoreError, StoreResult};

fn corrupt(name: &str, e: impl Display) -> StoreError {
    StoreError::Corrupt(format!("column {name}: {e}"))
}

/// Typed column access shared by SQLite and PostgreSQL rows.
pub(crate) trait RowExt {
    /// A text column.
    fn text(&self, name: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>>;
    /// An integer column.
    fn int(&self, name: &str) -> StoreResult<i64>;
    /// A nullable integer column.
    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>>;
    /// A boolean column.
    fn flag(&self, name: &str) -> StoreResult<bool>;
    /// A binary column.
    fn bytes(&self, name: &str) -> StoreResult<Vec<u8>>;
    /// A nullable binary column.
    fn opt_bytes(&self, name: &str) -> StoreResult<Option<Vec<u8>>>;

    /// A time column.
    fn time(&self, name: &str) -> StoreResult<UnixTime> {
        Ok(UnixTime(self.int(name)?))
    }

    /// A nullable time column.
    fn opt_time(&self, name: &str) -> StoreResult<Option<UnixTime>> {
        Ok(self.opt_int(name)?.map(UnixTime))
    }

    /// A text column holding JSON.
    fn json<T: DeserializeOwned>(&self, name: &str) -> StoreResult<T> {
        serde_json::from_str(&self.text(name)?).map_err(|e| corrupt(name, e))
    }

    /// A nullable text column holding JSON.
    fn opt_json<T: DeserializeOwned>(&self, name: &str) -> StoreResult<Option<T>> {
        self.opt_text(name)?
            .map(|t| serde_json::from_str(&t).map_err(|e| corrupt(name, e)))
            .transpose()
    }

    /// A 32-byte digest column.
    fn digest(&self, name: &str) -> StoreResult<Digest32> {
        let bytes: [u8; 32] = self
            .bytes(name)?
            .try_into()
            .map_err(|_| corrupt(name, "not 32 bytes"))?;
        Ok(Digest32(bytes))
    }

    /// A nullable 32-byte digest column.
    fn opt_digest(&self, name: &str) -> StoreResult<Option<Digest32>> {
        self.opt_bytes(name)?
            .map(|b| {
                b.try_into()
                    .map(Digest32)
                    .map_err(|_| corrupt(name, "not 32 bytes"))
            })
            .transpose()
    }

    /// A text column parsed into a validated type.
    fn parsed<T, E: Display>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> StoreResult<T> {
        parse(&self.text(name)?).map_err(|e| corrupt(name, e))
    }

    /// A nullable text column parsed into a validated type.
    fn opt_parsed<T, E: Display>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> StoreResult<Option<T>> {
        self.opt_text(name)?
            .map(|t| parse(&t).map_err(|e| corrupt(name, e)))
            .transpose()
    }

    /// A tenant id column.
    fn tenant(&self, name: &str) -> StoreResult<TenantId> {
        self.parsed(name, TenantId::parse)
    }

    /// A user id column.
    fn user(&self, name: &str) -> StoreResult<UserId> {
        self.parsed(name, UserId::parse)
    }

    /// A client id column.
    fn client(&self, name: &str) -> StoreResult<ClientId> {
        self.parsed(name, ClientId::parse)
    }

    /// A session id column.
    fn session(&self, name: &str) -> StoreResult<SessionId> {
        self.parsed(name, SessionId::parse)
    }

    /// A scope set column (space-delimited).
    fn scopes(&self, name: &str) -> StoreResult<ScopeSet> {
        self.parsed(name, ScopeSet::parse)
    }
}

macro_rules! impl_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn text(&self, name: &str) -> StoreResult<String> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
            fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
            fn int(&self, name: &str) -> StoreResult<i64> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
            fn opt_int(&self, name: &str) -> StoreResult<Option<i64>> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
            fn flag(&self, name: &str) -> StoreResult<bool> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
            fn bytes(&self, name: &str) -> StoreResult<Vec<u8>> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
            fn opt_bytes(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
                sqlx::Row::try_get(self, name).map_err(|e| corrupt(name, e))
            }
        }
    };
}

impl_row_ext!(sqlx::sqlite::SqliteRow);
impl_row_ext!(sqlx::postgres::PgRow);

/// Serialises a value for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Records are plain data (strings, numbers, lists); serialisation cannot fail.
    serde_json::to_string(value).expect("record serialises to JSON")
}
