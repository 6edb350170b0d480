//! Function-name normalisation: reduce a frame's function to the part that
//! identifies the code, or drop it when it carries no identity (anonymous
//! functions, compiler-generated lambdas, addresses).
//!
//! Why each platform differs: JavaScript prefixes the receiver (`Object.foo`,
//! `Timeout._onTimeout`) which depends on how the function was called, not
//! what it is; Java numbers lambdas by position in the class; Ruby names
//! blocks after their nesting depth; native symbols carry argument lists,
//! template arguments, Rust hash suffixes and offsets that change between
//! builds without the code changing.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::platform::Platform;

/// Embedded addresses (`0x7ffd5e8b1a20`): never stable across runs.
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"0[xX][0-9a-fA-F]{4,}").expect("valid regex"));
/// Ruby ERB template methods carry a per-compile suffix.
static ERB_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"__\d{4,}_\d{4,}$").expect("valid regex"));
/// Rust legacy-mangling hash (`::h0123456789abcdef`).
static RUST_HASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"::h[0-9a-f]{16}$").expect("valid regex"));
/// Symbolizer offsets: `foo + 42`, `foo+0x1a`.
static OFFSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\+\s*(?:0[xX][0-9a-fA-F]+|\d+)$").expect("valid regex"));
/// Rust v0 closure names (`{closure#0}`) numbered by position.
static RUST_CLOSURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{closure#\d+\}").expect("valid regex"));

/// Normalises `name` for grouping on `platform`; `None` = does not contribute.
pub(crate) fn normalize_function(name: &str, platform: Platform) -> Option<Cow<'_, str>> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let name = match platform {
        Platform::JavaScript | Platform::Node => return js_function(name).map(Cow::Borrowed),
        Platform::Java => java_function(name)?,
        Platform::Ruby => ruby_function(name)?,
        Platform::Php => php_function(name)?,
        Platform::Native | Platform::CSharp => native_function(name)?,
        Platform::Python | Platform::Go | Platform::Other => Cow::Borrowed(name),
    };
    // Addresses can appear in any platform's names (`<lambda at 0x7f..>`).
    if name.contains("0x") || name.contains("0X") {
        if is_bare_address(&name) {
            return None;
        }
        if let Cow::Owned(s) = ADDRESS.replace_all(&name, "<addr>") {
            return Some(Cow::Owned(s));
        }
    }
    Some(name)
}

/// JavaScript: keep the part after the last `.`; anonymous names vanish.
pub(crate) fn js_function(name: &str) -> Option<&str> {
    let mut s = name.trim();
    // V8 alias suffix: `Function.executeUserEntryPoint [as runMain]`.
    if s.ends_with(']') {
        if let Some(i) = s.rfind(" [as ") {
            s = &s[..i];
        }
    }
    for prefix in ["async ", "new "] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
        }
    }
    // Firefox names anonymous inner functions `outer/<`.
    if s.ends_with("/<") {
        return None;
    }
    if let Some(i) = s.rfind('.') {
        s = &s[i + 1..];
    }
    match s {
        "" | "?" | "<anonymous>" | "<anonymous function>" | "Anonymous function" => None,
        _ => Some(s),
    }
}

/// Java: `lambda$main$0` is numbered by position in the class.
fn java_function(name: &str) -> Option<Cow<'_, str>> {
    if name.starts_with("lambda$") {
        None
    } else {
        Some(Cow::Borrowed(name))
    }
}

/// Ruby: `block (2 levels) in foo` → `block`; ERB suffixes stripped.
fn ruby_function(name: &str) -> Option<Cow<'_, str>> {
    if name.starts_with("block ") || name == "block" {
        return Some(Cow::Borrowed("block"));
    }
    Some(ERB_SUFFIX.replace(name, ""))
}

/// PHP: anonymous classes carry a file path and offset in their name.
fn php_function(name: &str) -> Option<Cow<'_, str>> {
    if name.starts_with("[Anonymous") {
        return None;
    }
    if name.starts_with("class@anonymous") {
        return name
            .rfind("::")
            .map(|i| Cow::Borrowed(&name[i + 2..]))
            .filter(|m| !m.is_empty());
    }
    Some(Cow::Borrowed(name))
}

/// Native (C, C++, Rust, Objective-C, Swift) and C#: strip what the compiler
/// or symbolizer adds around the name.
fn native_function(name: &str) -> Option<Cow<'_, str>> {
    if matches!(name, "<redacted>" | "<unknown>" | "?" | "??") {
        return None;
    }
    let mut s: Cow<'_, str> = Cow::Borrowed(name);
    s = apply(s, |x| OFFSET.replace(x, ""));
    s = apply(s, |x| RUST_HASH.replace(x, ""));
    s = apply(s, |x| RUST_CLOSURE.replace_all(x, "{{closure}}"));
    if s.contains("::<") {
        s = Cow::Owned(strip_turbofish(&s));
    }
    // Objective-C `-[Class method:]` is already canonical.
    if s.starts_with("-[") || s.starts_with("+[") {
        return Some(s);
    }
    if s.ends_with(')') || s.ends_with(" const") || s.ends_with('&') {
        s = Cow::Owned(strip_signature(&s));
    }
    if let Some(collapsed) = collapse_templates(&s) {
        s = Cow::Owned(collapsed);
    }
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

fn apply<'a>(s: Cow<'a, str>, f: impl for<'b> Fn(&'b str) -> Cow<'b, str>) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => f(b),
        Cow::Owned(o) => Cow::Owned(f(&o).into_owned()),
    }
}

fn is_bare_address(s: &str) -> bool {
    let s = s.trim();
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or("");
    !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes Rust turbofish generic arguments: `catch_unwind::<F, R>` →
/// `catch_unwind` (monomorphisations of one function are one bug). An
/// `::<impl Trait for Type>` segment names an impl block, not generic
/// arguments: it is kept, or two impls' methods would merge.
fn strip_turbofish(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("::<") {
        let after = &rest[i + 2..];
        let Some(end) = matching_close(after, b'<', b'>') else {
            break;
        };
        if after.starts_with("<impl ") {
            out.push_str(&rest[..i + 2 + end + 1]);
        } else {
            out.push_str(&rest[..i]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Byte index of the bracket closing the one `s` starts with.
fn matching_close(s: &str, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in s.bytes().enumerate() {
        if b == open {
            depth += 1;
        } else if b == close {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// `void ns::Foo::bar(int, char const*) const` → `ns::Foo::bar`.
fn strip_signature(s: &str) -> String {
    let mut t = s.trim_end();
    for suffix in [" const", " volatile", " &&", " &", " noexcept"] {
        if let Some(x) = t.strip_suffix(suffix) {
            t = x.trim_end();
        }
    }
    // Find the `(` opening the final argument list.
    if t.ends_with(')') {
        let mut depth = 0usize;
        for (i, b) in t.bytes().enumerate().rev() {
            match b {
                b')' => depth += 1,
                b'(' => {
                    depth -= 1;
                    if depth == 0 {
                        let head = &t[..i];
                        // `operator()` is the name itself, not an argument list.
                        if !head.ends_with("operator") && !head.is_empty() {
                            t = head;
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    // Drop a return type: the last space outside brackets, unless it belongs
    // to `operator new` and friends.
    let mut depth = 0i32;
    let mut cut = None;
    for (i, b) in t.bytes().enumerate() {
        match b {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth -= 1,
            b' ' if depth == 0 => cut = Some(i),
            _ => {}
        }
    }
    if let Some(i) = cut {
        if !t[..i].ends_with("operator") {
            t = &t[i + 1..];
        }
    }
    t.to_string()
}

/// C++ template arguments at the top level of a qualified name → `<T>`
/// (`std::vector<int>::push_back` → `std::vector<T>::push_back`). A leading
/// `<` (Rust's `<X as Trait>::f`) is a qualifier, not a template: kept.
fn collapse_templates(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<'
            && i > 0
            && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
            && !s[..i].ends_with("operator")
        {
            if let Some(end) = matching_close(&s[i..], b'<', b'>') {
                let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
                o.push_str(&s[last..i]);
                o.push_str("<T>");
                i += end + 1;
                last = i;
                continue;
            }
        }
        if bytes[i] == b'<' {
            // Skip a leading qualifier as a whole.
            if let Some(end) = matching_close(&s[i..], b'<', b'>') {
                i += end + 1;
                continue;
            }
        }
        i += 1;
    }
    out.map(|mut o| {
        o.push_str(&s[last..]);
        o
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, platform: Platform) -> Option<String> {
        normalize_function(name, platform).map(Cow::into_owned)
    }

    #[test]
    fn normalises_per_platform() {
        use Platform::*;
        let cases: &[(&str, Platform, Option<&str>)] = &[
            // JavaScript: receiver dropped, anonymous ignored.
            ("Object.foo", JavaScript, Some("foo")),
            ("Timeout._onTimeout", Node, Some("_onTimeout")),
            ("Function.executeUserEntryPoint [as runMain]", Node, Some("executeUserEntryPoint")),
            ("Module._extensions..js", Node, Some("js")),
            ("async Promise.all", Node, Some("all")),
            ("new Foo", JavaScript, Some("Foo")),
            ("?", JavaScript, None),
            ("Object.?", Node, None),
            ("Object.<anonymous>", Node, None),
            ("<anonymous>", JavaScript, None),
            ("Anonymous function", JavaScript, None),
            ("handler/<", JavaScript, None),
            // Python keeps lambdas and qualified names.
            ("<lambda>", Python, Some("<lambda>")),
            ("Foo.bar", Python, Some("Foo.bar")),
            ("<lambda at 0x7f3a2b1c0d90>", Python, Some("<lambda at <addr>>")),
            // Java lambdas are positional.
            ("lambda$main$0", Java, None),
            ("doGet", Java, Some("doGet")),
            // Ruby blocks and ERB.
            ("block (2 levels) in render", Ruby, Some("block")),
            ("block in foo", Ruby, Some("block")),
            ("_app_views_show_html_erb__1234567_8901234", Ruby, Some("_app_views_show_html_erb")),
            ("rescue in call", Ruby, Some("rescue in call")),
            // PHP anonymous classes.
            ("class@anonymous\0/in/foo.php:3$0::handle", Php, Some("handle")),
            ("class@anonymous\0/in/foo.php:3$0", Php, None),
            ("[Anonymous class]", Php, None),
            ("{closure}", Php, Some("{closure}")),
            // Rust: hashes, closures, turbofish.
            ("my_app::run::h0123456789abcdef", Native, Some("my_app::run")),
            ("my_app::run::{{closure}}", Native, Some("my_app::run::{{closure}}")),
            ("std::rt::lang_start_internal::{closure#0}", Native, Some("std::rt::lang_start_internal::{{closure}}")),
            (
                "std::panic::catch_unwind::<std::rt::lang_start_internal::{closure#0}, isize>",
                Native,
                Some("std::panic::catch_unwind"),
            ),
            (
                "app::handlers::<impl app::Handler for app::Users>::handle::<u32>",
                Native,
                Some("app::handlers::<impl app::Handler for app::Users>::handle"),
            ),
            (
                "<E as anyhow::context::ext::StdError>::ext_context",
                Native,
                Some("<E as anyhow::context::ext::StdError>::ext_context"),
            ),
            (
                "anyhow::context::<impl anyhow::Context<T,E> for core::result::Result<T,E>>::with_context",
                Native,
                Some("anyhow::context::<impl anyhow::Context<T,E> for core::result::Result<T,E>>::with_context"),
            ),
            // C / C++: arguments, return types, templates, offsets.
            ("main + 42", Native, Some("main")),
            ("foo+0x1a", Native, Some("foo")),
            ("void ns::Foo::bar(int, char const*) const", Native, Some("ns::Foo::bar")),
            ("std::vector<int, std::allocator<int> >::push_back(int const&)", Native, Some("std::vector<T>::push_back")),
            ("Foo::operator()(int)", Native, Some("Foo::operator()")),
            ("std::operator<<(std::ostream&, char const*)", Native, Some("std::operator<<")),
            ("-[NSObject doesNotRecognizeSelector:]", Native, Some("-[NSObject doesNotRecognizeSelector:]")),
            ("<unknown>", Native, None),
            ("<redacted>", Native, None),
            ("0x00007ffd5e8b1a20", Native, None),
            // C#: argument lists.
            ("MyApp.Program.Main(System.String[])", CSharp, Some("MyApp.Program.Main")),
            // Go keeps receivers and numbered closures as sent.
            ("main.(*Server).handle.func1", Go, Some("main.(*Server).handle.func1")),
            ("  spaced  ", Other, Some("spaced")),
            ("", Other, None),
        ];
        for (input, platform, want) in cases {
            assert_eq!(
                n(input, *platform).as_deref(),
                *want,
                "{input:?} on {platform:?}"
            );
        }
    }

    #[test]
    fn unchanged_names_are_borrowed() {
        assert!(matches!(
            normalize_function("level6", Platform::Python),
            Some(Cow::Borrowed("level6"))
        ));
        assert!(matches!(
            normalize_function("Object.joinFields", Platform::Node),
            Some(Cow::Borrowed("joinFields"))
        ));
    }
}
