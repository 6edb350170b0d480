//! Copy-paste SDK setup for a project's settings page: install command and
//! init code per platform, with the project's DSN filled in. The official
//! SDKs need nothing else: Moth speaks their protocol.

use serde::Serialize;

/// `(platform as projects store it, label)`, in the order shown.
pub(crate) const PLATFORMS: [(&str, &str); 10] = [
    ("python", "Python"),
    ("javascript", "JavaScript (browser)"),
    ("node", "Node.js"),
    ("rust", "Rust"),
    ("go", "Go"),
    ("java", "Java"),
    ("csharp", ".NET"),
    ("php", "PHP"),
    ("ruby", "Ruby"),
    ("other", "Other"),
];

/// One platform's setup.
#[derive(Debug, Serialize)]
pub(crate) struct Snippet {
    pub platform: &'static str,
    pub label: &'static str,
    pub install: &'static str,
    pub code: String,
    /// Open first: the project's own platform.
    pub open: bool,
}

const DSN: &str = "{DSN}";

fn template(platform: &str) -> Option<(&'static str, &'static str)> {
    Some(match platform {
        "python" => (
            "pip install --upgrade sentry-sdk",
            r#"import sentry_sdk

sentry_sdk.init(
    dsn="{DSN}",
    release="myapp@1.0.0",      # optional: enables "resolve in next release"
    environment="production",   # optional
)

# Try it: an unhandled exception is reported.
division_by_zero = 1 / 0"#,
        ),
        "javascript" => (
            "npm install --save @sentry/browser",
            r#"import * as Sentry from "@sentry/browser";

Sentry.init({
  dsn: "{DSN}",
  release: "myapp@1.0.0",
  environment: "production",
});

// Try it:
Sentry.captureException(new Error("Hello from the browser"));"#,
        ),
        "node" => (
            "npm install --save @sentry/node",
            r#"// instrument.mjs: load it before your app, e.g.
//   node --import ./instrument.mjs app.mjs
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: "{DSN}",
  release: "myapp@1.0.0",
  environment: "production",
});"#,
        ),
        "rust" => (
            "cargo add sentry",
            r#"fn main() {
    // Keep the guard alive for the whole program: it flushes on drop.
    let _guard = sentry::init((
        "{DSN}",
        sentry::ClientOptions {
            release: sentry::release_name!(),
            environment: Some("production".into()),
            ..Default::default()
        },
    ));

    // Panics are reported; so is anything you capture:
    sentry::capture_message("Hello from Rust", sentry::Level::Info);
}"#,
        ),
        "go" => (
            "go get github.com/getsentry/sentry-go",
            r#"package main

import (
	"log"
	"time"

	"github.com/getsentry/sentry-go"
)

func main() {
	err := sentry.Init(sentry.ClientOptions{
		Dsn:         "{DSN}",
		Release:     "myapp@1.0.0",
		Environment: "production",
	})
	if err != nil {
		log.Fatalf("sentry.Init: %s", err)
	}
	defer sentry.Flush(2 * time.Second)

	sentry.CaptureMessage("Hello from Go")
}"#,
        ),
        "java" => (
            "Gradle: implementation 'io.sentry:sentry:8.+'   (Maven: io.sentry:sentry)",
            r#"import io.sentry.Sentry;

public class Main {
    public static void main(String[] args) {
        Sentry.init(options -> {
            options.setDsn("{DSN}");
            options.setRelease("myapp@1.0.0");
            options.setEnvironment("production");
        });

        try {
            throw new Exception("Hello from Java");
        } catch (Exception e) {
            Sentry.captureException(e);
        }
    }
}"#,
        ),
        "csharp" => (
            "dotnet add package Sentry",
            r#"using Sentry;

using (SentrySdk.Init(o =>
{
    o.Dsn = "{DSN}";
    o.Release = "myapp@1.0.0";
    o.Environment = "production";
}))
{
    // Your app runs here; unhandled exceptions are reported.
    SentrySdk.CaptureMessage("Hello from .NET");
}"#,
        ),
        "php" => (
            "composer require sentry/sentry",
            r#"<?php
require __DIR__ . '/vendor/autoload.php';

\Sentry\init([
    'dsn' => '{DSN}',
    'release' => 'myapp@1.0.0',
    'environment' => 'production',
]);

\Sentry\captureMessage('Hello from PHP');"#,
        ),
        "ruby" => (
            "bundle add sentry-ruby",
            r#"require "sentry-ruby"

Sentry.init do |config|
  config.dsn = "{DSN}"
  config.release = "myapp@1.0.0"
  config.environment = "production"
end

Sentry.capture_message("Hello from Ruby")"#,
        ),
        _ => return None,
    })
}

/// Every platform's snippet with `dsn` filled in, the project's own
/// platform first and open.
pub(crate) fn for_project(dsn: &str, platform: Option<&str>) -> Vec<Snippet> {
    let mut out: Vec<Snippet> = PLATFORMS
        .iter()
        .filter_map(|(p, label)| {
            let (install, code) = template(p)?;
            Some(Snippet {
                platform: p,
                label,
                install,
                code: code.replace(DSN, dsn),
                open: platform == Some(*p),
            })
        })
        .collect();
    out.sort_by_key(|s| !s.open);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sdk_platform_has_a_snippet_with_the_dsn() {
        let dsn = "http://abc@moth.example/1";
        let all = for_project(dsn, Some("go"));
        assert_eq!(all.len(), 9);
        assert_eq!(all[0].platform, "go");
        assert!(all[0].open && !all[1].open);
        for s in &all {
            assert!(s.code.contains(dsn), "{}", s.platform);
            assert!(!s.code.contains("{DSN}"), "{}", s.platform);
        }
        assert!(!for_project(dsn, None).iter().any(|s| s.open));
    }
}
