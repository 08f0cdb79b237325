//! The version rule: `info.version` is semver; breaking changes need a major
//! bump, other contract changes at least a minor one, documentation none.

use crate::diff::{Bump, Change};
use crate::error::{Document, Error};

/// What the version rule says about a set of changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether any change is breaking.
    pub breaking: bool,
    /// The bump the changes need.
    pub required: Bump,
    /// Whether the versions satisfy it.
    pub ok: bool,
    /// Why, in one sentence.
    pub reason: String,
}

/// Judges `old_version` → `new_version` against `changes`. Errors name the
/// version that is not semver ([`Error::Version`]).
pub fn judge(old_version: &str, new_version: &str, changes: &[Change]) -> Result<Verdict, Error> {
    let parse = |document: Document, v: &str| {
        semver::Version::parse(v.trim()).map_err(|reason| Error::Version {
            document,
            version: v.to_string(),
            reason: reason.to_string(),
        })
    };
    let old = parse(Document::Old, old_version)?;
    let new = parse(Document::New, new_version)?;
    let required = changes.iter().map(|c| c.bump).max().unwrap_or(Bump::None);
    let breaking = required == Bump::Major;
    let given = if new.major > old.major {
        Bump::Major
    } else if new.major == old.major && new.minor > old.minor {
        Bump::Minor
    } else {
        Bump::None
    };
    let decreased = new < old;
    let ok = !decreased && given >= required;
    let first = |bump: Bump| {
        changes
            .iter()
            .find(|c| c.bump == bump)
            .map(|c| format!(" (e.g. {})", c.message))
            .unwrap_or_default()
    };
    let reason = if decreased {
        format!("the version went down, from {old} to {new}")
    } else if ok {
        match required {
            Bump::None => format!("no contract change; {old} → {new} is fine"),
            bump => format!(
                "the changes need a {} bump, and {old} → {new} gives it",
                bump.as_str()
            ),
        }
    } else {
        let suggestion = match required {
            Bump::Major => format!("{}.0.0", old.major + 1),
            _ => format!("{}.{}.0", old.major, old.minor + 1),
        };
        format!(
            "the changes need a {} bump{}, but {old} → {new} is not one; set info.version to {suggestion} or later",
            required.as_str(),
            first(required)
        )
    };
    Ok(Verdict {
        breaking,
        required,
        ok,
        reason,
    })
}
