//! The `--config` file: TOML, read once with the place of every value.

use std::collections::BTreeMap;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::{ConfigError, Origin, SETTINGS};

/// Reads the `--config` file: each value as text, by its setting's key
/// (`[github]`'s keys as `github.KEY`). Unknown keys (usually typos) and
/// values that are neither strings nor numbers are refused, even when the
/// environment overrides them.
pub(super) fn read(path: &Path) -> Result<BTreeMap<&'static str, (String, Origin)>, ConfigError> {
    let text = super::read_small_file(path, super::CONFIG_FILE_MAX_BYTES);
    let path = path.display().to_string();
    let text = text.map_err(|reason| ConfigError::Unreadable {
        path: path.clone(),
        reason,
    })?;
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let error = |at: Option<usize>, problem: String| ConfigError::File {
        path: path.clone(),
        line: at.map(line_of),
        problem,
    };
    let table = DeTable::parse(&text).map_err(|e| {
        // The text the parser points at is quoted only when it is a key of
        // ours (a duplicated key, say): anything else may be a value, and an
        // unquoted secret must not end up in the error. Then the line's key
        // says where.
        let at = e.span().map(|s| &text[s]);
        let is_key = |t: &str| {
            t == "github" || SETTINGS.iter().any(|s| s.key.rsplit('.').next() == Some(t))
        };
        let line_key = e.span().and_then(|s| {
            let line = text[..s.start].rsplit('\n').next().unwrap_or_default();
            let key = line.split('=').next()?.trim();
            is_key(key).then_some(key)
        });
        let problem = match (at, line_key) {
            (Some(t), _) if is_key(t) => format!("{} `{t}`", e.message()),
            (_, Some(key)) => format!(
                "{} in the value of `{key}` (not shown: it may be a secret); write strings in quotes, key = \"value\"",
                e.message()
            ),
            _ => e.message().to_string(),
        };
        error(e.span().map(|s| s.start), problem)
    })?;
    let mut entries = Vec::new();
    for (key, value) in table.get_ref() {
        match value.get_ref() {
            DeValue::Table(section) => entries.extend(
                section
                    .iter()
                    .map(|(k, v)| (format!("{}.{}", key.get_ref(), k.get_ref()), v)),
            ),
            _ => entries.push((key.get_ref().to_string(), value)),
        }
    }
    let mut values = BTreeMap::new();
    for (key, value) in entries {
        let at = value.span().start;
        let Some(setting) = SETTINGS.iter().find(|s| s.key == key) else {
            let known: Vec<String> = SETTINGS.iter().map(|s| format!("`{}`", s.key)).collect();
            let problem = format!(
                "unknown field `{key}`, expected one of {}",
                known.join(", ")
            );
            return Err(error(Some(at), problem));
        };
        let value = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix())
                .map_or_else(|_| n.to_string(), |n| n.to_string()),
            other => {
                let problem = format!(
                    "{key} must be a string or a number, not a {}",
                    other.type_str()
                );
                return Err(error(Some(at), problem));
            }
        };
        let origin = Origin::File {
            path: path.clone(),
            line: line_of(at),
            key: setting.key,
        };
        values.insert(setting.key, (value, origin));
    }
    Ok(values)
}
