//! Reading XML from the outside: size-limited, no DTD (so no entities, internal or external),
//! a bounded number of nodes and depth, then only the elements the profile names, by
//! namespace and local name.

use roxmltree::{Document, Node, ParsingOptions};

use crate::SamlError;

/// Largest document read, bytes.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Most nodes in a document.
const MAX_NODES: u32 = 50_000;
/// Deepest nesting.
const MAX_DEPTH: usize = 64;

/// Parses `text` under the limits.
pub fn parse(text: &str) -> Result<Document<'_>, SamlError> {
    if text.len() > MAX_BYTES {
        return Err(SamlError::Malformed("the document is too large".into()));
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options)
        .map_err(|e| SamlError::Malformed(e.to_string()))?;
    if doc.descendants().any(|n| n.ancestors().count() > MAX_DEPTH) {
        return Err(SamlError::Malformed(
            "the document is nested too deeply".into(),
        ));
    }
    Ok(doc)
}

/// Whether `node` is the element `ns`:`name`.
pub fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

/// The child elements of `node` named `ns`:`name`.
pub fn children<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| is(*c, ns, name))
}

/// The first child element `ns`:`name`.
pub fn child<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &'a str,
    name: &'a str,
) -> Option<Node<'a, 'input>> {
    children(node, ns, name).next()
}

/// The text of an element, trimmed.
pub fn text(node: Node<'_, '_>) -> String {
    node.children()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A boolean attribute (`true`/`1` or `false`/`0`, as XML Schema spells them).
pub fn flag(node: Node<'_, '_>, name: &str) -> Result<bool, SamlError> {
    match node.attribute(name) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(SamlError::Malformed(format!(
            "{name}={other:?} is not a boolean"
        ))),
    }
}
