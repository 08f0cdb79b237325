//! Comparing two contracts: every change, where it is, and whether a client
//! generated from (or written against) the old document can stop working
//! against the new one — at run time, or at compile time once regenerated.
//!
//! The rules, by where a change is (in code: `ChangeKind::rule`, row by row):
//!
//! | change | request side | response side |
//! |---|---|---|
//! | operation removed, moved (path or method), operationId changed | breaking | |
//! | operation added | compatible | |
//! | property added | breaking if required, else compatible | compatible |
//! | property removed | breaking (regenerated code loses the field) | breaking |
//! | optional → required | breaking | compatible |
//! | required → optional | compatible | breaking |
//! | type or format changed, `oneOf`/`anyOf` alternatives changed (some added and some removed) | breaking | breaking |
//! | a `oneOf`/`anyOf` alternative added | compatible | breaking (as an enum value) |
//! | a `oneOf`/`anyOf` alternative removed | breaking | compatible (as an enum value) |
//! | enum value added | compatible | breaking (progenitor's enums are exhaustive) |
//! | enum value removed | breaking | compatible |
//! | enum introduced or dropped | breaking (the generated type changes) | breaking |
//! | made nullable | compatible | breaking |
//! | a bound tightened (`minLength` up, `maximum` down, ...) | breaking | compatible |
//! | a bound loosened | compatible | breaking |
//! | `pattern`, `multipleOf`, ... changed | breaking | breaking |
//! | a constraint introduced | breaking | compatible, unless the generated type changes |
//! | a constraint dropped | compatible, unless the generated type changes | breaking |
//! | extra properties refused (`additionalProperties: false`) | breaking | compatible |
//! | extra properties allowed again | compatible | breaking |
//! | security required where none was, or changed | breaking | |
//! | security no longer required | compatible | |
//! | status code added / removed | | compatible / breaking |
//! | documented error (`[group, code]`) added | | compatible (the generated `ErrorCode`s are `#[non_exhaustive]`) |
//! | documented error removed | | breaking (regenerated code loses the variant) |
//! | documented error moved to another status | | breaking |
//! | documented error renamed in Rust (`x-ias-error-names`) | | breaking (code matching on the variant stops compiling) |
//! | component schema removed or renamed | breaking (the generated type of that name is gone) | breaking |
//! | media type added / removed | compatible / breaking | compatible / breaking |
//! | descriptions, summaries, examples, `x-*`, `deprecated`, tags | documentation: no bump | |
//!
//! "The generated type changes": typify (progenitor's type generator) turns a
//! string with `minLength`, `maxLength` or `pattern` into a validated newtype,
//! and an integer with a `minimum` into an unsigned or non-zero type; adding or
//! dropping such a constraint changes the Rust type, which breaks code that
//! compiles against it on either side.
//!
//! `$ref`s are resolved before comparing (see [`crate::model`]), so moving a
//! schema into `components` is not a change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::catalogue::Catalogue;
use crate::error::{Document, Error};
use crate::load::SpecDocument;
use crate::model::{
    Body, Contract, Operation, OperationKey, Parameter, ParameterKey, Schema, LOWER_BOUNDS,
    OTHER_CONSTRAINTS, UPPER_BOUNDS,
};

/// The version bump a change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Documentation only.
    None,
    /// A compatible change to the contract.
    Minor,
    /// A breaking change.
    Major,
}

impl Bump {
    /// `"none"`, `"minor"`, `"major"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// Which way data flows through what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Sent by clients (parameters, request bodies; and the operation itself):
    /// the new document must accept what old clients send.
    Request,
    /// Received by clients: old clients must understand what the new one sends.
    Response,
}

/// How a security requirement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// None was required; now one is.
    NowRequired,
    /// One was required; now none is.
    NoLongerRequired,
    /// A different one is required.
    Changed,
}

/// The rule a change falls under. [`ChangeKind::bump`] gives the rules table;
/// [`ChangeKind::name`] is the stable name in `spec-diff`'s JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is its name
pub enum ChangeKind {
    OperationRemoved,
    PathChanged,
    MethodChanged,
    OperationIdChanged,
    OperationAdded,
    SecurityChanged(Security),
    ParameterAdded {
        required: bool,
    },
    ParameterRemoved,
    ParameterRequired,
    ParameterOptional,
    RequestBodyAdded {
        required: bool,
    },
    RequestBodyRemoved,
    RequestBodyRequired,
    RequestBodyOptional,
    StatusAdded,
    StatusRemoved,
    MediaTypeAdded,
    MediaTypeRemoved,
    PropertyAdded {
        required: bool,
    },
    PropertyRemoved,
    /// An existing property became required.
    RequiredAdded,
    /// A required property became optional.
    RequiredRemoved,
    TypeChanged,
    FormatChanged,
    /// `oneOf`/`anyOf` alternatives changed (some added, some removed).
    AlternativesChanged,
    /// `oneOf`/`anyOf` alternatives added, none removed.
    AlternativeAdded,
    /// `oneOf`/`anyOf` alternatives removed, none added.
    AlternativeRemoved,
    NullableChanged {
        nullable: bool,
    },
    EnumIntroduced,
    EnumDropped,
    EnumValueAdded,
    EnumValueRemoved,
    /// `retypes`: typify's Rust type depends on this constraint (module docs).
    ConstraintAdded {
        retypes: bool,
    },
    ConstraintDropped {
        retypes: bool,
    },
    /// `tightened`: `None` for a pattern or a flag, which has no direction.
    ConstraintChanged {
        tightened: Option<bool>,
    },
    /// `allowed`: whether properties not listed are allowed now.
    AdditionalPropertiesChanged {
        allowed: bool,
    },
    /// A `[group, code]` pair documented in an operation's error responses
    /// (see [`crate::catalogue`]).
    ErrorAdded,
    ErrorRemoved,
    /// A documented pair is answered with another status.
    ErrorStatusChanged,
    /// A documented pair's Rust name (`x-ias-error-names`) changed.
    ErrorRenamed,
    /// A component schema is gone by name: its generated type is too.
    SchemaRemoved,
    TagsChanged,
    /// Descriptions, summaries, examples, `x-*`, `deprecated`...
    Documentation,
    /// `info.version` differs (conformance only; spec-diff judges versions
    /// with [`crate::version`]).
    VersionDiffers,
}

impl ChangeKind {
    /// The bump a change of this kind needs on `side`.
    pub fn bump(self, side: Side) -> Bump {
        let (request, response) = self.rule();
        match side {
            Side::Request => request,
            Side::Response => response,
        }
    }

    /// (request side, response side): the table in the module docs, row by row.
    /// Operation-level kinds are on the request side; a status code only on the
    /// response side.
    #[rustfmt::skip]
    fn rule(self) -> (Bump, Bump) {
        use Bump::{Major, Minor};
        use ChangeKind as K;
        use Security::{Changed, NoLongerRequired, NowRequired};
        const DOCS: Bump = Bump::None;
        match self {
            K::OperationRemoved | K::PathChanged | K::MethodChanged | K::OperationIdChanged => (Major, Major),
            K::OperationAdded => (Minor, Minor),
            K::PropertyAdded { required: true } | K::ParameterAdded { required: true } | K::RequestBodyAdded { required: true } => (Major, Minor),
            K::PropertyAdded { required: false } | K::ParameterAdded { required: false } | K::RequestBodyAdded { required: false } => (Minor, Minor),
            K::PropertyRemoved | K::ParameterRemoved | K::RequestBodyRemoved => (Major, Major),
            K::RequiredAdded | K::ParameterRequired | K::RequestBodyRequired => (Major, Minor),
            K::RequiredRemoved | K::ParameterOptional | K::RequestBodyOptional => (Minor, Major),
            K::TypeChanged | K::FormatChanged => (Major, Major),
            K::EnumValueAdded => (Minor, Major),
            K::EnumValueRemoved => (Major, Minor),
            K::EnumIntroduced | K::EnumDropped => (Major, Major),
            K::NullableChanged { nullable: true } => (Minor, Major),
            K::NullableChanged { nullable: false } => (Major, Minor),
            K::ConstraintChanged { tightened: Some(true) } => (Major, Minor),
            K::ConstraintChanged { tightened: Some(false) } => (Minor, Major),
            K::ConstraintChanged { tightened: None } | K::AlternativesChanged => (Major, Major),
            K::AlternativeAdded => (Minor, Major),
            K::AlternativeRemoved => (Major, Minor),
            K::ConstraintAdded { retypes: false } => (Major, Minor),
            K::ConstraintDropped { retypes: false } => (Minor, Major),
            K::ConstraintAdded { retypes: true } | K::ConstraintDropped { retypes: true } => (Major, Major),
            K::AdditionalPropertiesChanged { allowed: false } => (Major, Minor),
            K::AdditionalPropertiesChanged { allowed: true } => (Minor, Major),
            K::SecurityChanged(NowRequired | Changed) => (Major, Major),
            K::SecurityChanged(NoLongerRequired) => (Minor, Minor),
            K::StatusAdded | K::MediaTypeAdded => (Minor, Minor),
            K::StatusRemoved | K::MediaTypeRemoved => (Major, Major),
            K::ErrorAdded => (Minor, Minor),
            K::ErrorRemoved | K::ErrorStatusChanged | K::ErrorRenamed => (Major, Major),
            K::SchemaRemoved => (Major, Major),
            K::TagsChanged | K::Documentation | K::VersionDiffers => (DOCS, DOCS),
        }
    }

    /// The stable, machine-readable name (`property-removed`, ...).
    pub fn name(self) -> &'static str {
        use ChangeKind as K;
        match self {
            K::OperationRemoved => "operation-removed",
            K::PathChanged => "path-changed",
            K::MethodChanged => "method-changed",
            K::OperationIdChanged => "operation-id-changed",
            K::OperationAdded => "operation-added",
            K::SecurityChanged(_) => "security-changed",
            K::ParameterAdded { .. } => "parameter-added",
            K::ParameterRemoved => "parameter-removed",
            K::ParameterRequired => "parameter-required",
            K::ParameterOptional => "parameter-optional",
            K::RequestBodyAdded { .. } => "request-body-added",
            K::RequestBodyRemoved => "request-body-removed",
            K::RequestBodyRequired => "request-body-required",
            K::RequestBodyOptional => "request-body-optional",
            K::StatusAdded => "status-added",
            K::StatusRemoved => "status-removed",
            K::MediaTypeAdded => "media-type-added",
            K::MediaTypeRemoved => "media-type-removed",
            K::PropertyAdded { .. } => "property-added",
            K::PropertyRemoved => "property-removed",
            K::RequiredAdded => "required-added",
            K::RequiredRemoved => "required-removed",
            K::TypeChanged => "type-changed",
            K::FormatChanged => "format-changed",
            K::AlternativesChanged => "alternatives-changed",
            K::AlternativeAdded => "alternative-added",
            K::AlternativeRemoved => "alternative-removed",
            K::NullableChanged { .. } => "nullable-changed",
            K::EnumIntroduced => "enum-introduced",
            K::EnumDropped => "enum-dropped",
            K::EnumValueAdded => "enum-value-added",
            K::EnumValueRemoved => "enum-value-removed",
            K::ConstraintAdded { .. } => "constraint-added",
            K::ConstraintDropped { .. } => "constraint-dropped",
            K::ConstraintChanged { .. } => "constraint-changed",
            K::AdditionalPropertiesChanged { .. } => "additional-properties-changed",
            K::ErrorAdded => "error-added",
            K::ErrorRemoved => "error-removed",
            K::ErrorStatusChanged => "error-status-changed",
            K::ErrorRenamed => "error-renamed",
            K::SchemaRemoved => "schema-removed",
            K::TagsChanged => "tags-changed",
            K::Documentation => "documentation",
            K::VersionDiffers => "version-differs",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One difference between two documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where, as a JSON Pointer into the operation (after `$ref` resolution).
    pub location: String,
    /// The rule it falls under.
    pub kind: ChangeKind,
    /// The bump it needs (from `kind` and the side); `Major` means breaking.
    pub bump: Bump,
    /// One line for people.
    pub message: String,
    /// What the old (or spec) side says, when there is something to say.
    pub old: Option<String>,
    /// What the new (or server) side says.
    pub new: Option<String>,
}

impl Change {
    /// A change of `kind` on `side`; its bump comes from the rules table.
    pub fn new(
        kind: ChangeKind,
        side: Side,
        location: String,
        message: String,
        old: Option<String>,
        new: Option<String>,
    ) -> Self {
        Change {
            location,
            kind,
            bump: kind.bump(side),
            message,
            old,
            new,
        }
    }

    /// Whether a client of the old document can break.
    pub fn breaking(&self) -> bool {
        self.bump == Bump::Major
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.bump {
            Bump::Major => "breaking",
            Bump::Minor => "compatible",
            Bump::None => "docs",
        };
        write!(f, "{label:<10} {}: {}", self.location, self.message)
    }
}

/// What the two documents are, for the words of messages: something only in
/// the first one "was removed" (old → new) or "is in the spec but not in the
/// server" (spec → server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// An old and a new revision.
    OldNew,
    /// A spec and a server's document.
    SpecServer,
}

impl Wording {
    fn removed(self) -> &'static str {
        match self {
            Wording::OldNew => "was removed",
            Wording::SpecServer => "is in the spec but not in the server",
        }
    }

    fn added(self) -> &'static str {
        match self {
            Wording::OldNew => "was added",
            Wording::SpecServer => "is in the server but not in the spec",
        }
    }
}

/// Every change between two documents (as JSON), contract and documentation.
pub fn diff_documents(old: &Value, new: &Value) -> Result<Vec<Change>, Error> {
    let old_contract = crate::model::contract(old).map_err(|e| e.of(Document::Old))?;
    let new_contract = crate::model::contract(new).map_err(|e| e.of(Document::New))?;
    let mut changes = diff_contracts(&old_contract, &new_contract, Wording::OldNew);
    schemas_removed(old, new, &mut changes);
    crate::documentation::changes(old, new, &mut changes);
    Ok(changes)
}

/// Component schemas gone by name (removed, renamed or inlined): the
/// generated client names a type after each, so code naming it stops
/// compiling even when the wire format is the same.
fn schemas_removed(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let names = |doc: &Value| -> BTreeSet<String> {
        doc["components"]["schemas"]
            .as_object()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    };
    let now = names(new);
    for name in names(old).difference(&now) {
        out.push(Change::new(
            ChangeKind::SchemaRemoved,
            Side::Response,
            format!("/components/schemas/{}", escape(name)),
            format!(
                "schema {name} was removed or renamed: the generated type {name} is gone \
                 (code that names it stops compiling)"
            ),
            Some(name.clone()),
            None,
        ));
    }
}

/// Every change between two specs: [`diff_documents`], and the documented
/// errors of each operation ([`crate::catalogue`]).
pub fn diff_specs(old: &SpecDocument, new: &SpecDocument) -> Result<Vec<Change>, Error> {
    let mut changes = diff_documents(&old.json, &new.json)?;
    let catalogue = |doc, document| {
        Catalogue::of(doc).map_err(|problem| Error::Catalogue { document, problem })
    };
    let (old, new) = (
        catalogue(old, Document::Old)?,
        catalogue(new, Document::New)?,
    );
    changes.extend(crate::catalogue::changes(&old, &new));
    Ok(changes)
}

/// The contract changes between two contracts.
pub fn diff_contracts(old: &Contract, new: &Contract, wording: Wording) -> Vec<Change> {
    let mut d = Differ {
        changes: Vec::new(),
        side: Side::Request,
        wording,
    };
    // An operation gone from its place but found elsewhere by its
    // operationId has moved (and is not also "added" there).
    let ids_new: BTreeMap<&str, &OperationKey> = new
        .operations
        .iter()
        .filter(|(_, op)| !op.operation_id.is_empty())
        .map(|(k, op)| (op.operation_id.as_str(), k))
        .collect();
    let moved = |op: &Operation| {
        ids_new
            .get(op.operation_id.as_str())
            .copied()
            .filter(|to| !old.operations.contains_key(*to))
    };
    let moved_to: BTreeSet<&OperationKey> = old.operations.values().filter_map(moved).collect();
    for (key, pair) in paired(&old.operations, &new.operations) {
        let (loc, label) = (key.pointer(), key.label());
        match pair {
            Paired::Both(o, n) => d.operation(&loc, &label, o, n),
            Paired::Old(o) => match moved(o) {
                Some(to) => {
                    let kind = if to.path == key.path {
                        ChangeKind::MethodChanged
                    } else {
                        ChangeKind::PathChanged
                    };
                    let message = format!(
                        "operation {} moved from {label} to {}",
                        o.operation_id,
                        to.label()
                    );
                    d.push(&loc, kind, message, Some(label.clone()), Some(to.label()));
                }
                None => {
                    let what = format!("operation {label} ({})", o.operation_id);
                    d.removed(&loc, ChangeKind::OperationRemoved, &what, Some(label));
                }
            },
            Paired::New(_) if moved_to.contains(key) => {}
            Paired::New(n) => {
                let what = format!("operation {label} ({})", n.operation_id);
                d.added(&loc, ChangeKind::OperationAdded, &what, Some(label));
            }
        }
    }
    d.changes
}

/// One key of two maps, and what each side has under it.
enum Paired<'a, V> {
    /// Only the old (or spec) side has it.
    Old(&'a V),
    /// Only the new (or server) side has it.
    New(&'a V),
    Both(&'a V, &'a V),
}

/// Every key of `old` (in order, with what `new` has), then the keys only
/// `new` has.
fn paired<'a, K: Ord, V>(
    old: &'a BTreeMap<K, V>,
    new: &'a BTreeMap<K, V>,
) -> impl Iterator<Item = (&'a K, Paired<'a, V>)> {
    let from_old = old.iter().map(|(k, o)| {
        let pair = match new.get(k) {
            Some(n) => Paired::Both(o, n),
            None => Paired::Old(o),
        };
        (k, pair)
    });
    let only_new = new
        .iter()
        .filter(|(k, _)| !old.contains_key(*k))
        .map(|(k, n)| (k, Paired::New(n)));
    from_old.chain(only_new)
}

struct Differ {
    changes: Vec<Change>,
    /// The side of what is being compared (set on entering parameters, a
    /// request body or a response).
    side: Side,
    wording: Wording,
}

impl Differ {
    /// Records a change on the current side.
    fn push(
        &mut self,
        loc: &str,
        kind: ChangeKind,
        message: String,
        old: Option<String>,
        new: Option<String>,
    ) {
        let change = Change::new(kind, self.side, loc.to_string(), message, old, new);
        self.changes.push(change);
    }

    /// `what` is only on the old side: "{what} was removed".
    fn removed(&mut self, loc: &str, kind: ChangeKind, what: &str, old: Option<String>) {
        let message = format!("{what} {}", self.wording.removed());
        self.push(loc, kind, message, old, None);
    }

    /// `what` is only on the new side: "{what} was added".
    fn added(&mut self, loc: &str, kind: ChangeKind, what: &str, new: Option<String>) {
        let message = format!("{what} {}", self.wording.added());
        self.push(loc, kind, message, None, new);
    }

    fn operation(&mut self, loc: &str, label: &str, old: &Operation, new: &Operation) {
        self.side = Side::Request;
        if old.operation_id != new.operation_id {
            self.push(
                &format!("{loc}/operationId"),
                ChangeKind::OperationIdChanged,
                format!(
                    "{label}: operationId changed from {} to {} (the generated method is renamed)",
                    old.operation_id, new.operation_id
                ),
                Some(old.operation_id.clone()),
                Some(new.operation_id.clone()),
            );
        }
        if old.tags != new.tags {
            self.push(
                &format!("{loc}/tags"),
                ChangeKind::TagsChanged,
                format!(
                    "{label}: tags changed from {:?} to {:?}",
                    old.tags, new.tags
                ),
                Some(format!("{:?}", old.tags)),
                Some(format!("{:?}", new.tags)),
            );
        }
        if old.security != new.security {
            let show = |s: &BTreeSet<BTreeSet<String>>| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    format!("{s:?}")
                }
            };
            let (how, message) = if new.security.is_empty() {
                (
                    Security::NoLongerRequired,
                    format!("{label}: authentication is no longer required"),
                )
            } else if old.security.is_empty() {
                (
                    Security::NowRequired,
                    format!(
                        "{label}: authentication is now required ({})",
                        show(&new.security)
                    ),
                )
            } else {
                (
                    Security::Changed,
                    format!("{label}: security requirements changed"),
                )
            };
            self.push(
                &format!("{loc}/security"),
                ChangeKind::SecurityChanged(how),
                message,
                Some(show(&old.security)),
                Some(show(&new.security)),
            );
        }
        self.parameters(loc, label, &old.parameters, &new.parameters);
        self.request_body(
            loc,
            label,
            old.request_body.as_ref(),
            new.request_body.as_ref(),
        );
        self.responses(loc, label, &old.responses, &new.responses);
    }

    /// `required` went from `was` to `is`: `kinds` names the two directions
    /// (became required, became optional).
    fn required_change(
        &mut self,
        loc: &str,
        what: &str,
        (was, is): (bool, bool),
        kinds: [ChangeKind; 2],
    ) {
        let (kind, became, before) = match (was, is) {
            (false, true) => (kinds[0], "required", "optional"),
            (true, false) => (kinds[1], "optional", "required"),
            _ => return,
        };
        self.push(
            loc,
            kind,
            format!("{what} became {became}"),
            Some(before.into()),
            Some(became.into()),
        );
    }

    fn parameters(
        &mut self,
        loc: &str,
        label: &str,
        old: &BTreeMap<ParameterKey, Parameter>,
        new: &BTreeMap<ParameterKey, Parameter>,
    ) {
        self.side = Side::Request;
        for (key, pair) in paired(old, new) {
            let ploc = format!("{loc}/parameters/{}/{}", key.location, escape(&key.name));
            let what = format!("{label}: {} parameter {}", key.location, key.name);
            match pair {
                Paired::Old(_) => {
                    self.removed(
                        &ploc,
                        ChangeKind::ParameterRemoved,
                        &what,
                        Some("present".into()),
                    );
                }
                Paired::New(n) => {
                    let adj = required_word(n.required);
                    let kind = ChangeKind::ParameterAdded {
                        required: n.required,
                    };
                    self.added(&ploc, kind, &format!("{what} ({adj})"), Some(adj.into()));
                }
                Paired::Both(o, n) => {
                    self.required_change(
                        &ploc,
                        &what,
                        (o.required, n.required),
                        [ChangeKind::ParameterRequired, ChangeKind::ParameterOptional],
                    );
                    self.schema(&format!("{ploc}/schema"), &what, &o.schema, &n.schema);
                }
            }
        }
    }

    fn request_body(&mut self, loc: &str, label: &str, old: Option<&Body>, new: Option<&Body>) {
        self.side = Side::Request;
        let bloc = format!("{loc}/requestBody");
        let what = format!("{label}: request body");
        match (old, new) {
            (None, None) => {}
            (None, Some(n)) => {
                let adj = required_word(n.required);
                let kind = ChangeKind::RequestBodyAdded {
                    required: n.required,
                };
                self.added(&bloc, kind, &format!("{what} ({adj})"), Some(adj.into()));
            }
            (Some(_), None) => {
                self.removed(
                    &bloc,
                    ChangeKind::RequestBodyRemoved,
                    &what,
                    Some("present".into()),
                );
            }
            (Some(o), Some(n)) => {
                self.required_change(
                    &bloc,
                    &what,
                    (o.required, n.required),
                    [
                        ChangeKind::RequestBodyRequired,
                        ChangeKind::RequestBodyOptional,
                    ],
                );
                self.content(&bloc, &what, &o.content, &n.content);
            }
        }
    }

    fn responses(
        &mut self,
        loc: &str,
        label: &str,
        old: &BTreeMap<String, Body>,
        new: &BTreeMap<String, Body>,
    ) {
        self.side = Side::Response;
        for (status, pair) in paired(old, new) {
            let rloc = format!("{loc}/responses/{status}");
            let what = format!("{label}: response {status}");
            match pair {
                Paired::Old(_) => {
                    self.removed(
                        &rloc,
                        ChangeKind::StatusRemoved,
                        &what,
                        Some(status.clone()),
                    );
                }
                Paired::New(_) => {
                    self.added(&rloc, ChangeKind::StatusAdded, &what, Some(status.clone()));
                }
                Paired::Both(o, n) => self.content(&rloc, &what, &o.content, &n.content),
            }
        }
    }

    fn content(
        &mut self,
        loc: &str,
        what: &str,
        old: &BTreeMap<String, Schema>,
        new: &BTreeMap<String, Schema>,
    ) {
        for (media, pair) in paired(old, new) {
            let mloc = format!("{loc}/content/{}", escape(media));
            let mwhat = format!("{what}: media type {media}");
            match pair {
                Paired::Old(_) => self.removed(
                    &format!("{mloc}/schema"),
                    ChangeKind::MediaTypeRemoved,
                    &mwhat,
                    Some(media.clone()),
                ),
                Paired::New(_) => {
                    self.added(
                        &mloc,
                        ChangeKind::MediaTypeAdded,
                        &mwhat,
                        Some(media.clone()),
                    );
                }
                Paired::Both(o, n) => self.schema(&format!("{mloc}/schema"), what, o, n),
            }
        }
    }

    fn schema(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema) {
        if old.recursive.is_some() || new.recursive.is_some() {
            if old.recursive != new.recursive {
                self.push(
                    loc,
                    ChangeKind::TypeChanged,
                    format!("{what}: recursive schema changed"),
                    old.recursive.clone(),
                    new.recursive.clone(),
                );
            }
            return;
        }
        if old.type_ != new.type_ {
            self.push(
                loc,
                ChangeKind::TypeChanged,
                format!(
                    "{what}: type changed from {} to {}",
                    old.type_label(),
                    new.type_label()
                ),
                Some(old.type_label()),
                Some(new.type_label()),
            );
            return;
        }
        if old.format != new.format {
            self.push(
                loc,
                ChangeKind::FormatChanged,
                format!(
                    "{what}: format changed from {} to {}",
                    old.type_label(),
                    new.type_label()
                ),
                Some(old.type_label()),
                Some(new.type_label()),
            );
        }
        if old.nullable != new.nullable {
            let message = if new.nullable {
                "may now be null"
            } else {
                "may no longer be null"
            };
            self.push(
                loc,
                ChangeKind::NullableChanged {
                    nullable: new.nullable,
                },
                format!("{what}: {message}"),
                Some(old.nullable.to_string()),
                Some(new.nullable.to_string()),
            );
        }
        self.enums(loc, what, old, new);
        self.constraints(loc, what, old, new);
        self.extra_properties(loc, what, old, new);
        self.properties(loc, what, old, new);
        if let (Some(o), Some(n)) = (&old.items, &new.items) {
            self.schema(&format!("{loc}/items"), &format!("{what} items"), o, n);
        } else if old.items.is_some() != new.items.is_some() {
            self.push(
                &format!("{loc}/items"),
                ChangeKind::TypeChanged,
                format!("{what}: items changed"),
                None,
                None,
            );
        }
        if old.alternatives != new.alternatives {
            let added = new
                .alternatives
                .iter()
                .any(|a| !old.alternatives.contains(a));
            let removed = old
                .alternatives
                .iter()
                .any(|a| !new.alternatives.contains(a));
            let (kind, how) = match (added, removed) {
                (true, false) => (ChangeKind::AlternativeAdded, "an alternative added"),
                (false, true) => (ChangeKind::AlternativeRemoved, "an alternative removed"),
                _ => (ChangeKind::AlternativesChanged, "alternatives changed"),
            };
            self.push(
                loc,
                kind,
                format!("{what}: oneOf/anyOf {how}"),
                Some(format!("{} alternatives", old.alternatives.len())),
                Some(format!("{} alternatives", new.alternatives.len())),
            );
        }
    }

    fn constraints(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema) {
        let type_ = old.type_.as_deref().unwrap_or_default();
        for key in LOWER_BOUNDS
            .iter()
            .chain(UPPER_BOUNDS)
            .chain(OTHER_CONSTRAINTS)
        {
            let (o, n) = (old.constraints.get(key), new.constraints.get(key));
            let retypes = generated_type_depends_on(type_, key);
            let why = if retypes {
                " (the generated type changes)"
            } else {
                ""
            };
            let (kind, message) = match (o, n) {
                (None, None) => continue,
                (Some(o), Some(n)) if o == n => continue,
                (None, Some(n)) => (
                    ChangeKind::ConstraintAdded { retypes },
                    format!("{what}: {key}: {n} was introduced{why}"),
                ),
                (Some(o), None) => (
                    ChangeKind::ConstraintDropped { retypes },
                    format!("{what}: {key}: {o} was dropped{why}"),
                ),
                (Some(o), Some(n)) => {
                    let tightened = match (o.as_f64(), n.as_f64()) {
                        (Some(a), Some(b)) if LOWER_BOUNDS.contains(key) => Some(b > a),
                        (Some(a), Some(b)) if UPPER_BOUNDS.contains(key) => Some(b < a),
                        _ => None, // a pattern or a flag: no direction to judge
                    };
                    (
                        ChangeKind::ConstraintChanged { tightened },
                        format!("{what}: {key} changed from {o} to {n}"),
                    )
                }
            };
            self.push(
                &format!("{loc}/{key}"),
                kind,
                message,
                o.map(Value::to_string),
                n.map(Value::to_string),
            );
        }
    }

    fn extra_properties(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema) {
        let (was, is) = (
            old.additional_properties != Some(false),
            new.additional_properties != Some(false),
        );
        if was == is {
            return;
        }
        let message = match (is, self.side) {
            (false, Side::Request) => "properties not listed are now refused",
            (false, Side::Response) => "no properties beyond those listed will be sent",
            (true, Side::Request) => "properties not listed are now accepted",
            (true, Side::Response) => "properties not listed may now be sent",
        };
        self.push(
            &format!("{loc}/additionalProperties"),
            ChangeKind::AdditionalPropertiesChanged { allowed: is },
            format!("{what}: {message}"),
            Some(was.to_string()),
            Some(is.to_string()),
        );
    }

    fn enums(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema) {
        let eloc = format!("{loc}/enum");
        match (&old.enum_values, &new.enum_values) {
            (None, None) => {}
            (None, Some(n)) => self.push(
                &eloc,
                ChangeKind::EnumIntroduced,
                format!(
                    "{what}: now restricted to {} (the generated type changes)",
                    list(n)
                ),
                None,
                Some(list(n)),
            ),
            (Some(o), None) => self.push(
                &eloc,
                ChangeKind::EnumDropped,
                format!(
                    "{what}: no longer restricted to {} (the generated type changes)",
                    list(o)
                ),
                Some(list(o)),
                None,
            ),
            (Some(o), Some(n)) => {
                let w = self.wording;
                let removed = o.iter().filter(|v| !n.contains(v));
                let added = n.iter().filter(|v| !o.contains(v));
                let cases = removed
                    .map(|v| (ChangeKind::EnumValueRemoved, v, w.removed()))
                    .chain(added.map(|v| (ChangeKind::EnumValueAdded, v, w.added())));
                for (kind, v, verb) in cases {
                    self.push(
                        &eloc,
                        kind,
                        format!("{what}: enum value {v} {verb}"),
                        Some(list(o)),
                        Some(list(n)),
                    );
                }
            }
        }
    }

    fn properties(&mut self, loc: &str, what: &str, old: &Schema, new: &Schema) {
        for (name, pair) in paired(&old.properties, &new.properties) {
            let ploc = format!("{loc}/properties/{}", escape(name));
            match pair {
                Paired::Old(o) => {
                    let pwhat = format!("{what}: property {name}");
                    self.removed(
                        &ploc,
                        ChangeKind::PropertyRemoved,
                        &pwhat,
                        Some(o.type_label()),
                    );
                }
                Paired::New(n) => {
                    let required = new.required.contains(name);
                    let adj = required_word(required);
                    let pwhat = format!("{what}: {adj} property {name} ({})", n.type_label());
                    let kind = ChangeKind::PropertyAdded { required };
                    self.added(
                        &ploc,
                        kind,
                        &pwhat,
                        Some(format!("{adj} {}", n.type_label())),
                    );
                }
                Paired::Both(o, n) => {
                    let pwhat = format!("{what}: property {name}");
                    self.required_change(
                        &ploc,
                        &pwhat,
                        (old.required.contains(name), new.required.contains(name)),
                        [ChangeKind::RequiredAdded, ChangeKind::RequiredRemoved],
                    );
                    self.schema(&ploc, &pwhat, o, n);
                }
            }
        }
    }
}

fn required_word(required: bool) -> &'static str {
    if required {
        "required"
    } else {
        "optional"
    }
}

/// Whether typify's Rust type for a schema of this `type` depends on `key`
/// (see the module docs).
fn generated_type_depends_on(type_: &str, key: &str) -> bool {
    matches!(
        (type_, key),
        ("string", "minLength" | "maxLength" | "pattern")
            | ("integer", "minimum" | "exclusiveMinimum")
    )
}

fn list(values: &[Value]) -> String {
    format!(
        "[{}]",
        values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// RFC 6901 escaping of one pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
