//! Platform families: which grouping rules apply to a frame or an event.
//!
//! SDKs send many platform strings; grouping only needs to know the family a
//! value belongs to, so everything unknown collapses into `Other`.

/// The platform family a frame (or event) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    /// `javascript`: browser code, usually minified, frames keyed by URL.
    JavaScript,
    /// `node`: server-side JavaScript with file paths and context lines.
    Node,
    Python,
    /// `native`, `c`, `cocoa`, `objc`, `swift`: symbolicated machine code
    /// (Rust reports `native` too).
    Native,
    /// JVM languages (`java`, `kotlin`, `scala`, `groovy`, `clojure`, `android`).
    Java,
    CSharp,
    Go,
    Php,
    Ruby,
    Other,
}

impl Platform {
    /// Classifies a platform string; case-insensitive, unknown → `Other`.
    pub(crate) fn parse(s: &str) -> Platform {
        let s = s.trim();
        let eq = |name: &str| s.eq_ignore_ascii_case(name);
        if eq("javascript") {
            Platform::JavaScript
        } else if eq("node") {
            Platform::Node
        } else if eq("python") {
            Platform::Python
        } else if ["native", "c", "cocoa", "objc", "swift", "rust", "cpp"]
            .iter()
            .any(|n| eq(n))
        {
            Platform::Native
        } else if ["java", "kotlin", "scala", "groovy", "clojure", "android"]
            .iter()
            .any(|n| eq(n))
        {
            Platform::Java
        } else if eq("csharp") || eq("dotnet") {
            Platform::CSharp
        } else if eq("go") {
            Platform::Go
        } else if eq("php") {
            Platform::Php
        } else if eq("ruby") {
            Platform::Ruby
        } else {
            Platform::Other
        }
    }

    /// Browser and Node JavaScript share function-name and frame-ignore rules.
    pub(crate) fn is_js(self) -> bool {
        matches!(self, Platform::JavaScript | Platform::Node)
    }

    /// Platforms whose context lines are source code worth hashing (the
    /// interpreted languages, where the SDK reads the file at capture time).
    pub(crate) fn uses_context_line(self) -> bool {
        matches!(
            self,
            Platform::JavaScript
                | Platform::Node
                | Platform::Python
                | Platform::Php
                | Platform::Ruby
        )
    }

    /// Platforms whose SDKs mark frames `in_app: true` by default without
    /// knowing better (the browser SDK marks every frame, the Rust SDK marks
    /// everything it cannot attribute to std or itself). For these, built-in
    /// "not app" rules may override the client's `true`.
    pub(crate) fn client_in_app_is_a_guess(self) -> bool {
        matches!(self, Platform::JavaScript | Platform::Native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_families() {
        let cases = [
            ("javascript", Platform::JavaScript),
            ("node", Platform::Node),
            ("Python", Platform::Python),
            ("cocoa", Platform::Native),
            ("native", Platform::Native),
            ("kotlin", Platform::Java),
            ("csharp", Platform::CSharp),
            ("go", Platform::Go),
            ("php", Platform::Php),
            ("ruby", Platform::Ruby),
            ("elixir", Platform::Other),
            ("", Platform::Other),
        ];
        for (input, want) in cases {
            assert_eq!(Platform::parse(input), want, "{input}");
        }
    }
}
