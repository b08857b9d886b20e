//! The SCIM filter language (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).
//!
//! Written here rather than taken from a crate: the one Rust crate for SCIM filters filters
//! in-memory collections of serialisable values and exposes no tree to translate into SQL,
//! which is what a store of a million users needs. The grammar is small; this is a lexer and a
//! recursive-descent parser with the RFC's precedence (`not` over `and` over `or`), limits on
//! length and nesting so hostile filters stay cheap (the evaluator over JSON is in `eval`).

use serde_json::Number;

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, brackets and `not` accepted.
pub const MAX_DEPTH: usize = 32;

/// Why a filter or path is refused (SCIM `scimType` `invalidFilter` or `invalidPath`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {at})")]
pub struct FilterError {
    /// What is wrong.
    pub message: String,
    /// Where, in bytes from the start.
    pub at: usize,
}

fn error(message: impl Into<String>, at: usize) -> FilterError {
    FilterError {
        message: message.into(),
        at,
    }
}

/// An attribute path: an optional schema URN, an attribute, an optional sub-attribute
/// (`urn:…:enterprise:2.0:User:manager.value`, `name.familyName`, `userName`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN, when the path names one.
    pub schema: Option<String>,
    /// The attribute.
    pub name: String,
    /// The sub-attribute.
    pub sub: Option<String>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// A literal compared against.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(Number),
    /// A JSON string.
    String(String),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr pr`: the attribute has a value.
    Present(AttrPath),
    /// `attr op value`.
    Compare(AttrPath, CompareOp, CompValue),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`.
    Not(Box<Filter>),
    /// `attr[filter]`: some value of a multi-valued complex attribute matches the inner filter,
    /// whose paths are relative to that value.
    ValuePath(AttrPath, Box<Filter>),
}

/// A token of the filter language.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// An attribute path, operator or keyword (`and`, `pr`, `true`, …).
    Word(String),
    /// A JSON string literal, decoded.
    Str(String),
    /// A JSON number literal.
    Num(Number),
}

/// Splits a filter into tokens with their offsets.
fn lex(text: &str) -> Result<Vec<(Token, usize)>, FilterError> {
    if text.len() > MAX_FILTER_LEN {
        return Err(error(
            format!("a filter is at most {MAX_FILTER_LEN} bytes"),
            MAX_FILTER_LEN,
        ));
    }
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' | b')' | b'[' | b']' => {
                let token = match c {
                    b'(' => Token::Open,
                    b')' => Token::Close,
                    b'[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                };
                tokens.push((token, i));
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i)?;
                let decoded: String = serde_json::from_str(&text[i..end])
                    .map_err(|_| error("malformed string literal", i))?;
                tokens.push((Token::Str(decoded), i));
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = i + bytes[i..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(bytes.len() - i);
                let number: Number = serde_json::from_str(&text[i..end])
                    .map_err(|_| error("malformed number", i))?;
                tokens.push((Token::Num(number), i));
                i = end;
            }
            _ if c.is_ascii_alphabetic() => {
                let end = i + bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || b"-_.:$".contains(b)))
                    .unwrap_or(bytes.len() - i);
                tokens.push((Token::Word(text[i..end].to_owned()), i));
                i = end;
            }
            _ => return Err(error(format!("unexpected character {:?}", c as char), i)),
        }
    }
    Ok(tokens)
}

/// The byte after the string literal starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Result<usize, FilterError> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(error("unterminated string literal", start))
}

/// Parses `word` as an attribute path.
fn attr_path(word: &str, at: usize) -> Result<AttrPath, FilterError> {
    let (schema, rest) = match word.rfind(':') {
        Some(colon) if word.to_ascii_lowercase().starts_with("urn:") => {
            (Some(word[..colon].to_owned()), &word[colon + 1..])
        }
        Some(_) => return Err(error("a schema URN must start with urn:", at)),
        None => (None, word),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    let valid = |n: &str| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$')
    };
    if !valid(name) || sub.is_some_and(|s| !valid(s)) {
        return Err(error(format!("{word} is not an attribute path"), at));
    }
    Ok(AttrPath {
        schema,
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    depth: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(_, at)| *at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).map(|(t, _)| t.clone());
        self.pos += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), FilterError> {
        let at = self.offset();
        if self.next() == Some(token) {
            Ok(())
        } else {
            Err(error(format!("expected {what}"), at))
        }
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                format!("filters nest at most {MAX_DEPTH} deep"),
                self.offset(),
            ));
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// `or` of `and`s.
    fn or(&mut self, inner: bool) -> Result<Filter, FilterError> {
        let mut left = self.and(inner)?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and(inner)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `and` of unary filters.
    fn and(&mut self, inner: bool) -> Result<Filter, FilterError> {
        let mut left = self.unary(inner)?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary(inner)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `not (…)`, `(…)`, `attr[…]`, `attr pr`, `attr op value`. Inside brackets (`inner`),
    /// no further brackets.
    fn unary(&mut self, inner: bool) -> Result<Filter, FilterError> {
        if self.keyword("not") {
            self.pos += 1;
            self.expect(Token::Open, "( after not")?;
            let negated = self.nested(|p| p.or(inner))?;
            self.expect(Token::Close, ")")?;
            return Ok(Filter::Not(Box::new(negated)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let grouped = self.nested(|p| p.or(inner))?;
            self.expect(Token::Close, ")")?;
            return Ok(grouped);
        }
        let at = self.offset();
        let Some(Token::Word(word)) = self.next() else {
            return Err(error("expected an attribute path", at));
        };
        let path = attr_path(&word, at)?;
        if self.peek() == Some(&Token::OpenBracket) {
            if inner || path.sub.is_some() {
                return Err(error("a value filter cannot be nested here", self.offset()));
            }
            self.pos += 1;
            let value_filter = self.nested(|p| p.or(true))?;
            self.expect(Token::CloseBracket, "]")?;
            return Ok(Filter::ValuePath(path, Box::new(value_filter)));
        }
        let at = self.offset();
        let op = match self.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("pr") => {
                return Ok(Filter::Present(path));
            }
            Some(Token::Word(w)) => {
                CompareOp::parse(&w).ok_or_else(|| error(format!("unknown operator {w}"), at))?
            }
            _ => return Err(error("expected an operator", at)),
        };
        let at = self.offset();
        let value = match self.next() {
            Some(Token::Str(s)) => CompValue::String(s),
            Some(Token::Num(n)) => CompValue::Number(n),
            // ABNF literals (RFC 5234 §2.3) ignore case.
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => CompValue::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => CompValue::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => CompValue::Null,
            _ => {
                return Err(error(
                    "expected a value (string, number, true, false, null)",
                    at,
                ));
            }
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a filter (`userName eq "bjensen" and emails[type eq "work"]`).
pub fn parse_filter(text: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser {
        tokens: lex(text)?,
        pos: 0,
        depth: 0,
        end: text.len(),
    };
    if parser.tokens.is_empty() {
        return Err(error("the filter is empty", 0));
    }
    let filter = parser.or(false)?;
    if parser.pos < parser.tokens.len() {
        return Err(error("unexpected text after the filter", parser.offset()));
    }
    Ok(filter)
}

/// A PATCH path (RFC 7644 §3.5.2): an attribute path, optionally with a value filter and a
/// sub-attribute after it (`members[value eq "2819c223"]`, `emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute addressed.
    pub attr: AttrPath,
    /// Which of its values, for multi-valued attributes.
    pub filter: Option<Filter>,
    /// The sub-attribute after the filter.
    pub sub: Option<String>,
}

/// Parses a PATCH path.
pub fn parse_path(text: &str) -> Result<PatchPath, FilterError> {
    let (head, sub) = match text.rfind(']') {
        Some(close) => {
            let rest = &text[close + 1..];
            let sub = match rest.strip_prefix('.') {
                Some(s) => Some(attr_path(s, close + 2)?.name),
                None if rest.is_empty() => None,
                None => return Err(error("unexpected text after ]", close + 1)),
            };
            (&text[..=close], sub)
        }
        None => (text, None),
    };
    if head.contains('[') {
        return match parse_filter(head)? {
            Filter::ValuePath(attr, filter) => Ok(PatchPath {
                attr,
                filter: Some(*filter),
                sub,
            }),
            _ => Err(error("not an attribute path with a value filter", 0)),
        };
    }
    let mut tokens = lex(head)?;
    match (tokens.pop(), tokens.is_empty()) {
        (Some((Token::Word(word), at)), true) => Ok(PatchPath {
            attr: attr_path(&word, at)?,
            filter: None,
            sub,
        }),
        _ => Err(error("not an attribute path", 0)),
    }
}

impl AttrPath {
    /// Whether this path names `name` (and `sub`), ignoring case as SCIM does.
    pub fn is(&self, name: &str, sub: Option<&str>) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && match (&self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn path(name: &str) -> AttrPath {
        AttrPath {
            schema: None,
            name: name.into(),
            sub: None,
        }
    }

    /// Every example filter of RFC 7644 §3.4.2.2 parses.
    #[test]
    fn the_rfc_examples_parse() {
        for example in [
            r#"userName Eq "john""#,
            r#"Username eq "john""#,
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            parse_filter(example).unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_case_is_ignored() {
        let f = parse_filter(r#"a pr OR b pr AND c eq 1"#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(Filter::Present(path("a"))),
                Box::new(Filter::And(
                    Box::new(Filter::Present(path("b"))),
                    Box::new(Filter::Compare(
                        path("c"),
                        CompareOp::Eq,
                        CompValue::Number(1.into())
                    ))
                ))
            )
        );
        let urn = parse_filter(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        )
        .unwrap();
        let Filter::Compare(p, _, _) = urn else {
            panic!()
        };
        assert_eq!(
            p.schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert!(p.is("Manager", Some("VALUE")));
    }

    #[test]
    fn malformed_filters_say_where() {
        for (bad, at) in [
            ("", 0),
            ("userName", 8),
            (r#"userName eq"#, 11),
            (r#"userName xx "a""#, 9),
            (r#"userName eq "a" and"#, 19),
            (r#"(userName eq "a""#, 16),
            (r#"userName eq "unterminated"#, 12),
            (r#"emails[type eq "work"[value pr]]"#, 21),
            (r#"userName eq "a" )"#, 16),
            ("not userName pr", 4),
            (r#"userName eq 'single'"#, 12),
        ] {
            let e = parse_filter(bad).unwrap_err();
            assert_eq!(e.at, at, "{bad}: {e}");
        }
        let deep = format!("{}a pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse_filter(&deep).unwrap_err().message.contains("nest"));
        let long = format!("a eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
        assert!(parse_filter(&long).is_err());
    }

    #[test]
    fn patch_paths_parse() {
        let p = parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert!(p.attr.is("members", None));
        assert!(p.filter.is_some() && p.sub.is_none());
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p = parse_path("name.familyName").unwrap();
        assert!(p.attr.is("name", Some("familyName")) && p.filter.is_none());
        for bad in ["", "a b", r#"emails[type eq "work"]x"#, "userName eq \"x\""] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in ".{0,200}") {
            let _ = parse_filter(&text);
            let _ = parse_path(&text);
        }

        #[test]
        fn parsing_built_filters_never_panics(parts in proptest::collection::vec(
            proptest::sample::select(vec!["(", ")", "[", "]", "not", "and", "or", "pr", "eq", "a", "b.c", "\"x\"", "1", "urn:x:y:z"]),
            0..40,
        )) {
            let _ = parse_filter(&parts.join(" "));
        }
    }
}
