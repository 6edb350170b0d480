//! Making event-derived strings safe for each chat: escaping the markup
//! that chat interprets, breaking mentions, and truncating to its limits.
//! Event data is attacker-controlled (an exception message can say
//! `<!channel>` or `@everyone`); nothing raw reaches a payload.

/// How one character is written in a target markup.
pub(crate) type Escape = fn(char, &mut String);

/// Writes `s` on one line (control characters and runs of whitespace
/// become one space), escaped with `esc`, in at most `max` characters of
/// output, ending with `…` when cut. An escape sequence is never split.
pub(crate) fn fit(s: &str, max: usize, esc: Escape) -> String {
    let mut out = String::new();
    let mut len = 0;
    let mut piece = String::new();
    let mut last_space = true;
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        piece.clear();
        if c.is_whitespace() || c.is_control() {
            if last_space {
                continue;
            }
            last_space = true;
            piece.push(' ');
        } else {
            last_space = false;
            esc(c, &mut piece);
        }
        let n = piece.chars().count();
        // Keep room for the ellipsis unless this is the very end.
        let reserve = usize::from(chars.peek().is_some());
        if len + n + reserve > max {
            while out.ends_with(' ') {
                out.pop();
            }
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        len += n;
    }
    out.trim_end().to_string()
}

/// `s` unchanged when it has at most `max` characters, else its first
/// `max - 1` and `…` (for JSON, where nothing needs escaping).
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// No markup at all (JSON fields, plain-text titles).
pub(crate) fn plain(c: char, out: &mut String) {
    out.push(c);
}

/// Plain text that a chat may still scan for mentions (Mattermost titles
/// and notification fallbacks): only `@` gets its word joiner.
pub(crate) fn unmentioned(c: char, out: &mut String) {
    out.push(c);
    if c == '@' {
        out.push('\u{2060}');
    }
}

/// Slack mrkdwn: `&`, `<` and `>` are the only characters Slack asks to
/// escape; escaping `<` is what keeps `<!channel>` or `<@U123>` in event
/// data from pinging anyone. Backticks would end the code span the culprit
/// sits in, so they become quotes.
pub(crate) fn slack(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '`' => out.push('\''),
        c => out.push(c),
    }
}

/// CommonMark-style markup (Discord, Mattermost): every character
/// with a meaning gets a backslash, which these renderers drop; `@` gets a
/// word joiner after it so that `@everyone`, `@channel` or `@here` in event
/// data is not a mention.
pub(crate) fn markdown(c: char, out: &mut String) {
    match c {
        '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '#' | '[' | ']' | '(' | ')' | '-'
        | '+' | '!' => {
            out.push('\\');
            out.push(c);
        }
        '@' => out.push_str("@\u{2060}"),
        c => out.push(c),
    }
}

/// Inside a markdown code span (Discord, Mattermost) backslashes are
/// literal: only a backtick would end the span, so it becomes a quote, and
/// `@` still gets its word joiner.
pub(crate) fn code_span(c: char, out: &mut String) {
    match c {
        '`' => out.push('\''),
        '@' => out.push_str("@\u{2060}"),
        c => out.push(c),
    }
}

/// Teams: event data goes into `RichTextBlock` text runs, which take no
/// markdown at all; only the `{{DATE(…)}}` / `{{TIME(…)}}` functions of
/// Adaptive Cards are defused, with a word joiner after every `{`.
pub(crate) fn teams(c: char, out: &mut String) {
    out.push(c);
    if c == '{' {
        out.push('\u{2060}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_escapes_control_sequences() {
        assert_eq!(
            fit("<!channel> & <@U1|x>", 100, slack),
            "&lt;!channel&gt; &amp; &lt;@U1|x&gt;"
        );
        assert_eq!(fit("a `b` c", 100, slack), "a 'b' c");
    }

    #[test]
    fn markdown_escapes_and_breaks_mentions() {
        assert_eq!(
            fit("**x** @everyone", 100, markdown),
            "\\*\\*x\\*\\* @\u{2060}everyone"
        );
        assert_eq!(fit("[a](http://b)", 100, markdown), "\\[a\\]\\(http://b\\)");
        assert_eq!(
            fit("{{DATE(x)}}", 100, teams),
            "{\u{2060}{\u{2060}DATE(x)}}"
        );
    }

    #[test]
    fn one_line_and_truncated_without_splitting_escapes() {
        assert_eq!(fit("  a\n\n\tb\r\nc  ", 100, plain), "a b c");
        assert_eq!(fit("abcdef", 4, plain), "abc…");
        assert_eq!(fit("abcd", 4, plain), "abcd");
        // "a&b": "a" fits, "&amp;" would not with the ellipsis.
        assert_eq!(fit("a&b", 5, slack), "a…");
        assert_eq!(fit("a b c d", 4, plain), "a b…");
        assert!(fit(&"x".repeat(10_000), 256, plain).chars().count() <= 256);
        assert_eq!(clip("a\nb", 3), "a\nb");
        assert_eq!(clip("abcdé", 3), "ab…");
    }
}
