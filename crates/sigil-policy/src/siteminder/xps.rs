//! Reads an XPSExport policy-store export into generic objects.
//!
//! The framing of these files varies between SiteMinder releases and is partly unknown (see
//! `../shared/siteminder/FORMAT.md`), so this reader is lenient about it: `Object` elements are
//! found at any depth under any root, property names may or may not carry their class prefix,
//! links may be `LinkValue/XREF`, a bare `XREF` or any `Ref…` element. It is strict about
//! meaning: an object without a class or XID, a duplicated XID, a boolean that is not one, or a
//! number that is not one is an error, never a guess. Hand-written on `roxmltree` because no
//! crate reads this format; `roxmltree` refuses DTDs, so entity expansion attacks cannot start.

use std::collections::HashMap;

/// Limits that keep a hostile or broken export from exhausting memory or the stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest export accepted, in bytes.
    pub max_bytes: usize,
    /// The deepest element nesting accepted.
    pub max_depth: usize,
    /// The most objects accepted.
    pub max_objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            max_objects: 500_000,
        }
    }
}

/// Why an export could not be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// The file is larger than the limit.
    #[error("the export is {size} bytes, more than the {limit} bytes accepted")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not well-formed XML (truncated, a DTD, bad characters).
    #[error("the export is not well-formed XML: {0}")]
    Xml(String),
    /// Elements nest deeper than the limit.
    #[error("elements nest deeper than {0} levels")]
    TooDeep(usize),
    /// More objects than the limit.
    #[error("the export holds more than {0} objects")]
    TooManyObjects(usize),
    /// No `Object` element anywhere.
    #[error("the export holds no policy-store objects (no <Object> elements)")]
    Empty,
    /// An object or property is malformed.
    #[error("line {line}: {message}")]
    Malformed {
        /// Where, 1-based.
        line: u32,
        /// What is wrong.
        message: String,
    },
}

/// One property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `StringValue`.
    String(String),
    /// `BooleanValue`.
    Bool(bool),
    /// `NumberValue`.
    Number(i64),
    /// A reference to another object by XID.
    Link(String),
}

/// One `Object` element: its class, XID, properties and the object it is nested in.
#[derive(Debug, Clone)]
pub struct XpsObject {
    /// `Class`, such as `CA.SM::Realm`.
    pub class: String,
    /// `Xid`.
    pub xid: String,
    /// Properties by short name (`ResourceFilter`, not `CA.SM::Realm.ResourceFilter`), in
    /// document order.
    pub properties: Vec<(String, Vec<Value>)>,
    /// Index of the enclosing object, if nested.
    pub parent: Option<usize>,
    /// Line of the element, for messages.
    pub line: u32,
}

impl XpsObject {
    /// All values of a property.
    pub fn values(&self, name: &str) -> &[Value] {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// The first string value of a property.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.values(name).iter().find_map(|v| match v {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// Every string value, comma-separated lists split (exports differ in how they write
    /// multi-valued properties).
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.values(name)
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A boolean property.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.values(name).iter().find_map(|v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        })
    }

    /// A number property.
    pub fn number(&self, name: &str) -> Option<i64> {
        self.values(name).iter().find_map(|v| match v {
            Value::Number(n) => Some(*n),
            _ => None,
        })
    }

    /// Every XID a link property points at.
    pub fn links(&self, name: &str) -> Vec<&str> {
        self.values(name)
            .iter()
            .filter_map(|v| match v {
                Value::Link(x) => Some(x.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The object's `Name`, or its XID when it has none.
    pub fn name(&self) -> &str {
        self.string("Name").unwrap_or(&self.xid)
    }
}

/// A parsed export: its objects, in document order, found by XID.
#[derive(Debug, Default)]
pub struct Export {
    /// Every object.
    pub objects: Vec<XpsObject>,
    by_xid: HashMap<String, usize>,
}

impl Export {
    /// The object with this XID.
    pub fn get(&self, xid: &str) -> Option<(usize, &XpsObject)> {
        self.by_xid.get(xid).map(|&i| (i, &self.objects[i]))
    }

    /// Objects of one class.
    pub fn of_class<'a>(&'a self, class: &'a str) -> impl Iterator<Item = (usize, &'a XpsObject)> {
        self.objects
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.class == class)
    }

    /// The nearest enclosing object of a class.
    pub fn ancestor(&self, index: usize, class: &str) -> Option<(usize, &XpsObject)> {
        let mut at = self.objects[index].parent;
        while let Some(i) = at {
            if self.objects[i].class == class {
                return Some((i, &self.objects[i]));
            }
            at = self.objects[i].parent;
        }
        None
    }

    /// Objects directly nested in this one, of one class.
    pub fn children<'a>(
        &'a self,
        index: usize,
        class: &'a str,
    ) -> impl Iterator<Item = (usize, &'a XpsObject)> {
        self.of_class(class)
            .filter(move |(_, o)| o.parent == Some(index))
    }
}

/// Parses an export.
pub fn parse(text: &str, limits: Limits) -> Result<Export, ParseError> {
    if text.len() > limits.max_bytes {
        return Err(ParseError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| ParseError::Xml(e.to_string()))?;
    let mut export = Export::default();
    let mut stack = vec![(doc.root_element(), None::<usize>, 0usize)];
    while let Some((node, parent, depth)) = stack.pop() {
        if depth > limits.max_depth {
            return Err(ParseError::TooDeep(limits.max_depth));
        }
        let mut own = parent;
        if node.tag_name().name() == "Object" {
            if export.objects.len() >= limits.max_objects {
                return Err(ParseError::TooManyObjects(limits.max_objects));
            }
            let object = read_object(&doc, node, parent)?;
            let index = export.objects.len();
            if export.by_xid.insert(object.xid.clone(), index).is_some() {
                return Err(malformed(
                    &doc,
                    node,
                    format!("XID {} appears twice", object.xid),
                ));
            }
            export.objects.push(object);
            own = Some(index);
        }
        // Reversed so that popping visits children in document order.
        let children: Vec<_> = node
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() != "Property")
            .collect();
        for child in children.into_iter().rev() {
            stack.push((child, own, depth + 1));
        }
    }
    if export.objects.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(export)
}

fn malformed(doc: &roxmltree::Document, node: roxmltree::Node, message: String) -> ParseError {
    ParseError::Malformed {
        line: doc.text_pos_at(node.range().start).row,
        message,
    }
}

fn read_object(
    doc: &roxmltree::Document,
    node: roxmltree::Node,
    parent: Option<usize>,
) -> Result<XpsObject, ParseError> {
    let attr = |name: &str| {
        node.attributes()
            .find(|a| a.name().eq_ignore_ascii_case(name))
            .map(|a| a.value().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let class =
        attr("Class").ok_or_else(|| malformed(doc, node, "an <Object> has no Class".into()))?;
    let xid =
        attr("Xid").ok_or_else(|| malformed(doc, node, format!("a {class} object has no Xid")))?;
    let mut properties: Vec<(String, Vec<Value>)> = Vec::new();
    for prop in node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Property")
    {
        let full = prop
            .attribute("Name")
            .ok_or_else(|| malformed(doc, prop, format!("a property of {xid} has no Name")))?;
        let short = full.rsplit_once('.').map_or(full, |(_, s)| s).to_owned();
        let values = read_values(doc, prop)?;
        match properties.iter_mut().find(|(n, _)| *n == short) {
            Some((_, existing)) => existing.extend(values),
            None => properties.push((short, values)),
        }
    }
    Ok(XpsObject {
        class,
        xid,
        properties,
        parent,
        line: doc.text_pos_at(node.range().start).row,
    })
}

fn read_values(doc: &roxmltree::Document, prop: roxmltree::Node) -> Result<Vec<Value>, ParseError> {
    let mut values = Vec::new();
    for value in prop.descendants().filter(roxmltree::Node::is_element) {
        let tag = value.tag_name().name();
        let text = value.text().unwrap_or("").trim();
        let parsed = match tag {
            "StringValue" => Value::String(value.text().unwrap_or("").to_owned()),
            "BooleanValue" => match text.to_ascii_lowercase().as_str() {
                "true" | "1" => Value::Bool(true),
                "false" | "0" => Value::Bool(false),
                _ => return Err(malformed(doc, value, format!("{text:?} is not a boolean"))),
            },
            "NumberValue" => Value::Number(
                text.parse()
                    .map_err(|_| malformed(doc, value, format!("{text:?} is not a number")))?,
            ),
            t if t == "XREF" || t.starts_with("Ref") => {
                if text.is_empty() {
                    return Err(malformed(doc, value, "an empty reference".into()));
                }
                Value::Link(text.to_owned())
            }
            // Wrappers (LinkValue, lists) hold the values read above.
            _ => continue,
        };
        values.push(parsed);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(xml: &str) -> Result<Export, ParseError> {
        parse(xml, Limits::default())
    }

    #[test]
    fn framing_is_lenient() {
        let export = one(r#"<Whatever><Section>
            <Object Class="CA.SM::Realm" Xid="R1">
              <Property Name="ResourceFilter"><StringValue>/a/</StringValue></Property>
              <Property Name="CA.SM::Realm.AgentLink"><XREF>A1</XREF></Property>
              <Property Name="CA.SM::Realm.Actions"><StringValue>GET, POST</StringValue><StringValue>PUT</StringValue></Property>
              <Object Class="CA.SM::Rule" Xid="U1"/>
            </Object></Section></Whatever>"#)
        .expect("test input is valid");
        let (_, realm) = export.get("R1").expect("test input is valid");
        assert_eq!(realm.string("ResourceFilter"), Some("/a/"));
        assert_eq!(realm.links("AgentLink"), vec!["A1"]);
        assert_eq!(realm.strings("Actions"), vec!["GET", "POST", "PUT"]);
        assert_eq!(
            export.get("U1").expect("test input is valid").1.parent,
            Some(0)
        );
    }

    #[test]
    fn meaning_is_strict() {
        let bad_bool = r#"<X><Object Class="C" Xid="1"><Property Name="C.P"><BooleanValue>yes</BooleanValue></Property></Object></X>"#;
        assert!(matches!(one(bad_bool), Err(ParseError::Malformed { .. })));
        let twice = r#"<X><Object Class="C" Xid="1"/><Object Class="C" Xid="1"/></X>"#;
        assert!(matches!(one(twice), Err(ParseError::Malformed { .. })));
        let no_xid = r#"<X><Object Class="C"/></X>"#;
        assert!(matches!(one(no_xid), Err(ParseError::Malformed { .. })));
        assert_eq!(
            one("<X/>").expect_err("test input is refused"),
            ParseError::Empty
        );
        assert!(matches!(
            one("<X><Object Class=\"C\" Xid=\"1\">"),
            Err(ParseError::Xml(_))
        ));
    }

    #[test]
    fn dtds_and_deep_or_large_documents_are_refused() {
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        assert!(matches!(one(dtd), Err(ParseError::Xml(_))));
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(matches!(
            one(&deep),
            Err(ParseError::TooDeep(_) | ParseError::Xml(_))
        ));
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            parse("<X><Object/></X>", small),
            Err(ParseError::TooLarge { .. })
        ));
    }
}
