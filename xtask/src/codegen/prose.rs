//! Spec prose (descriptions, summaries) made safe for rustdoc: whatever text
//! a spec holds, the generated docs pass `cargo doc -D warnings` and run no
//! doctest.
//!
//! Markdown stays Markdown (lists, emphasis, inline code), except:
//! - `[` and `]` are escaped: rustdoc would read `[x]` as an intra-doc link;
//! - `<` is escaped (`&lt;`): rustdoc would read `<b>` as an unclosed HTML tag;
//! - a bare `http://` or `https://` URL is made an autolink (`<…>`), as
//!   `rustdoc::bare_urls` asks;
//! - a code fence becomes a `text` fence, and no line outside a fence is
//!   indented four columns or more, so no text becomes a Rust doctest.

/// `text` as rustdoc-safe Markdown. A literal `\n` (the Go-era spec writes
/// line breaks so) is a line break.
pub fn sanitize(text: &str) -> String {
    let text = text.replace("\\n ", "\n").replace("\\n", "\n");
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let line = line.replace('\t', "    ");
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => {
                fence = Some(m);
                out.push(format!("{m}text"));
            }
            (Some(open), Some(m)) if open == m => {
                fence = None;
                out.push(m.to_string());
            }
            (Some(_), _) => out.push(line),
            (None, None) => {
                let indent = (line.len() - trimmed.len()).min(3);
                out.push(format!("{}{}", " ".repeat(indent), inline(trimmed)));
            }
        }
    }
    if let Some(m) = fence {
        out.push(m.to_string()); // an unclosed fence is closed
    }
    out.join("\n")
}

/// One line outside a fence: brackets and `<` escaped, bare URLs linked;
/// inline code (between backticks) is left as it is.
fn inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (i, part) in line.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are inside backticks, when they are closed.
        let in_code = i % 2 == 1 && line.matches('`').count() > i;
        if in_code {
            out.push_str(part);
        } else {
            out.push_str(&link_urls(&escape(part)));
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Wraps each `http://` or `https://` URL in `<…>` (trailing punctuation
/// stays outside).
fn link_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        out.push_str(&rest[..start]);
        let url_len = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '>' | '\\'))
            .unwrap_or(rest.len() - start);
        let url = &rest[start..start + url_len];
        let url = url.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
        out.push('<');
        out.push_str(url);
        out.push('>');
        rest = &rest[start + url.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn prose_that_would_break_rustdoc_is_made_safe() {
        #[rustfmt::skip]
        let cases = [
            ("See https://docs.github.com/apps.", "See <https://docs.github.com/apps>."),
            ("(http://a.example/x?y=1)", "(<http://a.example/x?y=1>)"),
            ("a [link] and [x](y)", "a \\[link\\] and \\[x\\](y)"),
            ("- [group:**oauth**, code:**2**]: Bad.", "- \\[group:**oauth**, code:**2**\\]: Bad."),
            ("<b>bold</b> & <script>", "&lt;b>bold&lt;/b> & &lt;script>"),
            ("keep `a[0] <b>` as code", "keep `a[0] <b>` as code"),
            ("an odd ` backtick [x]", "an odd ` backtick \\[x\\]"),
            ("text\n\n    let x = 1;\n\tindented", "text\n\n   let x = 1;\n   indented"),
            ("```\nfn main() {}\n```", "```text\nfn main() {}\n```"),
            ("```rust\n    x [y]\n```", "```text\n    x [y]\n```"),
            ("~~~\nopen fence", "~~~text\nopen fence\n~~~"),
            ("```\n~~~\n[x]\n```\n[y]", "```text\n~~~\n[x]\n```\n\\[y\\]"),
            ("- item\n  - nested", "- item\n  - nested"),
            ("plain words.", "plain words."),
            ("group\\n -Will be [x]", "group\n-Will be \\[x\\]"),
        ];
        for (text, safe) in cases {
            assert_eq!(sanitize(text), safe, "{text:?}");
        }
    }
}
