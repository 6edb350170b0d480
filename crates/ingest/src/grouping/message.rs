//! Message parameterisation: replace the variable parts of a message (ids,
//! emails, numbers, dates...) with placeholders so that messages differing
//! only in data group together.
//!
//! One multi-pattern regex scans the text once; its patterns are ordered by
//! priority (an email contains a hostname, a UUID contains hex runs, a date
//! contains ints), and at any position the regex engine takes the first
//! pattern that matches, so the more specific kind wins.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex_automata::meta::Regex;

/// Placeholder kinds, in priority order; each is one pattern of [`PATTERN`],
/// at the same index.
const KINDS: &[&str] = &[
    "email",
    "url",
    "hostname",
    "ip",
    "traceparent",
    "uuid",
    "sha1",
    "md5",
    "date",
    "duration",
    "hex",
    "float",
    "int",
    "quoted_str",
    "bool",
];

/// Top-level domains recognised for `<hostname>`. TLDs that are also
/// common identifiers or words (`app`, `info`, `store`, `dev`, `in`, `it`,
/// `py`, `js`...) are left out on purpose: `logger.info is not a function`
/// and `config.py` must stay as they are.
const TLDS: &str = "com|net|org|edu|gov|mil|io|co|ai|biz|xyz|\
                    uk|de|fr|nl|es|ru|cn|jp|br|au|ca|ch|se|pl|eu|dk|fi|cz|pt|ie|nz|kr|tw|mx|ar|za|\
                    local|internal|lan|localdomain";

/// The pattern of each kind, in [`KINDS`] order, ready to compile: ASCII
/// word boundaries and digits (the data replaced is ASCII, and Unicode `\b`
/// makes the regex engine abandon its fast DFA on any non-ASCII message —
/// accents, emoji — ~4x slower).
fn kind_patterns() -> Vec<String> {
    let month = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
    let wday = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
    let long_wday = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
    let hex4 = "[0-9a-fA-F]{1,4}";
    // Full form, compressed form with groups on both sides of `::`, or a
    // leading `::` not glued to a word (`::1`, but not `Result::unwrap`).
    let ipv6 = format!(
        r"(?:\b(?:{h}:){{7}}{h}\b|\b(?:{h}:){{1,6}}(?::{h}){{1,6}}\b|\B::{h}(?::{h}){{0,6}}\b)(?:%[0-9A-Za-z]+)?",
        h = hex4
    );
    let alternatives = [
        ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}".to_string()),
        ("url", r"\b(?:wss?|https?|ftp)://[^\s/?#]+[^\s]*".to_string()),
        (
            "hostname",
            format!(r"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?:{TLDS})\b"),
        ),
        (
            "ip",
            format!(
                r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){{3}}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b|{ipv6}"
            ),
        ),
        (
            "traceparent",
            r"\b00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\b|\b1-[0-9a-f]{8}-[0-9a-f]{24}\b".to_string(),
        ),
        (
            "uuid",
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b".to_string(),
        ),
        ("sha1", r"\b[0-9a-fA-F]{40}\b".to_string()),
        ("md5", r"\b[0-9a-fA-F]{32}\b".to_string()),
        (
            "date",
            [
                // ISO 8601 / RFC 3339 date with optional time and zone.
                r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?)?".to_string(),
                // RFC 822 / 1123: `Tue, 3 Jun 2008 11:05:30 GMT`.
                format!(r"\b{wday},?\s+\d{{1,2}}\s+{month}\s+\d{{2,4}}\s+\d{{2}}:\d{{2}}(?::\d{{2}})?(?:\s+(?:[+-]\d{{4}}|[A-Z]{{1,5}}))?"),
                // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`.
                format!(r"\b{long_wday},\s+\d{{2}}-{month}-\d{{2,4}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:\s+[A-Z]{{1,5}})?"),
                // asctime / syslog: `Sun Nov  6 08:49:37 1994`, `Nov  6 08:49:37`.
                format!(r"\b(?:{wday}\s+)?{month}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}(?:\s+\d{{4}})?"),
                // Python reprs.
                r"\bdatetime\.(?:datetime|date|time)\([^)]*\)".to_string(),
                // Bare times: `12:30`, `08:49:37.123`.
                r"\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b".to_string(),
            ]
            .join("|"),
        ),
        (
            "duration",
            r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)\b".to_string(),
        ),
        (
            "hex",
            // 0x-prefixed; 8-128 hex digits; short runs mixing digits and
            // a-f (the 4-6 length bound is checked in the replacer).
            r"\b0[xX][0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,128}\b|\b(?:[0-9]+[a-fA-F]|[a-fA-F]+[0-9])[0-9a-fA-F]*\b".to_string(),
        ),
        ("float", r"\b\d+\.\d+(?:[eE][+-]?\d+)?\b".to_string()),
        // Ints after `_` too (`cus_42`), but not glued to letters (`utf8`).
        ("int", r"(?:_|\b)\d+\b".to_string()),
        ("quoted_str", r#"=\s*(?:"[^"]*"|'[^']*')"#.to_string()),
        ("bool", r"=\s*(?i:true|false)\b".to_string()),
    ];
    debug_assert!(alternatives
        .iter()
        .map(|(k, _)| *k)
        .eq(KINDS.iter().copied()));
    alternatives
        .iter()
        .map(|(_, re)| {
            re.replace(r"\b", r"(?-u:\b)")
                .replace(r"\B", r"(?-u:\B)")
                .replace(r"\d", "[0-9]")
        })
        .collect()
}

/// All kinds as one multi-pattern regex. Leftmost-first across patterns
/// is the semantics of one alternation of them (at any position the
/// earliest kind that matches wins), and the match says which pattern it
/// is: the lazy DFA finds both, no capture groups to resolve (resolving
/// named groups ran a backtracking search per match, most of this
/// function's cost).
static PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new_many(&kind_patterns()).expect("parameterisation regexes compile"));

/// Parameterises a message for grouping (Sentry's `message:v1` behaviour).
///
/// Keeps the first two non-empty lines (adding `...` when more were
/// dropped), then replaces emails, URLs, hostnames, IPv4/IPv6 addresses, W3C
/// and AWS trace ids, UUIDs, SHA-1 and MD5 digests, dates and times,
/// durations, hex numbers and long hex strings, floats, ints, and quoted
/// strings or booleans after `=` with `<kind>` placeholders.
///
/// ```
/// use moth_ingest::grouping::normalize_message_for_grouping;
/// assert_eq!(
///     normalize_message_for_grouping("Order 1234 failed for bob@x.io"),
///     "Order <int> failed for <email>"
/// );
/// ```
pub fn normalize_message_for_grouping(message: &str) -> String {
    let text = first_lines(message);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in PATTERN.find_iter(text.as_ref()) {
        out.push_str(&text[last..m.start()]);
        push_placeholder(&mut out, KINDS[m.pattern().as_usize()], &text[m.range()]);
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Keeps the first two non-empty lines; long multi-line messages (stack
/// dumps, SQL, HTML) otherwise make every event unique.
fn first_lines(message: &str) -> Cow<'_, str> {
    let mut lines = message
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        return Cow::Borrowed("");
    };
    let Some(second) = lines.next() else {
        return Cow::Borrowed(first);
    };
    let more = lines.next().is_some();
    let mut out = String::with_capacity(first.len() + second.len() + 4);
    out.push_str(first);
    out.push('\n');
    out.push_str(second);
    if more {
        out.push_str("...");
    }
    Cow::Owned(out)
}

/// Appends the placeholder for a match of `kind`, or the match itself when
/// it is not data after all.
fn push_placeholder(dst: &mut String, kind: &str, matched: &str) {
    if kind == "hex" && is_short_mixed_outside_bounds(matched) {
        // `a4`, `e2e`, `b64`, `1234abc`: too short or too long to be an
        // id; words like these are part of the message.
        dst.push_str(matched);
        return;
    }
    match kind {
        // The `=` (and a leading `_` for ints) is context, not data.
        "quoted_str" | "bool" => dst.push('='),
        "int" if matched.starts_with('_') => dst.push('_'),
        _ => {}
    }
    dst.push('<');
    dst.push_str(kind);
    dst.push('>');
}

/// A hex match that is neither `0x…` nor 8+ chars must be 4-6 chars long.
fn is_short_mixed_outside_bounds(m: &str) -> bool {
    let prefixed = m.starts_with("0x") || m.starts_with("0X");
    !prefixed && m.len() < 8 && !(4..=6).contains(&m.len())
}

#[cfg(test)]
mod tests {
    use super::normalize_message_for_grouping as n;
    use super::{kind_patterns, push_placeholder, KINDS};

    /// The same parameterisation done the plain way: one alternation of
    /// named groups, the kind read off the group that matched.
    fn reference(message: &str) -> String {
        static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            let combined = KINDS
                .iter()
                .zip(kind_patterns())
                .map(|(kind, re)| format!("(?P<{kind}>{re})"))
                .collect::<Vec<_>>()
                .join("|");
            regex::Regex::new(&combined).expect("compiles")
        });
        let re = &*RE;
        let text = super::first_lines(message);
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(&text) {
            let m = caps.get(0).expect("whole match");
            let kind = KINDS
                .iter()
                .copied()
                .find(|k| caps.name(k).is_some())
                .expect("a kind matched");
            out.push_str(&text[last..m.start()]);
            push_placeholder(&mut out, kind, m.as_str());
            last = m.end();
        }
        out.push_str(&text[last..]);
        out
    }

    #[test]
    fn the_multi_pattern_search_matches_one_alternation() {
        const PIECES: &[&str] = &[
            "Order",
            "1234",
            "bob@x.io",
            "https://a.example.com/x?y=1",
            "db-1.prod.internal",
            "10.0.0.1",
            "::1",
            "2001:db8::1",
            "123e4567-e89b-12d3-a456-426614174000",
            "d41d8cd98f00b204e9800998ecf8427e",
            "2024-03-01T12:30:45Z",
            "12:30",
            "1500ms",
            "0x7ffd",
            "deadbeef00",
            "3f2a9c",
            "a4",
            "0.75",
            "cus_42",
            "name=\"bob\"",
            "on=true",
            "é",
            "🚀",
            "utf8",
            "config.py",
            ",",
            ":",
            "-",
            "=",
            "'x'",
            "1.5s",
            "Tue, 3 Jun 2008 11:05:30 GMT",
            "e2e",
            "\n",
            "  ",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let len = 1 + next() % 8;
            let mut message = String::new();
            for _ in 0..len {
                message.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
                if next() % 3 > 0 {
                    message.push(' ');
                }
            }
            assert_eq!(n(&message), reference(&message), "message: {message:?}");
        }
    }

    #[test]
    fn each_placeholder_kind() {
        let cases = [
            (
                "Order 1234 failed for bob@x.io",
                "Order <int> failed for <email>",
            ),
            (
                "mail to first.last+tag@mail.example.co.uk now",
                "mail to <email> now",
            ),
            (
                "GET https://api.example.com/v1/users?id=3 failed",
                "GET <url> failed",
            ),
            (
                "connect to db-1.prod.internal refused",
                "connect to <hostname> refused",
            ),
            ("resolve example.com", "resolve <hostname>"),
            ("peer 10.0.12.7 reset", "peer <ip> reset"),
            ("peer 2001:db8::ff00:42:8329 reset", "peer <ip> reset"),
            ("bind [::1]:8080", "bind [<ip>]:<int>"),
            (
                "trace 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 lost",
                "trace <traceparent> lost",
            ),
            (
                "aws 1-5759e988-bd862e3fe1be46a994272793 lost",
                "aws <traceparent> lost",
            ),
            (
                "user 123e4567-e89b-12d3-a456-426614174000 missing",
                "user <uuid> missing",
            ),
            (
                "commit da39a3ee5e6b4b0d3255bfef95601890afd80709 bad",
                "commit <sha1> bad",
            ),
            (
                "etag d41d8cd98f00b204e9800998ecf8427e stale",
                "etag <md5> stale",
            ),
            ("at 2024-03-01T12:30:45.123Z expired", "at <date> expired"),
            ("on 2024-03-01 expired", "on <date> expired"),
            ("Tue, 3 Jun 2008 11:05:30 GMT", "<date>"),
            ("Sunday, 06-Nov-94 08:49:37 GMT", "<date>"),
            ("Sun Nov  6 08:49:37 1994", "<date>"),
            (
                "due datetime.datetime(2024, 3, 1, 12, 0) passed",
                "due <date> passed",
            ),
            ("window closes 12:30", "window closes <date>"),
            ("timeout after 1500ms", "timeout after <duration>"),
            ("took 1.5s", "took <duration>"),
            ("segfault at 0x7ffd5e8b1a20", "segfault at <hex>"),
            ("object deadbeef00 moved", "object <hex> moved"),
            ("build 3f2a9c", "build <hex>"),
            ("ratio 0.75 too low", "ratio <float> too low"),
            (
                "invoice INV-1001 for cus_42",
                "invoice INV-<int> for cus_<int>",
            ),
            ("id 12345678901 gone", "id <hex> gone"),
            (
                r#"param name="bob" invalid"#,
                "param name=<quoted_str> invalid",
            ),
            (
                "param name='bob' invalid",
                "param name=<quoted_str> invalid",
            ),
            ("flag enabled=true rejected", "flag enabled=<bool> rejected"),
        ];
        for (input, want) in cases {
            assert_eq!(n(input), want, "input: {input:?}");
        }
    }

    #[test]
    fn leaves_words_file_names_and_identifiers_alone() {
        let cases = [
            "Disk usage above limit on /var",
            "failed to load config.py and index.js",
            "utf8 decode error in sha256 module",
            "called `Result::unwrap()` on an `Err` value",
            "logger.info is not a function; this.store.app undefined",
            "e2e run on a4 paper with b64 data",
            "the cafe was faced with a decade",
            "Failed to charge invoice %s for customer %s",
        ];
        for input in cases {
            assert_eq!(n(input), input);
        }
    }

    #[test]
    fn keeps_two_non_empty_lines() {
        assert_eq!(n("first\n\n  \nsecond\nthird"), "first\nsecond...");
        assert_eq!(n("first\r\nsecond"), "first\nsecond");
        assert_eq!(n("only\n\n"), "only");
        assert_eq!(n(""), "");
    }

    #[test]
    fn non_ascii_text_around_data() {
        assert_eq!(
            n("Échec de la commande 12345 pour alice@example.com à 12:30 — réessai=true 🚀"),
            "Échec de la commande <int> pour <email> à <date> — réessai=<bool> 🚀"
        );
        // Non-ASCII digits are text, not numbers.
        assert_eq!(n("٣ items"), "٣ items");
    }

    #[test]
    fn messages_differing_only_in_data_normalise_equal() {
        let a = n("User 42 (alice@example.com) hit 3 errors at 2024-01-01 10:00:00 from 10.1.1.1");
        let b = n("User 7 (bob@example.org) hit 12 errors at 2025-12-31 23:59:59 from 192.168.0.9");
        assert_eq!(a, b);
    }
}
