//! Searching users and groups by a condition over their fields, sorted and counted: what
//! SCIM's `filter`, `sortBy`, `startIndex` and `count` become once the attribute names have
//! been mapped to stored fields. The store turns a condition into its own query language, so a
//! search at a million users uses the same indexes as a lookup.

use sigil_core::UnixTime;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal (or absent).
    Ne,
    /// Contains.
    Contains,
    /// Starts with.
    StartsWith,
    /// Ends with.
    EndsWith,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

/// A value compared against. Text compared with a field that ignores case must already be in
/// the form that field is compared in (see the field's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A time.
    Time(UnixTime),
}

/// A condition over fields of type `F`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition<F> {
    /// Every record.
    All,
    /// The field has a value (not null, not empty text).
    Present(F),
    /// The field compares to the literal as the operator says.
    Compare(F, Op, Literal),
    /// Both hold.
    And(Box<Condition<F>>, Box<Condition<F>>),
    /// Either holds.
    Or(Box<Condition<F>>, Box<Condition<F>>),
    /// Does not hold.
    Not(Box<Condition<F>>),
}

/// The user fields a search can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    /// The subject, exactly.
    Id,
    /// The provisioning client's identifier, exactly.
    ExternalId,
    /// The normalised username (compare with lower-cased text).
    Username,
    /// The display name, ignoring case (compare with lower-cased text).
    Name,
    /// The e-mail address, ignoring case (compare with lower-cased text).
    Email,
    /// Whether the user is enabled (a boolean).
    Active,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

/// The group fields a search can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    /// The group's id, exactly.
    Id,
    /// The provisioning client's identifier, exactly.
    ExternalId,
    /// The name, ignoring case (compare with lower-cased text).
    Name,
    /// A member's user id (only `Eq` and `Present`).
    Member,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

/// A search: which records, in which order, which slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search<F> {
    /// Which records.
    pub condition: Condition<F>,
    /// Sort key and whether descending; ties (and no key) are ordered by id.
    pub sort: Option<(F, bool)>,
    /// Records to skip.
    pub offset: u64,
    /// Records to return at most.
    pub limit: u32,
}

/// A slice of the matching records and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<T> {
    /// Every matching record counted.
    pub total: u64,
    /// The slice asked for.
    pub items: Vec<T>,
}
