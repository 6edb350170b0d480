//! Event data is hostile (DESIGN.md, Promise 6): every string shown from an
//! event passes through here. Templates escape it (they are `.html`); this
//! module bounds how much of it a page shows and decides which of its URLs
//! may become links.

use std::cell::Cell;
use std::io::Write;

use serde::Serialize;
use serde_json::Value;

/// Characters of a value shown before "show more".
pub(crate) const HEAD: usize = 300;
/// Characters of one value a page shows at most (the raw JSON has the rest).
pub(crate) const FULL_CAP: usize = 16 * 1024;
/// Characters of event data one page shows at most, whatever the event:
/// huge events render in bounded time and size.
pub(crate) const PAGE_BUDGET: usize = 1024 * 1024;

/// A value cut for display: `head` always; `full` (up to [`FULL_CAP`]) when
/// `head` is not all of it, behind a `<details>`; `cut` characters beyond
/// that are only in the raw JSON.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Clip {
    pub head: String,
    pub full: Option<String>,
    /// Characters `full` has beyond `head`.
    pub more: usize,
    /// Characters not shown at all.
    pub cut: usize,
}

/// How much event text is left to show on this page.
#[derive(Debug)]
pub(crate) struct Budget {
    left: Cell<usize>,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(PAGE_BUDGET)
    }
}

impl Budget {
    pub fn new(chars: usize) -> Self {
        Self {
            left: Cell::new(chars),
        }
    }

    /// Whether the budget ran out (the page says so and points to the raw JSON).
    pub fn exhausted(&self) -> bool {
        self.left.get() == 0
    }

    /// `s` cut to `head` characters, the rest (within the caps) expandable.
    pub fn clip(&self, s: &str, head: usize) -> Clip {
        let left = self.left.get();
        let total = s.chars().count();
        let shown_max = FULL_CAP.min(left);
        let shown = total.min(shown_max);
        self.left.set(left - shown);
        let cut = total - shown;
        if shown <= head {
            return Clip {
                head: take_chars(s, shown).to_string(),
                full: None,
                more: 0,
                cut,
            };
        }
        let full = take_chars(s, shown);
        Clip {
            head: take_chars(full, head).to_string(),
            more: shown - head,
            full: Some(full.to_string()),
            cut,
        }
    }

    /// A plain one-line string for headings and summaries: at most `max`
    /// characters, with `…` when cut.
    pub fn line(&self, s: &str, max: usize) -> String {
        let max = max.min(self.left.get());
        let mut out: String = s.chars().take(max).collect();
        let used = out.chars().count();
        self.left.set(self.left.get() - used);
        if s.chars().nth(max).is_some() {
            out.push('…');
        }
        out
    }

    /// Any JSON value as text: strings as they are, everything else as
    /// (pretty) JSON, serialised only as far as the page can show.
    pub fn value(&self, v: &Value, head: usize) -> Clip {
        match v {
            Value::String(s) => self.clip(s, head),
            Value::Null => self.clip("null", head),
            Value::Bool(_) | Value::Number(_) => self.clip(&v.to_string(), head),
            Value::Array(a) if a.is_empty() => self.clip("[]", head),
            Value::Object(o) if o.is_empty() => self.clip("{}", head),
            _ => {
                let limit = FULL_CAP.min(self.left.get()) + 1;
                let (text, more) = bounded_json(v, limit);
                let mut clip = self.clip(&text, head);
                if more {
                    clip.cut = clip.cut.max(1);
                }
                clip
            }
        }
    }
}

fn take_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Pretty JSON of `v`, stopping after about `limit` bytes; `true` if cut.
fn bounded_json(v: &Value, limit: usize) -> (String, bool) {
    struct Limited {
        buf: Vec<u8>,
        limit: usize,
    }
    impl Write for Limited {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if self.buf.len() >= self.limit {
                return Err(std::io::Error::other("limit"));
            }
            self.buf.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Limited {
        buf: Vec::new(),
        limit,
    };
    let complete = serde_json::to_writer_pretty(&mut w, v).is_ok();
    // A cut may fall inside a multi-byte character.
    (String::from_utf8_lossy(&w.buf).into_owned(), !complete)
}

/// A URL from an event as a link target, or `None`: only `http:` and
/// `https:` URLs become links (never `javascript:`, `data:`, relative or
/// protocol-relative ones), and only when they hold no whitespace or
/// control characters that browsers would strip before reading the scheme.
pub(crate) fn safe_href(url: &str) -> Option<String> {
    if url.len() > 4096 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = (lower.starts_with("http://") && url.len() > 7)
        || (lower.starts_with("https://") && url.len() > 8);
    ok.then(|| url.to_string())
}

/// A key of a table of values (header name, variable, tag key): one line.
pub(crate) fn key(budget: &Budget, k: &str) -> String {
    budget.line(k, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_http_urls_become_links() {
        assert_eq!(
            safe_href("https://example.com/a?b=1"),
            Some("https://example.com/a?b=1".into())
        );
        assert!(safe_href("HTTP://EXAMPLE.COM").is_some());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "\u{1}https://x",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "//evil.example/",
            "/relative",
            "https:",
            "http://",
            "https://a b",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn clips_keep_head_full_and_cut() {
        let b = Budget::new(1_000_000);
        let short = b.clip("hello", 10);
        assert_eq!((short.head.as_str(), short.full.is_none()), ("hello", true));
        let long = "é".repeat(500);
        let c = b.clip(&long, 10);
        assert_eq!(c.head.chars().count(), 10);
        assert_eq!(c.full.as_deref(), Some(long.as_str()));
        assert_eq!((c.more, c.cut), (490, 0));
        let huge = "x".repeat(FULL_CAP + 5);
        let c = b.clip(&huge, HEAD);
        assert_eq!(c.full.unwrap().len(), FULL_CAP);
        assert_eq!(c.cut, 5);
    }

    #[test]
    fn the_page_budget_bounds_everything() {
        let b = Budget::new(100);
        let c = b.clip(&"a".repeat(80), 10);
        assert_eq!(c.cut, 0);
        let c = b.clip(&"b".repeat(80), 10);
        assert_eq!((c.full.unwrap().len(), c.cut), (20, 60));
        assert!(b.exhausted());
        let c = b.value(&json!({"k": "v".repeat(1000)}), 10);
        assert_eq!(c.head, "");
        assert!(c.cut > 0);
    }

    #[test]
    fn values_render_as_text_or_json() {
        let b = Budget::default();
        assert_eq!(b.value(&json!("plain"), 10).head, "plain");
        assert_eq!(b.value(&json!(3.5), 10).head, "3.5");
        assert_eq!(b.value(&json!(null), 10).head, "null");
        let c = b.value(&json!({"a": [1, 2]}), 1000);
        assert!(c.head.contains("\"a\": ["), "{}", c.head);
        // Deep or wide values are serialised only as far as shown.
        let wide: Value = (0..100_000).map(|i| json!(i)).collect::<Vec<_>>().into();
        let c = b.value(&wide, 100);
        assert!(c.full.unwrap().len() <= FULL_CAP);
        assert!(c.cut > 0);
    }
}
