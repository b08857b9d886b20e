//! Exclusive XML Canonicalization 1.0 without comments (W3C `xml-exc-c14n#`) of an element of
//! a document read from the outside, the form XML signatures are computed over: namespace
//! declarations only where an element or attribute visibly uses them (plus an
//! `InclusiveNamespaces` prefix list) and not already declared alike by an output ancestor,
//! attributes sorted by namespace URI and local name, comments dropped, text and attribute
//! values escaped as canonical XML escapes them.
//!
//! Hand-written over `roxmltree` (already Sigil's reader of untrusted XML) because the
//! pure-Rust XML security crates pull in over a hundred further crates (post-quantum and
//! PKCS#11 stacks included) and `libxmlsec1` bindings need a system toolchain a fresh machine
//! lacks. Only what XML-DSig in SAML needs is here: one element subtree, optionally less one
//! descendant (the enveloped signature).

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId, NodeType};

use crate::SamlError;
use crate::xml::{escape_attribute, escape_text};

/// The canonical form of `node`'s subtree without the element `omit` (and its subtree),
/// rendering the namespaces of `inclusive_prefixes` (`#default` for the default namespace) as
/// inclusive canonicalization would.
pub fn exclusive(
    node: Node<'_, '_>,
    omit: Option<NodeId>,
    inclusive_prefixes: &[String],
) -> Result<String, SamlError> {
    let mut out = String::new();
    let inclusive: Vec<&str> = inclusive_prefixes
        .iter()
        .map(|p| if p == "#default" { "" } else { p.as_str() })
        .collect();
    let context = Context { omit, inclusive };
    context.element(node, &BTreeMap::new(), &mut out)?;
    Ok(out)
}

struct Context<'p> {
    omit: Option<NodeId>,
    inclusive: Vec<&'p str>,
}

/// The qualified name of an element as written in the document (`prefix:local` or `local`).
fn element_qname<'i>(node: Node<'_, 'i>) -> Result<&'i str, SamlError> {
    let source = node.document().input_text();
    let start = node.range().start + 1;
    let rest = source
        .get(start..)
        .ok_or_else(|| SamlError::Malformed("an element outside its document".into()))?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    Ok(&rest[..end])
}

/// The prefix of a qualified name (`""` when it has none).
fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(p, _)| p)
}

impl Context<'_> {
    fn element(
        &self,
        node: Node<'_, '_>,
        rendered: &BTreeMap<String, String>,
        out: &mut String,
    ) -> Result<(), SamlError> {
        let qname = element_qname(node)?;
        let source = node.document().input_text();
        let mut attributes = Vec::new();
        let mut used: Vec<&str> = vec![prefix_of(qname)];
        for attribute in node.attributes() {
            let attribute_qname = &source[attribute.range_qname()];
            if attribute.namespace().is_some() {
                used.push(prefix_of(attribute_qname));
            }
            attributes.push((
                attribute.namespace().unwrap_or(""),
                attribute.name(),
                attribute_qname,
                attribute.value(),
            ));
        }
        used.extend(self.inclusive.iter().copied());
        used.sort_unstable();
        used.dedup();

        let mut in_scope = rendered.clone();
        let mut declarations = Vec::new();
        for prefix in used {
            if prefix == "xml" {
                continue;
            }
            let uri = if prefix.is_empty() {
                node.default_namespace().unwrap_or("")
            } else {
                match node.lookup_namespace_uri(Some(prefix)) {
                    Some(uri) => uri,
                    // An inclusive prefix not in scope here; a used one cannot be unbound.
                    None => continue,
                }
            };
            let already = rendered.get(prefix).map(String::as_str);
            let needed = if prefix.is_empty() && uri.is_empty() {
                already.is_some_and(|u| !u.is_empty())
            } else {
                already != Some(uri)
            };
            if needed {
                declarations.push((prefix, uri));
                in_scope.insert(prefix.to_owned(), uri.to_owned());
            }
        }

        out.push('<');
        out.push_str(qname);
        for (prefix, uri) in declarations {
            out.push_str(" xmlns");
            if !prefix.is_empty() {
                out.push(':');
                out.push_str(prefix);
            }
            out.push_str("=\"");
            escape_attribute(uri, out);
            out.push('"');
        }
        attributes.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, attribute_qname, value) in attributes {
            out.push(' ');
            out.push_str(attribute_qname);
            out.push_str("=\"");
            escape_attribute(value, out);
            out.push('"');
        }
        out.push('>');
        for child in node.children() {
            match child.node_type() {
                NodeType::Element if Some(child.id()) == self.omit => {}
                NodeType::Element => self.element(child, &in_scope, out)?,
                NodeType::Text => escape_text(child.text().unwrap_or(""), out),
                NodeType::PI => {
                    if let Some(pi) = child.pi() {
                        out.push_str("<?");
                        out.push_str(pi.target);
                        if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                            out.push(' ');
                            out.push_str(value);
                        }
                        out.push_str("?>");
                    }
                }
                NodeType::Comment | NodeType::Root => {}
            }
        }
        out.push_str("</");
        out.push_str(qname);
        out.push('>');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(xml: &str, prefixes: &[&str]) -> String {
        let doc = crate::read::parse(xml).expect("parsed");
        let prefixes: Vec<String> = prefixes.iter().map(|p| (*p).to_owned()).collect();
        exclusive(doc.root_element(), None, &prefixes).expect("canonical")
    }

    #[test]
    fn namespaces_are_declared_where_used_and_only_once() {
        let xml = r#"<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u"><b:child a:x="1" z="2" y="&lt;"/><a:leaf xmlns:a="urn:a">t&amp;</a:leaf></a:root>"#;
        assert_eq!(
            canonical(xml, &[]),
            r#"<a:root xmlns:a="urn:a"><b:child xmlns:b="urn:b" y="&lt;" z="2" a:x="1"></b:child><a:leaf>t&amp;</a:leaf></a:root>"#
        );
    }

    #[test]
    fn the_default_namespace_comments_and_inclusive_prefixes() {
        let xml = "<root xmlns=\"urn:d\" xmlns:p=\"urn:p\"><!-- note --><x>a\r\nb</x><y xmlns=\"\"/></root>";
        assert_eq!(
            canonical(xml, &[]),
            "<root xmlns=\"urn:d\"><x>a\nb</x><y xmlns=\"\"></y></root>"
        );
        assert_eq!(
            canonical(xml, &["p"]),
            "<root xmlns=\"urn:d\" xmlns:p=\"urn:p\"><x>a\nb</x><y xmlns=\"\"></y></root>"
        );
    }

    #[test]
    fn a_subtree_is_canonical_on_its_own_and_the_omitted_element_is_left_out() {
        let xml = r#"<r xmlns:s="urn:s"><s:e ID="1"><s:sig>x</s:sig><s:v>1</s:v></s:e></r>"#;
        let doc = crate::read::parse(xml).expect("parsed");
        let e = doc.root_element().first_element_child().expect("e");
        let sig = e.first_element_child().expect("sig");
        assert_eq!(
            exclusive(e, Some(sig.id()), &[]).expect("canonical"),
            r#"<s:e xmlns:s="urn:s" ID="1"><s:v>1</s:v></s:e>"#
        );
    }

    #[test]
    fn what_sigil_writes_is_already_canonical() {
        let written = crate::xml::Element::new("p:a")
            .ns("p", "urn:p")
            .attr("b", "x\"y\n")
            .child(crate::xml::Element::new("p:c").text("<&>"))
            .child(
                crate::xml::Element::new("q:d")
                    .ns("q", "urn:q")
                    .child(crate::xml::Element::new("q:e").ns("q", "urn:q"))
                    .child(crate::xml::Element::new("p:f").ns("p", "urn:p")),
            )
            .to_canonical();
        assert_eq!(written.matches("xmlns:q").count(), 1, "{written}");
        assert_eq!(written.matches("xmlns:p").count(), 1, "{written}");
        // Declared on the root, used only below it: written where it is used.
        let declared_above = crate::xml::Element::new("p:a")
            .ns("p", "urn:p")
            .ns("s", "urn:s")
            .child(crate::xml::Element::new("s:b").text("1"))
            .child(crate::xml::Element::new("s:c"))
            .to_canonical();
        assert_eq!(
            declared_above,
            r#"<p:a xmlns:p="urn:p"><s:b xmlns:s="urn:s">1</s:b><s:c xmlns:s="urn:s"></s:c></p:a>"#
        );
        assert_eq!(canonical(&written, &[]), written);
    }
}
