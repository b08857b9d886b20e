//! The SiteMinder policy-store importer: an XPSExport file in, gateway applications with Cedar
//! policies and a migration report out.
//!
//! Mapping (see `docs/SITEMINDER.md`): an agent or agent group becomes an application; a realm
//! a path prefix (filters of nested realms concatenated, literally) with the protection level of
//! its authentication scheme; a rule a route; each policy × rule pair one Cedar `permit` or
//! `forbid`; responses the headers and cookies a permit injects. It fails closed: a condition
//! it cannot translate withholds the permit it narrows and is reported as an error.

mod policies;
mod realms;
pub mod report;
mod responses;
pub mod xps;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::app::Application;
use report::{AppSummary, Fate, Finding, Level, ObjectFate, ObjectRef, Report, short_class};
use xps::{Export, Limits, ParseError, XpsObject};

/// What the operator supplies besides the export.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Agent or agent-group name → the application's upstream base URL.
    pub agent_map: BTreeMap<String, String>,
    /// Parser limits.
    pub limits: Limits,
}

/// The importer's result.
#[derive(Debug, Clone)]
pub struct Import {
    /// One per agent or agent group that protects a realm.
    pub applications: Vec<Application>,
    /// What happened to everything.
    pub report: Report,
}

/// Reads an export and translates it.
pub fn import(text: &str, options: &ImportOptions) -> Result<Import, ParseError> {
    let export = xps::parse(text, options.limits)?;
    let mut importer = Importer::new(&export, options);
    importer.check_classes_and_references();
    importer.translate_realms();
    importer.translate_responses();
    importer.translate_policies();
    Ok(importer.finish())
}

/// Properties each class may carry: understood, or known to need no translation. Anything else
/// is reported as unsupported.
const KNOWN: &[(&str, &[&str])] = &[
    (
        "AgentType",
        &["Name", "Desc", "VendorType", "ResourceType", "Actions"],
    ),
    ("AgentTypeAttr", &["Name", "Desc"]),
    (
        "Agent",
        &[
            "Name",
            "Desc",
            "AgentTypeLink",
            "IPAddress",
            "RealmHintAttrID",
        ],
    ),
    (
        "AgentGroup",
        &["Name", "Desc", "AgentTypeLink", "AgentsLink"],
    ),
    (
        "UserDirectory",
        &[
            "Name",
            "Desc",
            "Namespace",
            "Server",
            "SearchRoot",
            "SearchScope",
            "UserLookupStart",
            "UserLookupEnd",
            "UniversalIDAttribute",
            "EmailAddrAttribute",
            "DisabledAttribute",
            "SecureConnection",
            "RequireCredentials",
            "Username",
            "Password",
            "PasswordAttribute",
            "MaxResults",
            "SearchTimeout",
        ],
    ),
    (
        "AuthScheme",
        &[
            "Name",
            "Desc",
            "AuthSchemeType",
            "Level",
            "Library",
            "Param",
            "IsTemplate",
            "AllowSaveCreds",
            "IsUsedByAdmin",
        ],
    ),
    (
        "Domain",
        &[
            "Name",
            "Desc",
            "IsAffiliate",
            "Mode",
            "UserDirectoriesLink",
            "IsDLP",
            "DLPExcludedClassificationList",
        ],
    ),
    (
        "Realm",
        &[
            "Name",
            "Desc",
            "AgentLink",
            "AgentGroupLink",
            "AuthSchemeLink",
            "ResourceFilter",
            "ProtectAll",
            "IdleTimeout",
            "MaxTimeout",
            "SessionType",
            "ProcessAuthEvents",
            "ProcessAzEvents",
            "ParentRealmLink",
            "AzUserDirLink",
            "DomainLink",
        ],
    ),
    (
        "Rule",
        &[
            "Name",
            "Desc",
            "Resource",
            "Actions",
            "AllowAccess",
            "RegularExpression",
            "IsEnabled",
            "DomainLink",
            "ActiveExprString",
            "TimeRestriction",
        ],
    ),
    (
        "Policy",
        &[
            "Name",
            "Desc",
            "IsEnabled",
            "IPAddresses",
            "TimeRestriction",
            "ActiveExprString",
            "VariablesLink",
            "DomainLink",
        ],
    ),
    (
        "UserPolicy",
        &[
            "UserDirectoryLink",
            "UserDirectory",
            "FilterPath",
            "FilterClass",
            "PolicyResolution",
            "PolicyFlags",
            "DomainLink",
        ],
    ),
    (
        "PolicyLink",
        &[
            "RuleLink",
            "RuleGroupLink",
            "ResponseLink",
            "ResponseGroupLink",
            "DomainLink",
        ],
    ),
    ("Response", &["Name", "Desc", "AgentTypeLink", "DomainLink"]),
    (
        "ResponseAttr",
        &[
            "AgentTypeAttrLink",
            "Value",
            "TTL",
            "ActiveExprString",
            "Flags",
            "DomainLink",
        ],
    ),
];

/// An application being assembled.
#[derive(Default)]
struct AppDraft {
    app: Option<Application>,
    summary: AppSummary,
}

/// Where a rule ended up.
#[derive(Clone)]
struct RuleInfo {
    app: String,
    realm_id: String,
    route_id: String,
    protected_realm: bool,
    /// Emitted as a route (enabled, a resource rule, translatable).
    emitted: bool,
    deny: bool,
    event: bool,
    methods: Vec<String>,
}

struct Importer<'a> {
    export: &'a Export,
    options: &'a ImportOptions,
    findings: Vec<Finding>,
    /// Objects that were deliberately not translated, whatever their findings say.
    skipped: BTreeSet<usize>,
    apps: BTreeMap<String, AppDraft>,
    /// Directory XID → its entity id prefix.
    directories: HashMap<String, String>,
    /// Rule object index → where it went.
    rules: HashMap<usize, RuleInfo>,
    /// Response XID → its translated actions.
    responses: HashMap<String, responses::Translated>,
    complete: bool,
}

impl<'a> Importer<'a> {
    fn new(export: &'a Export, options: &'a ImportOptions) -> Self {
        Self {
            export,
            options,
            findings: Vec::new(),
            skipped: BTreeSet::new(),
            apps: BTreeMap::new(),
            directories: HashMap::new(),
            rules: HashMap::new(),
            responses: HashMap::new(),
            complete: true,
        }
    }

    fn report(
        &mut self,
        level: Level,
        code: &str,
        message: impl Into<String>,
        app: Option<&str>,
        objects: &[&XpsObject],
    ) {
        self.findings.push(Finding {
            level,
            code: code.to_owned(),
            message: message.into(),
            app: app.map(str::to_owned),
            objects: objects.iter().map(|o| ObjectRef::of(o)).collect(),
        });
    }

    /// Unknown classes and properties, and references that point outside the export.
    fn check_classes_and_references(&mut self) {
        let export = self.export;
        for (index, object) in export.objects.iter().enumerate() {
            let class = short_class(&object.class);
            let Some((_, known)) = KNOWN
                .iter()
                .find(|(c, _)| object.class.starts_with("CA.SM::") && *c == class)
            else {
                self.complete = false;
                self.skipped.insert(index);
                self.report(
                    Level::Warning,
                    "unsupported",
                    format!("objects of class {} are not imported", object.class),
                    None,
                    &[object],
                );
                continue;
            };
            for (name, values) in &object.properties {
                if !known.contains(&name.as_str()) {
                    self.report(
                        Level::Warning,
                        "unsupported",
                        format!(
                            "property {name} of {class} {} is not understood",
                            object.name()
                        ),
                        None,
                        &[object],
                    );
                }
                for value in values {
                    if let xps::Value::Link(xid) = value
                        && export.get(xid).is_none()
                    {
                        self.complete = false;
                        self.report(
                            Level::Error,
                            "unresolved-reference",
                            format!(
                                "{class} {} refers through {name} to {xid}, which is not in the export",
                                object.name()
                            ),
                            None,
                            &[object],
                        );
                    }
                }
            }
        }
    }

    /// The single object a link property points at, if it resolves.
    fn linked(&self, object: &XpsObject, property: &str) -> Option<(usize, &'a XpsObject)> {
        object
            .links(property)
            .first()
            .and_then(|xid| self.export.get(xid))
    }

    fn app_mut(&mut self, name: &str) -> &mut AppDraft {
        self.apps.entry(name.to_owned()).or_default()
    }

    fn finish(mut self) -> Import {
        self.finish_apps();
        let mut inventory = BTreeMap::new();
        for object in &self.export.objects {
            *inventory
                .entry(short_class(&object.class).to_owned())
                .or_insert(0) += 1;
        }
        let objects = self
            .export
            .objects
            .iter()
            .enumerate()
            .map(|(index, object)| ObjectFate {
                object: ObjectRef::of(object),
                fate: self.fate(index, object),
            })
            .collect();
        let mut applications = Vec::new();
        let mut dashboard = Vec::new();
        for (name, draft) in std::mem::take(&mut self.apps) {
            let mut summary = draft.summary;
            summary.app = name.clone();
            summary.blockers = self
                .findings
                .iter()
                .filter(|f| f.app.as_deref() == Some(&name))
                .filter(|f| matches!(f.level, Level::Error | Level::NeedsInput))
                .count();
            summary.ready = summary.blockers == 0;
            dashboard.push(summary);
            applications.extend(draft.app);
        }
        Import {
            applications,
            report: Report {
                inventory,
                findings: self.findings,
                objects,
                dashboard,
                complete: self.complete,
            },
        }
    }

    fn fate(&self, index: usize, object: &XpsObject) -> Fate {
        if self.skipped.contains(&index) {
            return Fate::NotMapped;
        }
        let mut fate = Fate::Mapped;
        for f in &self.findings {
            if f.objects.iter().any(|o| o.xid == object.xid) {
                match f.level {
                    Level::Error => return Fate::NotMapped,
                    Level::Warning => fate = Fate::MappedWithWarning,
                    Level::Info | Level::NeedsInput => {}
                }
            }
        }
        fate
    }
}
