//! What can go wrong reading or comparing documents, and in which document.

use std::fmt;

use crate::load::SpecError;

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

/// Why documents could not be read or compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The text is not a usable OpenAPI document (names the file and line).
    #[error(transparent)]
    Load(#[from] SpecError),
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
}

impl Error {
    /// The document the problem is in, when it is one of a pair.
    pub fn document(&self) -> Option<Document> {
        match self {
            Error::Load(_) => None,
            Error::Reference { document, .. } | Error::Version { document, .. } => Some(*document),
        }
    }
}
