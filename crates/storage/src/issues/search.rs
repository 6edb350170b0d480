//! The issue search language shared by the issue list page and the API's
//! `query=` parameter, modelled on Sentry's:
//!
//! `is:unresolved level:error release:1.2 browser.name:Chrome user.email:a@b.c "free text"`
//!
//! - `is:` unresolved | resolved | muted (alias ignored) | all
//! - `level:` debug | info | warning | error | fatal (the issue's worst level)
//! - `environment:` / `release:` / any other `key:value` → the issue has
//!   seen that tag value (`user.email:x` means the `user` tag `email:x`,
//!   likewise `user.id`, `user.username`, `user.ip`)
//! - `firstSeen:-24h` / `lastSeen:-7d` / `age:-1h`: relative time windows
//!   (units m, h, d, w)
//! - `!key:value` negates a tag, level or environment/release filter
//! - anything else is free text matched against title and culprit
//! - values may be quoted: `message:"a b"`, `"free text with spaces"`

use chrono::{DateTime, Duration, Utc};

use crate::issues::level;

/// A parsed search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueQuery {
    /// `None`: every status.
    pub status: Option<StatusFilter>,
    pub levels: Vec<i16>,
    pub not_levels: Vec<i16>,
    /// Tag filters the issue must have seen (key, value).
    pub tags: Vec<(String, String)>,
    /// Tag filters the issue must not have seen.
    pub not_tags: Vec<(String, String)>,
    pub first_seen_after: Option<DateTime<Utc>>,
    pub last_seen_after: Option<DateTime<Utc>>,
    /// Words matched (all of them, case-insensitively) in title or culprit.
    pub text: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Unresolved,
    Resolved,
    Muted,
}

impl StatusFilter {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unresolved => "unresolved",
            Self::Resolved => "resolved",
            Self::Muted => "muted",
        }
    }
}

/// What is wrong with a search, for a 400 answer or a message on the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("unterminated quote in the search")]
    UnterminatedQuote,
    #[error("{0:?} has no value after the colon")]
    EmptyValue(String),
    #[error("unknown status {0:?} (use is:unresolved, is:resolved, is:muted or is:all)")]
    UnknownStatus(String),
    #[error("unknown level {0:?} (use debug, info, warning, error or fatal)")]
    UnknownLevel(String),
    #[error("{key}: {value:?} is not a relative time like -24h, -7d or -30m")]
    BadRelativeTime { key: String, value: String },
    /// PostgreSQL text cannot hold NUL, so no issue could match.
    #[error("the search contains a NUL character")]
    NulCharacter,
}

impl IssueQuery {
    /// Parses a search string; `now` anchors relative times.
    pub fn parse(input: &str, now: DateTime<Utc>) -> Result<Self, SearchError> {
        if input.contains('\0') {
            return Err(SearchError::NulCharacter);
        }
        let mut q = IssueQuery::default();
        for token in tokenize(input)? {
            let Token {
                negated,
                key,
                value,
            } = token;
            let Some(key) = key else {
                q.text.push(value);
                continue;
            };
            if value.is_empty() {
                return Err(SearchError::EmptyValue(key));
            }
            match key.as_str() {
                "is" => {
                    q.status = match value.to_ascii_lowercase().as_str() {
                        "unresolved" => Some(StatusFilter::Unresolved),
                        "resolved" => Some(StatusFilter::Resolved),
                        "muted" | "ignored" | "archived" => Some(StatusFilter::Muted),
                        "all" => None,
                        other => return Err(SearchError::UnknownStatus(other.to_string())),
                    }
                }
                "level" => {
                    let l = parse_level(&value)?;
                    if negated {
                        q.not_levels.push(l);
                    } else {
                        q.levels.push(l);
                    }
                }
                "firstSeen" | "age" | "firstseen" => {
                    q.first_seen_after = Some(now - relative(&key, &value)?);
                }
                "lastSeen" | "lastseen" => {
                    q.last_seen_after = Some(now - relative(&key, &value)?);
                }
                _ => {
                    let tag = tag_filter(&key, value);
                    if negated {
                        q.not_tags.push(tag);
                    } else {
                        q.tags.push(tag);
                    }
                }
            }
        }
        Ok(q)
    }
}

fn parse_level(value: &str) -> Result<i16, SearchError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "debug" => level::DEBUG,
        "info" | "log" => level::INFO,
        "warning" | "warn" => level::WARNING,
        "error" => level::ERROR,
        "fatal" | "critical" => level::FATAL,
        other => return Err(SearchError::UnknownLevel(other.to_string())),
    })
}

/// `user.email:x` and friends search the `user` tag, whose values are
/// `email:x`, `id:x`, `username:x` or `ip:x`.
fn tag_filter(key: &str, value: String) -> (String, String) {
    match key {
        "user.email" => ("user".into(), format!("email:{value}")),
        "user.id" => ("user".into(), format!("id:{value}")),
        "user.username" => ("user".into(), format!("username:{value}")),
        "user.ip" | "user.ip_address" => ("user".into(), format!("ip:{value}")),
        "env" => ("environment".into(), value),
        _ => (key.to_string(), value),
    }
}

/// `-24h`, `24h`, `-7d`, `-30m`, `-2w`.
fn relative(key: &str, value: &str) -> Result<Duration, SearchError> {
    let bad = || SearchError::BadRelativeTime {
        key: key.to_string(),
        value: value.to_string(),
    };
    let v = value.strip_prefix('-').unwrap_or(value);
    // The unit is the last character, which need not be ASCII.
    let cut = v.char_indices().last().map_or(0, |(i, _)| i);
    let (num, unit) = v.split_at(cut);
    let n: i64 = num.parse().map_err(|_| bad())?;
    if !(0..=100_000).contains(&n) {
        return Err(bad());
    }
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        "w" => Ok(Duration::weeks(n)),
        _ => Err(bad()),
    }
}

struct Token {
    negated: bool,
    key: Option<String>,
    value: String,
}

fn tokenize(input: &str) -> Result<Vec<Token>, SearchError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        if first == '"' {
            chars.next();
            out.push(Token {
                negated: false,
                key: None,
                value: quoted(&mut chars)?,
            });
            continue;
        }
        let mut word = String::new();
        let mut key = None;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == ':' && key.is_none() && !word.is_empty() {
                key = Some(std::mem::take(&mut word));
                if chars.peek() == Some(&'"') {
                    chars.next();
                    word = quoted(&mut chars)?;
                    break;
                }
                continue;
            }
            word.push(c);
        }
        match key {
            Some(k) => {
                let (negated, k) = match k.strip_prefix('!') {
                    Some(rest) if !rest.is_empty() => (true, rest.to_string()),
                    _ => (false, k),
                };
                out.push(Token {
                    negated,
                    key: Some(k),
                    value: word,
                });
            }
            None => out.push(Token {
                negated: false,
                key: None,
                value: word,
            }),
        }
    }
    Ok(out)
}

fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, SearchError> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None => return Err(SearchError::UnterminatedQuote),
            Some('\\') => match chars.next() {
                Some(c) => s.push(c),
                None => return Err(SearchError::UnterminatedQuote),
            },
            Some('"') => return Ok(s),
            Some(c) => s.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> IssueQuery {
        IssueQuery::parse(s, Utc::now()).unwrap()
    }

    #[test]
    fn parses_the_documented_example() {
        let q = parse(
            r#"is:unresolved level:error release:1.2 browser.name:Chrome user.email:x "free text" word"#,
        );
        assert_eq!(q.status, Some(StatusFilter::Unresolved));
        assert_eq!(q.levels, vec![level::ERROR]);
        assert_eq!(
            q.tags,
            vec![
                ("release".into(), "1.2".into()),
                ("browser.name".into(), "Chrome".into()),
                ("user".into(), "email:x".into()),
            ]
        );
        assert_eq!(q.text, vec!["free text".to_string(), "word".to_string()]);
    }

    #[test]
    fn quotes_negation_and_times() {
        let now = Utc::now();
        let q = IssueQuery::parse(
            r#"!environment:staging message:"a b" !level:info lastSeen:-24h is:all"#,
            now,
        )
        .unwrap();
        assert_eq!(q.not_tags, vec![("environment".into(), "staging".into())]);
        assert_eq!(q.tags, vec![("message".into(), "a b".into())]);
        assert_eq!(q.not_levels, vec![level::INFO]);
        assert_eq!(q.last_seen_after, Some(now - Duration::hours(24)));
        assert_eq!(q.status, None);
        assert_eq!(parse("is:ignored").status, Some(StatusFilter::Muted));
        assert_eq!(
            parse("url:http://x/y").tags,
            vec![("url".into(), "http://x/y".into())]
        );
        assert_eq!(parse("").text, Vec::<String>::new());
    }

    #[test]
    fn invalid_searches_say_what_is_wrong() {
        let err = |s: &str| IssueQuery::parse(s, Utc::now()).unwrap_err().to_string();
        assert!(err("is:sleeping").contains("unknown status \"sleeping\""));
        assert!(err("level:loud").contains("unknown level"));
        assert!(err("release:").contains("no value"));
        assert!(err("\"open").contains("unterminated quote"));
        assert!(err("firstSeen:-3y").contains("relative time"));
        assert!(err("message:\"abc").contains("unterminated"));
        assert!(err("firstSeen:-2€").contains("relative time"));
        assert!(err("lastSeen:€").contains("relative time"));
        assert!(err("a\0b").contains("NUL"));
    }
}
