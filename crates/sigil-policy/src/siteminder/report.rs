//! The migration report: every finding with its level and code, every object with its fate,
//! and a per-application dashboard of what blocks switching it over.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::xps::XpsObject;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Something that narrows access could not be translated; the permit it belongs to is
    /// withheld (fail closed).
    Error,
    /// Translated with a caveat, or data (a header, a cookie) dropped.
    Warning,
    /// Translated; worth knowing.
    Info,
    /// An operator must supply something the export does not hold.
    NeedsInput,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::NeedsInput => "needs-input",
        }
    }
}

/// A policy-store object a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    /// Its class without the `CA.SM::` prefix.
    pub class: String,
    /// Its name.
    pub name: String,
    /// Its XID.
    pub xid: String,
}

impl ObjectRef {
    /// Refers to an object.
    pub fn of(object: &XpsObject) -> Self {
        Self {
            class: short_class(&object.class).to_owned(),
            name: object.name().to_owned(),
            xid: object.xid.clone(),
        }
    }
}

/// The class name without its `CA.SM::` namespace.
pub fn short_class(class: &str) -> &str {
    class.strip_prefix("CA.SM::").unwrap_or(class)
}

/// One thing the importer has to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious.
    pub level: Level,
    /// A stable code (`active-response`, `regex-semantics`, …).
    pub code: String,
    /// What happened, for a person.
    pub message: String,
    /// The application it concerns, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The objects it concerns.
    pub objects: Vec<ObjectRef>,
}

/// What became of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// Translated.
    Mapped,
    /// Translated with a warning.
    MappedWithWarning,
    /// Not translated; a finding says why.
    NotMapped,
}

/// One object and its fate.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectFate {
    /// Which object.
    #[serde(flatten)]
    pub object: ObjectRef,
    /// What became of it.
    pub fate: Fate,
}

/// Counts of one kind of thing in one application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Translated cleanly.
    pub mapped: usize,
    /// Translated with a warning.
    pub warned: usize,
    /// Not translated.
    pub refused: usize,
}

/// How far one application is from being switched over.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppSummary {
    /// The application.
    pub app: String,
    /// Its routes (rules).
    pub routes: Tally,
    /// Its Cedar statements (policy × rule pairs).
    pub policies: Tally,
    /// Errors and needs-input findings for it: each blocks the switch.
    pub blockers: usize,
    /// True when nothing blocks it.
    pub ready: bool,
}

/// The whole report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Objects per class.
    pub inventory: BTreeMap<String, usize>,
    /// Every finding, in the order found.
    pub findings: Vec<Finding>,
    /// Every object with its fate.
    pub objects: Vec<ObjectFate>,
    /// Per application.
    pub dashboard: Vec<AppSummary>,
    /// False when the export has objects of unknown classes or references that point outside
    /// it: such an export is imported only when asked to (`--partial`).
    pub complete: bool,
}

impl Report {
    /// Counts findings by level.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::from("SiteMinder policy-store import\n\nInventory:\n");
        for (class, n) in &self.inventory {
            let _ = writeln!(out, "  {class:<16} {n}");
        }
        out.push_str("\nApplications:\n");
        for app in &self.dashboard {
            let _ = writeln!(
                out,
                "  {:<24} routes {}/{}/{}  policies {}/{}/{}  (mapped/warned/refused)  {}",
                app.app,
                app.routes.mapped,
                app.routes.warned,
                app.routes.refused,
                app.policies.mapped,
                app.policies.warned,
                app.policies.refused,
                if app.ready {
                    "ready".to_owned()
                } else {
                    format!("{} blocker(s)", app.blockers)
                }
            );
        }
        for level in [Level::Error, Level::Warning, Level::NeedsInput, Level::Info] {
            let findings: Vec<_> = self.findings.iter().filter(|f| f.level == level).collect();
            if findings.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{} ({}):", level.label(), findings.len());
            for f in findings {
                let _ = writeln!(out, "  [{}] {}", f.code, f.message);
                for o in &f.objects {
                    let _ = writeln!(out, "      {} {} ({})", o.class, o.name, o.xid);
                }
            }
        }
        let not_mapped = self
            .objects
            .iter()
            .filter(|o| o.fate == Fate::NotMapped)
            .count();
        let _ = writeln!(
            out,
            "\n{} objects: {} not mapped; {} errors, {} warnings, {} need input.",
            self.objects.len(),
            not_mapped,
            self.count(Level::Error),
            self.count(Level::Warning),
            self.count(Level::NeedsInput)
        );
        out
    }
}
