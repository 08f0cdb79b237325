//! Does a server's OpenAPI document implement the spec? The same comparison as
//! `spec-diff` (spec as "old", server as "new"), where every contract change is
//! a mismatch, after one normalization: dropshot documents error responses as
//! ranges (`4XX`, `5XX`, on every endpoint), and a range covers the codes the
//! spec lists in it (a `4XX` that covers none is dropshot's, not the server's).

use std::fmt;

use serde_json::Value;

use crate::diff::{diff_contracts, Change, ChangeKind, Side, Wording};
use crate::error::{Document, Error};
use crate::model::{contract, Contract};

/// One way the server differs from the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch(pub Change);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.0;
        write!(f, "{}\n    {}", c.location, c.message)?;
        write!(
            f,
            "\n    spec says: {}\n    server says: {}",
            c.old.as_deref().unwrap_or("(nothing)"),
            c.new.as_deref().unwrap_or("(nothing)")
        )
    }
}

/// The differences between the spec and the server's document; empty when the
/// server implements the spec. Descriptions and examples are not compared.
///
/// A different `info.version` is a mismatch too ([`ChangeKind::VersionDiffers`]);
/// the caller knows where the server's version comes from and can say so.
pub fn conformance(spec: &Value, server: &Value) -> Result<Vec<Mismatch>, Error> {
    let spec = contract(spec).map_err(|e| e.of(Document::Spec))?;
    let mut server = contract(server).map_err(|e| e.of(Document::Server))?;
    expand_ranges(&spec, &mut server);
    let mut mismatches: Vec<Mismatch> = diff_contracts(&spec, &server, Wording::SpecServer)
        .into_iter()
        .map(Mismatch)
        .collect();
    if spec.version != server.version {
        mismatches.push(Mismatch(Change::new(
            ChangeKind::VersionDiffers,
            Side::Request, // the document, not a side: no bump either way
            "/info/version".into(),
            "info.version differs".into(),
            Some(spec.version.clone()),
            Some(server.version.clone()),
        )));
    }
    Ok(mismatches)
}

/// For each operation, gives the server every status the spec lists that one
/// of the server's ranges covers, then drops the ranges that covered any,
/// and a `4XX` that covered none.
fn expand_ranges(spec: &Contract, server: &mut Contract) {
    for (key, server_op) in server.operations.iter_mut() {
        let Some(spec_op) = spec.operations.get(key) else {
            continue;
        };
        let ranges: Vec<String> = server_op
            .responses
            .keys()
            .filter(|s| s.len() == 3 && s.ends_with("XX"))
            .cloned()
            .collect();
        for range in ranges {
            let first = &range[..1];
            let covered: Vec<&String> = spec_op
                .responses
                .keys()
                .filter(|s| s.starts_with(first) && s.chars().all(|c| c.is_ascii_digit()))
                .filter(|s| !server_op.responses.contains_key(*s))
                .collect();
            // dropshot documents `4XX` for every endpoint, whatever its error
            // type holds; an operation whose spec lists no 4xx (nothing to
            // check, no credential) has no 4xx answer to give, so that range
            // says nothing. A `5XX` the spec does not cover is a mismatch:
            // every operation answers dropshot's own failures with one.
            if covered.is_empty() && first != "4" {
                continue;
            }
            let body = server_op
                .responses
                .remove(&range)
                .expect("range listed above");
            for status in covered {
                server_op.responses.insert(status.clone(), body.clone());
            }
        }
    }
}
