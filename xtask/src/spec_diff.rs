//! `cargo xtask spec-diff`: the changes between two versions of the spec,
//! classified (see `ias_spec::diff` for the rules) and checked against the
//! version rule. Exit 0: the version rule holds; 1: it does not; 2: usage or
//! parse error.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ias_spec::version::{judge, Verdict};
use ias_spec::{Bump, Change, Document, SpecDocument};
use serde_json::json;

use crate::codegen::SPEC;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// One JSON object: breaking, requiredBump, versionOk, changes.
    Json,
}

/// What to compare.
pub enum Input {
    /// Two files.
    Files(PathBuf, PathBuf),
    /// The spec at a git revision against the working tree.
    Base(String),
}

/// Exit code for usage and parse errors.
const USAGE: u8 = 2;

pub fn run(root: &Path, input: Input, format: Format) -> ExitCode {
    match compare(root, input) {
        Ok((old, new, changes, verdict)) => {
            match format {
                Format::Json => println!("{}", to_json(&old, &new, &changes, &verdict)),
                Format::Text => print_text(&old, &new, &changes, &verdict),
            }
            if verdict.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(USAGE)
        }
    }
}

type Compared = (SpecDocument, SpecDocument, Vec<Change>, Verdict);

fn compare(root: &Path, input: Input) -> Result<Compared, String> {
    let (old, new) = match input {
        Input::Files(old, new) => (read_file(&old)?, read_file(&new)?),
        Input::Base(rev) => {
            let mut git = Command::new("git");
            git.current_dir(root)
                .args(["show", &format!("{rev}:{SPEC}")]);
            let shown =
                crate::stdout_of(&mut git, &format!("cannot read {SPEC} at revision {rev}"))?;
            let text =
                String::from_utf8(shown).map_err(|_| format!("{rev}:{SPEC} is not UTF-8"))?;
            let old =
                ias_spec::parse(&format!("{rev}:{SPEC}"), &text).map_err(|e| e.to_string())?;
            let new = ias_spec::load(&root.join(SPEC), SPEC).map_err(|e| e.to_string())?;
            (old, new)
        }
    };
    // Name the file a problem is in.
    let in_file = |e: ias_spec::Error| match e.document() {
        _ if matches!(e, ias_spec::Error::Catalogue { .. }) => e.to_string(), // names its file
        Document::Old => format!("{}: {e}", old.name),
        Document::New => format!("{}: {e}", new.name),
        Document::Spec | Document::Server => e.to_string(),
    };
    let changes = ias_spec::diff_specs(&old, &new).map_err(in_file)?;
    let verdict = judge(
        &old.openapi.info.version,
        &new.openapi.info.version,
        &changes,
    )
    .map_err(in_file)?;
    Ok((old, new, changes, verdict))
}

fn read_file(path: &Path) -> Result<SpecDocument, String> {
    ias_spec::load(path, &path.display().to_string()).map_err(|e| e.to_string())
}

fn to_json(
    old: &SpecDocument,
    new: &SpecDocument,
    changes: &[Change],
    verdict: &Verdict,
) -> String {
    let changes: Vec<_> = changes
        .iter()
        .map(|c| json!({"location": c.location, "kind": c.kind.name(), "breaking": c.breaking(), "message": c.message}))
        .collect();
    let doc = json!({
        "breaking": verdict.breaking,
        "requiredBump": verdict.required.as_str(),
        "versionOk": verdict.ok,
        "oldVersion": old.openapi.info.version,
        "newVersion": new.openapi.info.version,
        "reason": verdict.reason,
        "changes": changes,
    });
    serde_json::to_string_pretty(&doc).expect("JSON serializes")
}

fn print_text(old: &SpecDocument, new: &SpecDocument, changes: &[Change], verdict: &Verdict) {
    println!(
        "{} ({}) → {} ({})",
        old.name, old.openapi.info.version, new.name, new.openapi.info.version
    );
    for c in changes {
        println!("{c}");
    }
    let count = |b: Bump| changes.iter().filter(|c| c.bump == b).count();
    println!(
        "{} change(s): {} breaking, {} compatible, {} documentation; required bump: {}",
        changes.len(),
        count(Bump::Major),
        count(Bump::Minor),
        count(Bump::None),
        verdict.required.as_str()
    );
    println!(
        "{}: {}",
        if verdict.ok {
            "ok"
        } else {
            "version rule violated"
        },
        verdict.reason
    );
}
