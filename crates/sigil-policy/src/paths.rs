//! Request paths brought to the one form that is matched and forwarded.
//!
//! A gateway that matches one spelling of a path while the upstream resolves another can be
//! walked around (`/public/../admin`, `/admin%2fusers`, `/admin./`, `/..;/`). So the path is
//! normalised once, before matching, and that exact string is what the upstream receives;
//! whatever cannot be normalised without guessing how the upstream reads it is refused.

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not an absolute path.
    #[error("the path must start with '/'")]
    NotAbsolute,
    /// An encoded slash or backslash, a NUL or a control character.
    #[error("the path holds an encoded separator or a control character")]
    Forbidden,
    /// A malformed percent escape.
    #[error("the path holds a malformed percent escape")]
    BadEscape,
    /// `..` above the root, a segment ending in a dot, or a `..;` path parameter.
    #[error("the path holds a dot segment that cannot be resolved safely")]
    DotSegment,
}

/// Normalises a request path (without its query): unreserved characters are decoded, other
/// escapes kept in upper case, `.` and `..` resolved, repeated slashes collapsed.
pub fn normalize_path(raw: &str) -> Result<String, PathError> {
    let raw = raw.split(['?', '#']).next().unwrap_or_default();
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let decoded = decode_unreserved(raw)?;
    let trailing = decoded.ends_with('/');
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop().ok_or(PathError::DotSegment)?;
            }
            s if s.ends_with('.') || s.starts_with("..;") || s.starts_with(".;") => {
                return Err(PathError::DotSegment);
            }
            s => segments.push(s),
        }
    }
    let mut path = format!("/{}", segments.join("/"));
    if trailing && !segments.is_empty() {
        path.push('/');
    }
    Ok(path)
}

fn decode_unreserved(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' || b.is_ascii_control() {
            return Err(PathError::Forbidden);
        }
        if b != b'%' {
            // Multi-byte UTF-8 is copied whole: `raw` is a str, so boundaries are valid.
            let len = utf8_len(b);
            out.push_str(&raw[i..i + len]);
            i += len;
            continue;
        }
        let hex = raw.get(i + 1..i + 3).ok_or(PathError::BadEscape)?;
        let value = u8::from_str_radix(hex, 16).map_err(|_| PathError::BadEscape)?;
        if value == b'/' || value == b'\\' || value.is_ascii_control() {
            return Err(PathError::Forbidden);
        }
        if value.is_ascii_alphanumeric() || b"-._~".contains(&value) {
            out.push(char::from(value));
        } else {
            out.push('%');
            out.push_str(&hex.to_ascii_uppercase());
        }
        i += 3;
    }
    Ok(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_per_path() {
        for (raw, want) in [
            ("/portal/admin/", "/portal/admin/"),
            ("//portal///admin", "/portal/admin"),
            ("/portal/public/../admin/x", "/portal/admin/x"),
            ("/portal/./%61dmin/x?y=1", "/portal/admin/x"),
            ("/portal/%2e%2E/hr", "/hr"),
            ("/a%20b/%c3%a9", "/a%20b/%C3%A9"),
            ("/", "/"),
            ("/é/x", "/é/x"),
        ] {
            assert_eq!(normalize_path(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        for (raw, why) in [
            ("portal", PathError::NotAbsolute),
            ("/portal%2fadmin", PathError::Forbidden),
            ("/portal%5cadmin", PathError::Forbidden),
            ("/portal\\admin", PathError::Forbidden),
            ("/portal%00", PathError::Forbidden),
            ("/portal/%zz", PathError::BadEscape),
            ("/portal/%4", PathError::BadEscape),
            ("/../etc", PathError::DotSegment),
            ("/portal/admin./x", PathError::DotSegment),
            ("/portal/..;/admin", PathError::DotSegment),
        ] {
            assert_eq!(normalize_path(raw), Err(why), "{raw}");
        }
    }
}
