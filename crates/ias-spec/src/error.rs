//! What can go wrong reading or comparing documents, and in which document.

use std::fmt;

/// Which of the documents being compared a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The old revision (spec-diff).
    Old,
    /// The new revision (spec-diff).
    New,
    /// The spec (conformance).
    Spec,
    /// A server's OpenAPI document (conformance).
    Server,
}

impl Document {
    /// `old`, `new`, `spec`, `server`: the document as an adjective.
    pub fn adjective(self) -> &'static str {
        match self {
            Document::Old => "old",
            Document::New => "new",
            Document::Spec => "spec",
            Document::Server => "server",
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Document::Old => "old document",
            Document::New => "new document",
            Document::Spec => "spec",
            Document::Server => "server document",
        })
    }
}

/// A `$ref` that cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// `$ref: other.yaml#/...`.
    #[error("$ref {0:?} is not local (#/...); only local references are supported")]
    NotLocal(String),
    /// The pointer names nothing in the document.
    #[error("$ref {0:?} does not resolve")]
    Unresolved(String),
    /// References that lead back to themselves.
    #[error("$ref {0:?} refers to itself")]
    Cycle(String),
}

impl RefError {
    /// This problem, found in `document`.
    pub fn of(self, document: Document) -> Error {
        Error::Reference {
            document,
            problem: self,
        }
    }
}

/// Why two documents could not be compared. (Reading one is
/// [`mod@crate::load`]'s, whose [`crate::SpecError`] names the file and line.)
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A `$ref` in `document` cannot be followed.
    #[error("{document}: {problem}")]
    Reference {
        /// Where.
        document: Document,
        /// What.
        problem: RefError,
    },
    /// `document`'s `info.version` is not semver.
    #[error(
        "{} info.version {version:?} is not semver (MAJOR.MINOR.PATCH): {reason}",
        document.adjective()
    )]
    Version {
        /// Where.
        document: Document,
        /// The version as written.
        version: String,
        /// What the semver parser says.
        reason: String,
    },
    /// `document`'s documented-error catalogue cannot be read; the problem
    /// names the file and line.
    #[error("{problem}")]
    Catalogue {
        /// Where.
        document: Document,
        /// What, with the file and line.
        problem: crate::load::SpecError,
    },
}

impl Error {
    /// The document the problem is in.
    pub fn document(&self) -> Document {
        match self {
            Error::Reference { document, .. }
            | Error::Version { document, .. }
            | Error::Catalogue { document, .. } => *document,
        }
    }
}
