//! The triage pages over events sent through ingest, against the binary:
//! what the projects, issue list, issue and event pages show, the raw JSON
//! download, escaping of hostile event data, a huge event, and a real
//! Python SDK exception read back with its source context.

mod common;

use common::web::*;
use common::*;
use serde_json::{json, Value};

/// A Python-like event with every interface the event page shows.
pub fn rich_event(value: &str) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    json!({
        "platform": "python",
        "level": "error",
        "timestamp": now,
        "release": "shop@1.2.0",
        "environment": "production",
        "server_name": "web-1",
        "transaction": "/checkout",
        "logentry": {"message": "Charging %s failed", "params": ["cus_42"]},
        "exception": {"values": [
            {"type": "ConnectionError", "value": "upstream timed out", "module": "requests"},
            {"type": "PaymentError", "value": value,
             "mechanism": {"type": "generic", "handled": false},
             "stacktrace": {"frames": [
                {"function": "get_response", "module": "django.core.handlers", "filename": "django/core/handlers/base.py",
                 "abs_path": "/usr/lib/python3/site-packages/django/core/handlers/base.py", "lineno": 197,
                 "in_app": false, "context_line": "response = wrapped(request)"},
                {"function": "checkout", "module": "shop.views", "filename": "shop/views.py",
                 "abs_path": "/srv/shop/views.py", "lineno": 42, "in_app": true,
                 "pre_context": ["def checkout(request):", "    cart = load_cart(request)"],
                 "context_line": "    charge(cart.total)",
                 "post_context": ["    return ok()"],
                 "vars": {"cart": {"total": 99.5, "items": 3}, "request": "<WSGIRequest: POST '/checkout'>"}},
                {"function": "charge", "module": "shop.billing", "filename": "shop/billing.py",
                 "abs_path": "/srv/shop/billing.py", "lineno": 17, "in_app": true,
                 "context_line": "    raise PaymentError(reason)", "vars": {"reason": "'card declined'"}},
             ]}},
        ]},
        "breadcrumbs": {"values": [
            {"timestamp": now, "category": "http", "type": "http", "level": "info",
             "message": "POST /api/charge", "data": {"status_code": 504}},
        ]},
        "request": {
            "url": "https://shop.example/checkout?step=2", "method": "POST",
            "headers": [["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"], ["Content-Type", "application/json"]],
            "query_string": [["step", "2"]],
            "data": {"coupon": "SPRING"},
        },
        "user": {"id": "u-42", "email": "ada@example.com", "ip_address": "10.0.0.1"},
        "tags": [["feature", "checkout"]],
        "contexts": {"os": {"name": "Linux", "version": "6.1"}, "runtime": {"name": "CPython", "version": "3.11.7"}},
        "extra": {"cart_size": 3},
        "sdk": {"name": "sentry.python", "version": "2.75.0"},
    })
}

/// The `href` values of a page, unescaped as a browser reads them.
pub fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| {
            s[..s.find('"').unwrap()]
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

fn has_all(page: &Resp, what: &str, needles: &[&str]) {
    for n in needles {
        assert!(page.text.contains(n), "{what} lacks {n:?}:\n{}", page.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_show_what_an_event_holds() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (_, ingest) = m.project("Shop").await;
    let first = ingest.send(rich_event("card declined")).await;
    let second = ingest.send(rich_event("card declined")).await;
    let issue = m.issue_of(&first).await;
    let web = m.signed_in("root@example.com").await;

    let home = web.get("/").await;
    assert_eq!(home.status, 200);
    has_all(
        &home,
        "projects",
        &["Shop", "<svg class=\"spark\"", ">1</a>"],
    );

    let list = web.get("/projects/shop/issues").await;
    assert_eq!(list.status, 200);
    has_all(
        &list,
        "issue list",
        &[
            "PaymentError: card declined",
            "SHOP-1",
            "<span class=\"culprit\">&#x2f;checkout</span>",
            "level-error",
            "<svg class=\"spark\"",
            "just now",
            "1 issue<",
        ],
    );

    let page = web.get(&format!("/issues/{issue}")).await;
    assert_eq!(page.status, 200);
    has_all(
        &page,
        "issue page",
        &[
            // Header and charts.
            "SHOP-1", "unresolved", "shop@1.2.0", "<figure class=\"chart\">",
            // Actions.
            "value=\"resolve\"", "value=\"resolve_next_release\"", "value=\"resolve_in_release\"",
            "name=\"mute_for\"", "name=\"mute_events\"", "name=\"mute_users\"", "/merge\"", "/delete\"",
            // Tag distributions with percentages.
            "production", "100%", "aria-label=\"2 events\"",
            // The latest event: message with its parameter, the chain, mechanism.
            "Charging cus_42 failed", "PaymentError", "ConnectionError", "unhandled",
            // Frames newest first, app frames open with context and vars.
            "<details class=\"frame app\" open>", "charge(cart.total)", "class=\"current\"",
            "raise PaymentError(reason)", "&quot;total&quot;: 99.5",
            // Breadcrumbs, request, user, tags, contexts, extra, SDK.
            "POST &#x2f;api&#x2f;charge", "status_code",
            "href=\"https:&#x2f;&#x2f;shop.example&#x2f;checkout?step=2\" rel=\"noopener noreferrer nofollow\"",
            "User-Agent", "ada@example.com", "feature", "checkout", "CPython", "cart_size", "sentry.python 2.75.0",
            // Activity.
            "first saw this issue",
        ],
    );
    // The library frame is there, collapsed.
    let lib = page.text.find("get_response").unwrap();
    let frame_start = page.text[..lib].rfind("<details").unwrap();
    assert!(
        page.text[frame_start..lib].starts_with("<details class=\"frame\">"),
        "{}",
        &page.text[frame_start..lib]
    );
    // Newest frame first: charge before checkout before get_response.
    let pos = |s: &str| {
        page.text
            .find(&format!("<span class=\"fn\">{s}</span>"))
            .unwrap()
    };
    assert!(pos("charge") < pos("checkout") && pos("checkout") < pos("get_response"));
    // Oldest first on request.
    let oldest = web.get(&format!("/issues/{issue}?order=oldest")).await;
    let pos = |s: &str| {
        oldest
            .text
            .find(&format!("<span class=\"fn\">{s}</span>"))
            .unwrap()
    };
    assert!(pos("get_response") < pos("charge"));

    // The latest event is the second; it links to the first.
    let older = format!("/issues/{issue}/events/{first}");
    assert!(page.text.contains(&second));
    assert!(page.text.contains(&format!(
        "href=\"{}\">‹ Older",
        older.replace('/', "&#x2f;")
    )));
    let ev = web.get(&older).await;
    assert_eq!(ev.status, 200);
    has_all(
        &ev,
        "event page",
        &[&first, "Newer ›", "charge(cart.total)", "Raw JSON"],
    );
    let latest = web.get(&format!("/issues/{issue}/events/latest")).await;
    assert_eq!(latest.status, 303);
    assert_eq!(
        latest.location(),
        format!("/issues/{issue}/events/{second}")
    );
    let oldest = web.get(&format!("/issues/{issue}/events/oldest")).await;
    assert_eq!(oldest.location(), older);
    // Dashed ids work too; unknown, malformed and other issues' events do not.
    let dashed = uuid::Uuid::parse_str(&first)
        .unwrap()
        .hyphenated()
        .to_string();
    assert_eq!(
        web.get(&format!("/issues/{issue}/events/{dashed}"))
            .await
            .status,
        200
    );
    for bad in ["0123456789abcdef0123456789abcdef", "nope", "<script>"] {
        assert_eq!(
            web.get(&format!("/issues/{issue}/events/{bad}"))
                .await
                .status,
            404,
            "{bad}"
        );
    }

    // All events, a page at a time.
    let all = web.get(&format!("/issues/{issue}/events")).await;
    assert_eq!(all.status, 200);
    has_all(&all, "events page", &[&first[..8], &second[..8], "(2)"]);

    // The raw JSON, as a download.
    let raw = web
        .get(&format!("/issues/{issue}/events/{first}/json"))
        .await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("content-type"), "application/json");
    assert_eq!(
        raw.header("content-disposition"),
        format!("attachment; filename=\"event-{first}.json\"")
    );
    let data: Value = serde_json::from_str(&raw.text).unwrap();
    assert_eq!(data["event_id"], first);
    assert_eq!(data["exception"]["values"][1]["type"], "PaymentError");

    // Settings: the DSN and a snippet per SDK, the members form.
    let settings = web.get("/projects/shop/settings").await;
    assert_eq!(settings.status, 200);
    has_all(
        &settings,
        "settings",
        &[
            &ingest.dsn.replace('/', "&#x2f;"),
            "sentry_sdk.init(",
            "@sentry&#x2f;browser",
            "@sentry&#x2f;node",
            "sentry::init(",
            "sentry.Init(sentry.ClientOptions",
            "io.sentry",
            "SentrySdk.Init",
            "\\Sentry\\init(",
            "Sentry.init do |config|",
            "Save members",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_event_data_is_shown_as_text_and_never_as_markup_or_a_script_link() {
    const P: &str = "\"><img src=x onerror=alert(1)><script>alert(1)</script>";
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (_, ingest) = m.project("Shop").await;
    let long = format!("{P}{}", "y".repeat(5000));
    let event = json!({
        "platform": "javascript",
        "level": "error",
        "logentry": {"formatted": P},
        "exception": {"values": [{"type": format!("Err{P}"), "value": long,
            "mechanism": {"type": P, "handled": false, "help_link": "javascript:alert(1)"},
            "stacktrace": {"frames": [
                {"function": P, "filename": P, "abs_path": "javascript:alert(1)", "lineno": 1,
                 "context_line": P, "pre_context": [P], "vars": {P: P}, "in_app": true},
                {"function": "ok", "abs_path": "data:text/html,<script>alert(1)</script>", "in_app": true},
            ]}}]},
        "breadcrumbs": {"values": [{"message": P, "category": P, "data": {P: P}}]},
        "request": {"url": "javascript:alert(1)", "method": "GET", "headers": [[P, P]], "data": P},
        "user": {"id": P, "email": P, "username": P},
        "tags": [["evil", P]],
        "contexts": {"browser": {"name": P, "version": P}},
        "extra": {P: P},
        "sdk": {"name": P, "version": "1"},
    });
    let id = ingest.send(event).await;
    let issue = m.issue_of(&id).await;
    let web = m.signed_in("root@example.com").await;
    for path in [
        "/".to_string(),
        "/projects/shop/issues".to_string(),
        format!("/issues/{issue}"),
        format!("/issues/{issue}/events"),
        format!("/issues/{issue}/events/{id}"),
        format!("/issues/{issue}/delete"),
    ] {
        let page = web.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        for raw in ["<script", "<img", "onerror=alert(1)>"] {
            assert!(!page.text.contains(raw), "{path} contains {raw:?}");
        }
        for href in hrefs(&page.text) {
            // Site paths, and the empty favicon of the layout.
            assert!(
                (href.starts_with('/') && !href.starts_with("//")) || href == "data:,",
                "{path}: a link built from event data: {href}"
            );
        }
        if path != "/" {
            // Shown literally (escaped), not dropped.
            assert!(
                page.text
                    .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
                "{path} does not show the payload as text"
            );
        }
    }
    let page = web.get(&format!("/issues/{issue}/events/{id}")).await;
    // The request URL is shown but is not a link; the long value is cut
    // with a way to see the rest.
    assert!(page
        .text
        .contains("<span class=\"mono\">javascript:alert(1)</span>"));
    assert!(page.text.contains("<details class=\"clip\">"));
    // Exception values show 1000 characters, then the rest on demand.
    let more = format!("+{} characters", P.chars().count() + 5000 - 1000);
    assert!(page.text.contains(&more), "no {more:?}");
    assert!(!page.text.contains("href=\"javascript") && !page.text.contains("href=\"data:text"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_event_renders_in_bounded_size() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (_, ingest) = m.project("Shop").await;
    // About 900 KB of event: 200 frames with 20 variables of 200 characters.
    let vars: serde_json::Map<String, Value> = (0..20)
        .map(|i| (format!("v{i}"), json!("x".repeat(200))))
        .collect();
    let frames: Vec<Value> = (0..200)
        .map(|i| json!({"function": format!("f{i}"), "filename": "a.py", "lineno": i, "context_line": "y".repeat(300), "vars": vars, "in_app": true}))
        .collect();
    let id = ingest
        .send(json!({"exception": {"values": [{"type": "Huge", "value": "z", "stacktrace": {"frames": frames}}]}}))
        .await;
    let issue = m.issue_of(&id).await;
    let web = m.signed_in("root@example.com").await;
    let page = web.get(&format!("/issues/{issue}/events/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("f199") && page.text.contains("Huge"));
    assert!(page.text.len() < 8 << 20, "{} bytes", page.text.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_sdk_exception_shows_its_stack_trace_with_source_context() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (_, ingest) = m.project("Py").await;
    let dsn = ingest.dsn.clone();
    let out = tokio::task::spawn_blocking(move || sdk::python("python-a-zerodiv-deep", &dsn))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The SDK flushed before it exited, and 200 means committed.
    let issue: i64 = m.scalar("SELECT id FROM issues").await;
    let web = m.signed_in("root@example.com").await;
    let page = web.get(&format!("/issues/{issue}")).await;
    assert_eq!(page.status, 200);
    has_all(
        &page,
        "python issue",
        &[
            "ZeroDivisionError",
            "float division by zero",
            "<span class=\"fn\">level6</span>",
            "<span class=\"fn\">level1</span>",
            // The crash line and the lines around it.
            "average = net &#x2f; total_qty",
            "def level6(net, total_qty):",
            "total_qty",
            "python-a-zerodiv-deep.py",
        ],
    );
    let crash = page.text.find("average = net &#x2f; total_qty").unwrap();
    let row = page.text[..crash].rfind("<tr").unwrap();
    assert!(page.text[row..crash].contains("class=\"current\""));
}
