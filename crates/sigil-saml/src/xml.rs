//! XML that Sigil writes, built as a tree and serialised directly in Exclusive XML
//! Canonicalization 1.0 form (no declaration, attributes in canonical order, every element
//! with an end tag, text and attribute values escaped as c14n escapes them, a namespace
//! declared on each element that visibly uses it unless an output ancestor declared it, so
//! that where a caller declares it does not matter). A signature over the serialised bytes
//! is therefore a signature over the canonical form any verifier computes. Hand-written
//! because no maintained crate writes canonical XML; it only ever serialises trees Sigil
//! builds, never input.

/// An element: a qualified name, its namespace declarations (prefix, URI), its attributes
/// (unqualified names only), and its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    name: String,
    namespaces: Vec<(String, String)>,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element.
    Element(Element),
    /// Text.
    Text(String),
}

impl Element {
    /// An element named `name` (`prefix:local`).
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_owned(),
            namespaces: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Declares `prefix` for `uri` on this element.
    pub fn ns(mut self, prefix: &str, uri: &str) -> Self {
        self.namespaces.push((prefix.to_owned(), uri.to_owned()));
        self
    }

    /// Adds an attribute.
    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attributes.push((name.to_owned(), value.into()));
        self
    }

    /// Adds an attribute when there is a value.
    pub fn attr_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    /// Adds a child element.
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Adds text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// The value of attribute `name`, if set.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Inserts a child element at `index` among the children.
    pub fn insert(&mut self, index: usize, child: Element) {
        let index = index.min(self.children.len());
        self.children.insert(index, Node::Element(child));
    }

    /// The canonical serialisation.
    pub fn to_canonical(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, &[], &[]);
        out
    }

    /// Writes the element. `declared` holds the namespaces its ancestors declared (with
    /// [`Element::ns`]), `rendered` those already written out; as exclusive canonicalization
    /// does, a declaration is written on each element that visibly uses its prefix (its own
    /// name's, or a qualified attribute's) unless an output ancestor wrote the same one.
    fn write(
        &self,
        out: &mut String,
        declared: &[(String, String)],
        rendered: &[(String, String)],
    ) {
        let mut declared = declared.to_vec();
        declared.extend(self.namespaces.iter().cloned());
        let lookup = |scope: &[(String, String)], prefix: &str| {
            scope
                .iter()
                .rev()
                .find(|(p, _)| p == prefix)
                .map(|(_, uri)| uri.clone())
        };
        let mut used: Vec<&str> = vec![prefix_of(&self.name)];
        used.extend(
            self.attributes
                .iter()
                .map(|(name, _)| name)
                .filter(|name| name.contains(':'))
                .map(|name| prefix_of(name)),
        );
        used.sort_unstable();
        used.dedup();
        let mut written = Vec::new();
        for prefix in used.into_iter().filter(|p| *p != "xml") {
            let uri = lookup(&declared, prefix).unwrap_or_default();
            let before = lookup(rendered, prefix);
            let needed = if uri.is_empty() {
                prefix.is_empty() && before.is_some_and(|b| !b.is_empty())
            } else {
                before.as_deref() != Some(uri.as_str())
            };
            if needed {
                written.push((prefix.to_owned(), uri));
            }
        }
        out.push('<');
        out.push_str(&self.name);
        for (prefix, uri) in &written {
            out.push_str(" xmlns");
            if !prefix.is_empty() {
                out.push(':');
                out.push_str(prefix);
            }
            out.push_str("=\"");
            escape_attribute(uri, out);
            out.push('"');
        }
        let mut attributes = self.attributes.clone();
        attributes.sort();
        for (name, value) in &attributes {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_attribute(value, out);
            out.push('"');
        }
        out.push('>');
        let mut now_rendered = rendered.to_vec();
        now_rendered.extend(written);
        for child in &self.children {
            match child {
                Node::Element(e) => e.write(out, &declared, &now_rendered),
                Node::Text(t) => escape_text(t, out),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// The prefix of a qualified name (`""` when it has none).
fn prefix_of(name: &str) -> &str {
    name.split_once(':').map_or("", |(prefix, _)| prefix)
}

/// Text as canonical XML escapes it.
pub(crate) fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// An attribute value as canonical XML escapes it.
pub(crate) fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_escapes_and_end_tags() {
        let e = Element::new("a:Root")
            .attr("z", "1")
            .ns("b", "urn:b")
            .attr("ID", "x\"<&\n")
            .ns("a", "urn:a")
            .child(Element::new("a:Empty"))
            .text("1 < 2 & 3 > 2\r");
        assert_eq!(
            e.to_canonical(),
            "<a:Root xmlns:a=\"urn:a\" ID=\"x&quot;&lt;&amp;&#xA;\" z=\"1\">\
             <a:Empty></a:Empty>1 &lt; 2 &amp; 3 &gt; 2&#xD;</a:Root>"
        );
    }
}
