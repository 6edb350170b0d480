//! The OpenAPI document is true: every documented operation answers a
//! valid request on real data with its documented status and a body that
//! validates against its schema; and schemathesis, fuzzing the document,
//! finds no server error.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::common::captures;
use crate::support::*;

/// A validator for `schema`, whose `$ref`s point into `doc`'s components.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
    });
    for (k, v) in schema.as_object().unwrap() {
        root[k] = v.clone();
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema}"))
}

fn check(doc: &Value, schema: &Value, body: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\nbody: {body:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_answers_per_its_schema() {
    let m = Moth::with_captures().await;
    let doc = m
        .call(reqwest::Method::GET, "/api/0/openapi.json", None, None)
        .await
        .body;
    let issue = m.issue_titled("ValueError: coupon SPRING is expired").await;
    let event = captures::all()
        .into_iter()
        .find(|c| c.name == "python-d-context.01.event")
        .and_then(|c| c.event_id())
        .unwrap();
    let mut doomed: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM issues WHERE id <> $1 ORDER BY id DESC LIMIT 4")
            .bind(issue)
            .fetch_all(m.t.db.pool())
            .await
            .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.push((path.clone(), method.clone(), op.clone()));
        }
    }
    let order = |m: &str| {
        ["get", "put", "delete"]
            .iter()
            .position(|x| *x == m)
            .unwrap_or(9)
    };
    operations.sort_by_key(|(p, m, _)| (order(m), p.clone()));
    assert!(operations.len() >= 24, "{} operations", operations.len());
    for (path, method, op) in &operations {
        let target = if method == "delete" {
            doomed.pop().unwrap()
        } else {
            issue
        };
        let mut url = path
            .replace("{organization_id_or_slug}", "moth")
            .replace("{project_id_or_slug}", "captures")
            .replace("{issue_id}", &target.to_string())
            .replace("{event_id}", &event)
            .replace("{key}", "feature");
        let takes_ids = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "id"));
        if takes_ids {
            url.push_str(&format!("?id={target}"));
        }
        let body = (method == "put").then(|| json!({"status": "unresolved"}));
        let a = m
            .call(
                method.to_uppercase().parse().unwrap(),
                &url,
                Some(&m.token),
                body,
            )
            .await;
        let (code, response) = op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(c, _)| c.starts_with('2'))
            .unwrap();
        assert_eq!(a.status.to_string(), *code, "{method} {url}: {}", a.body);
        if let Some(schema) = response["content"]["application/json"]["schema"].as_object() {
            check(
                &doc,
                &Value::Object(schema.clone()),
                &a.body,
                &format!("{method} {url}"),
            );
        }
        if response["headers"].get("Link").is_some() {
            assert!(
                a.header("link").contains("rel=\"next\""),
                "{method} {url}: no Link"
            );
        }
    }

    // Every issue and every event of the captures, in full.
    let issue_schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Issue"}});
    let event_schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Event"}});
    let details_schema = json!({"$ref": "#/components/schemas/EventDetails"});
    let (issues, _) = m
        .walk("/api/0/projects/moth/captures/issues/?query=&limit=100")
        .await;
    check(
        &doc,
        &issue_schema,
        &Value::Array(issues.clone()),
        "all issues",
    );
    // The validator is not vacuous: Sentry's types are enforced.
    let mut wrong = issues[0].clone();
    wrong["count"] = json!(1);
    assert!(!validator(&doc, &issue_schema).is_valid(&json!([wrong])));
    let mut wrong = issues[0].clone();
    wrong["lastSeen"] = json!("yesterday");
    assert!(!validator(&doc, &issue_schema).is_valid(&json!([wrong])));
    for i in &issues {
        let id = i["id"].as_str().unwrap();
        let events = m
            .get_ok(&format!("/api/0/issues/{id}/events/?full=true"))
            .await;
        check(
            &doc,
            &event_schema,
            &events,
            &format!("events of {}", i["title"]),
        );
        let latest = m
            .get_ok(&format!("/api/0/issues/{id}/events/latest/"))
            .await;
        check(
            &doc,
            &details_schema,
            &latest,
            &format!("latest of {}", i["title"]),
        );
    }
}

/// Installs schemathesis (`scripts/schemathesis/install`) on first use.
fn schemathesis() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let venv = std::env::var("MOTH_SCHEMATHESIS_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo.join("target/schemathesis-venv"));
        let status = Command::new(repo.join("scripts/schemathesis/install"))
            .env("MOTH_SCHEMATHESIS_VENV", &venv)
            .status()
            .expect("run scripts/schemathesis/install");
        assert!(status.success(), "scripts/schemathesis/install failed");
        venv
    })
    .clone()
}

/// Schemathesis configuration: most generated path parameters are real
/// (so requests reach past the 404s into the handlers), some random.
async fn fuzz_config(m: &Moth) -> String {
    let issues: Vec<String> = sqlx::query_scalar("SELECT id::text FROM issues ORDER BY id")
        .fetch_all(m.t.db.pool())
        .await
        .unwrap();
    let events: Vec<String> =
        sqlx::query_scalar("SELECT replace(event_id::text, '-', '') FROM events ORDER BY id")
            .fetch_all(m.t.db.pool())
            .await
            .unwrap();
    let list = |v: &[String]| serde_json::to_string(v).unwrap();
    let events_and_aliases: Vec<String> = ["latest", "oldest", "recommended"]
        .iter()
        .map(|s| s.to_string())
        .chain(events)
        .collect();
    format!(
        "[dictionaries]\n\
         orgs = {{ values = [\"moth\"] }}\n\
         projects = {{ values = [\"captures\", \"42\"] }}\n\
         issues = {{ values = {} }}\n\
         events = {{ values = {} }}\n\
         keys = {{ values = [\"level\", \"feature\", \"user\", \"release\", \"environment\"] }}\n\
         [parameters]\n\
         \"path.organization_id_or_slug\" = {{ dictionary = \"orgs\", probability = 0.9 }}\n\
         \"path.project_id_or_slug\" = {{ dictionary = \"projects\", probability = 0.8 }}\n\
         \"path.issue_id\" = {{ dictionary = \"issues\", probability = 0.8 }}\n\
         \"path.event_id\" = {{ dictionary = \"events\", probability = 0.8 }}\n\
         \"path.key\" = {{ dictionary = \"keys\", probability = 0.8 }}\n",
        list(&issues),
        list(&events_and_aliases),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_errors() {
    let venv = schemathesis();
    let m = Moth::with_captures().await;
    let dir = crate::common::TempDir::new("schemathesis");
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, fuzz_config(&m).await).unwrap();
    let schema = m.server.url("/api/0/openapi.json");
    let base = m.server.base_url.clone();
    let auth = format!("Authorization: Bearer {}", m.token);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(venv.join("bin/st"))
            .arg("--config-file")
            .arg(&config)
            .args(["run", &schema, "--url", &base, "-H", &auth])
            .args(["--checks", "not_a_server_error"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "20", "--seed", "1", "--workers", "2"])
            .args(["--generation-database", "none", "--no-color"])
            .current_dir(dir.path())
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        m.server.logs()
    );
    // Shown with --nocapture: what was generated and how it went.
    eprintln!("{stdout}");
    assert!(stdout.contains("passed"), "{stdout}");
    assert!(!m.server.logs().contains("panicked"), "{}", m.server.logs());
}
