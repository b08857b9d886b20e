//! Reading rows back into records: every column through one typed helper, every parse
//! failure reported as `Corrupt` rather than a panic or a silently empty value.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_core::{ClientId, Digest32, SessionId, TenantId, UnixTime, UserId};
use sigil_store::{StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Row, Sqlite, Type};

/// One typed column.
pub(crate) fn col<'r, T>(row: &'r SqliteRow, name: &str) -> StoreResult<T>
where
    T: Decode<'r, Sqlite> + Type<Sqlite>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// A column holding JSON.
pub(crate) fn json_col<T: DeserializeOwned>(row: &SqliteRow, name: &str) -> StoreResult<T> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// A nullable column holding JSON.
pub(crate) fn opt_json_col<T: DeserializeOwned>(
    row: &SqliteRow,
    name: &str,
) -> StoreResult<Option<T>> {
    let text: Option<String> = col(row, name)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
    })
    .transpose()
}

/// Serialises a value for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Records are plain data (strings, numbers, lists); serialisation cannot fail.
    serde_json::to_string(value).expect("record serialises to JSON")
}

/// A time column.
pub(crate) fn time_col(row: &SqliteRow, name: &str) -> StoreResult<UnixTime> {
    Ok(UnixTime(col(row, name)?))
}

/// A nullable time column.
pub(crate) fn opt_time_col(row: &SqliteRow, name: &str) -> StoreResult<Option<UnixTime>> {
    Ok(col::<Option<i64>>(row, name)?.map(UnixTime))
}

/// A digest column.
pub(crate) fn digest_col(row: &SqliteRow, name: &str) -> StoreResult<Digest32> {
    let bytes: Vec<u8> = col(row, name)?;
    Ok(Digest32(bytes.try_into().map_err(|_| {
        StoreError::Corrupt(format!("column {name}: not 32 bytes"))
    })?))
}

fn parsed<T, E: std::fmt::Display>(
    row: &SqliteRow,
    name: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> StoreResult<T> {
    let text: String = col(row, name)?;
    parse(&text).map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}

/// A tenant id column.
pub(crate) fn tenant_col(row: &SqliteRow, name: &str) -> StoreResult<TenantId> {
    parsed(row, name, TenantId::parse)
}

/// A user id column.
pub(crate) fn user_col(row: &SqliteRow, name: &str) -> StoreResult<UserId> {
    parsed(row, name, UserId::parse)
}

/// A client id column.
pub(crate) fn client_col(row: &SqliteRow, name: &str) -> StoreResult<ClientId> {
    parsed(row, name, ClientId::parse)
}

/// A session id column.
pub(crate) fn session_col(row: &SqliteRow, name: &str) -> StoreResult<SessionId> {
    parsed(row, name, SessionId::parse)
}

/// A nullable session id column.
pub(crate) fn opt_session_col(row: &SqliteRow, name: &str) -> StoreResult<Option<SessionId>> {
    let text: Option<String> = col(row, name)?;
    text.map(|t| {
        SessionId::parse(&t).map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
    })
    .transpose()
}

/// A scope set column (space-delimited text).
pub(crate) fn scopes_col(row: &SqliteRow, name: &str) -> StoreResult<sigil_core::ScopeSet> {
    parsed(row, name, sigil_core::ScopeSet::parse)
}
