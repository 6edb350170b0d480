//! Benchmark of the issue list page at scale (run by
//! `scripts/bench-issue-list`, in release mode): fills a throwaway
//! database with 100,000 issues and 1,000,000 events (set-based SQL, about
//! a minute), serves the UI router in this process, signs in, and times
//! `GET /projects/bench/issues` for the first page, later pages through
//! the cursor, each sort, filters and searches. Prints a Markdown table of
//! p50 / p95 / max for `docs/benchmarks.md`.
//!
//! The times are request round trips on the loopback interface: server
//! time plus well under a millisecond of HTTP. `--keep` fills the database,
//! prints its URL and waits for Ctrl-C instead; `--reuse URL` measures
//! against such a database without filling another.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use moth_storage::payload::compress_payload;
use moth_storage::testing::TestDatabase;
use moth_ui::{UiConfig, UiState};

const ISSUES: i64 = 100_000;
const EVENTS: i64 = 1_000_000;
const RUNS: usize = 50;
const PASSWORD: &str = "bench password 123";

#[tokio::main]
async fn main() {
    // Failed requests log their cause.
    tracing_subscriber::fmt()
        .with_env_filter("warn,sqlx::query=error")
        .init();
    let args: Vec<String> = std::env::args().collect();
    let reuse = args
        .iter()
        .position(|a| a == "--reuse")
        .map(|i| args.get(i + 1).expect("--reuse URL").clone());
    // Kept alive until the end: dropping it would not stop the cluster,
    // but the cluster lives as long as this process.
    let (db, _test_db) = match reuse {
        Some(url) => (
            moth_storage::Database::connect_url_lazy(&url, 8).unwrap(),
            None,
        ),
        None => {
            let t = TestDatabase::new().await;
            let started = Instant::now();
            fill(&t.db).await;
            eprintln!("filled in {:.1} s", started.elapsed().as_secs_f64());
            if args.iter().any(|a| a == "--keep") {
                // For query plans and repeated runs (`--reuse URL`): the
                // filled database stays up until Ctrl-C.
                println!("database: {}", t.url());
                tokio::signal::ctrl_c().await.unwrap();
                return;
            }
            (t.db.clone(), Some(t))
        }
    };
    let project = "bench";

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = UiState::new(db.clone(), UiConfig::new(&base, "moth")).unwrap();
    let app = moth_ui::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let web = Web::signed_in(&base).await;
    let list = format!("/projects/{project}/issues");

    let mut rows = Vec::new();
    let mut measure = |name: &str, samples: Vec<Duration>| {
        rows.push((name.to_string(), stats(samples)));
    };
    // Later pages: follow "Next" 200 times, timing each page.
    let mut path = list.clone();
    let mut later = Vec::new();
    for _ in 0..201 {
        let (took, html) = web.get(&path).await;
        later.push(took);
        path = next_link(&html).expect("a next page");
    }
    let deep = path;
    // The first page is measured on its own, warmed up.
    later.remove(0);
    measure("first page (unresolved, last seen)", web.times(&list).await);
    measure("pages 2–201 following Next (cursor)", later);
    measure("page 202 via its cursor, repeated", web.times(&deep).await);
    for (name, query) in [
        ("sort: first seen", "?sort=new"),
        ("sort: events", "?sort=freq"),
        ("sort: users", "?sort=user"),
        ("all statuses, last seen", "?status=all"),
        ("all statuses, sort: events", "?status=all&sort=freq"),
        (
            "filter: level warning + environment staging",
            "?level=warning&environment=staging",
        ),
        ("filter: release 1.3", "?release=1.3"),
        (
            "search: browser.name:Firefox",
            "?query=browser.name%3AFirefox",
        ),
        (
            "search: user.email (one issue)",
            "?query=user.email%3Au500%40example.com",
        ),
        ("search: free text \"module 42\"", "?query=module+42"),
        (
            "search: free text matching nothing",
            "?query=nothing-matches-this",
        ),
        ("sparklines over 14 days", "?period=14d"),
    ] {
        measure(name, web.times(&format!("{list}{query}")).await);
    }

    println!("| request | p50 ms | p95 ms | max ms |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, (p50, p95, max)) in &rows {
        println!("| {name} | {p50:.1} | {p95:.1} | {max:.1} |");
    }
}

/// p50, p95 and max in milliseconds.
fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (at(0.5), at(0.95), ms(*samples.last().unwrap()))
}

fn next_link(html: &str) -> Option<String> {
    let end = html.find("\">Next ›</a>")?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(
        html[start..end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

/// Users, the `bench` project and the bulk data, set-based.
async fn fill(db: &moth_storage::Database) {
    let hash = moth_storage::password::hash_password(PASSWORD);
    db.create_user("bench@example.com", &hash, true)
        .await
        .unwrap();
    let (project, _) = db.create_project("Bench", Some("python")).await.unwrap();
    assert_eq!(project.slug, "bench");
    let pool = db.pool();
    let p = project.id;
    let exec = |what: &'static str, sql: &'static str| async move {
        let t = Instant::now();
        sqlx::query(sql).bind(p).execute(pool).await.unwrap();
        eprintln!("{:>6.1} s  {what}", t.elapsed().as_secs_f64());
    };
    // Issues: 80 % unresolved, 15 % resolved, 5 % muted; first seen over 90
    // days; levels mostly error, some warning and fatal.
    exec(
        "issues",
        "INSERT INTO issues (project_id, short_id, title, culprit, kind, level, platform, status, status_details, \
           first_seen, last_seen, users_seen, first_release, last_release) \
         SELECT $1, g, 'BenchError' || (g % 997) || ': request ' || g || ' failed in module ' || (g % 500), \
           'app.module' || (g % 500) || ' in handler_' || (g % 37), 'error', \
           CASE WHEN g % 97 = 0 THEN 50 WHEN g % 7 = 0 THEN 30 ELSE 40 END, 'python', \
           CASE WHEN g % 20 < 16 THEN 'unresolved' WHEN g % 20 < 19 THEN 'resolved' ELSE 'muted' END, \
           jsonb_build_object('kind', CASE WHEN g % 20 < 16 THEN 'unresolved' WHEN g % 20 < 19 THEN 'resolved' ELSE 'muted' END), \
           now() - interval '90 days' + g * interval '77 seconds', now() - interval '90 days' + g * interval '77 seconds', \
           (g * 31) % 50, '1.' || (g % 10), '1.' || (g % 10) \
         FROM generate_series(1, 100000) g",
    )
    .await;
    // Their search text, as the write path keeps it.
    exec(
        "search texts",
        "INSERT INTO issue_search_texts (issue_id, text) \
         SELECT id, title || ' ' || culprit FROM issues WHERE project_id = $1",
    )
    .await;
    // Events: one per issue, the other 900,000 skewed towards few issues.
    let payload = compress_payload(br#"{"level":"error","platform":"python","exception":{"values":[{"type":"BenchError","value":"x"}]}}"#);
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, platform, release, environment, title, payload) \
         SELECT $1, md5(g::text)::uuid, i.id, i.first_seen + (now() - i.first_seen) * r.f, now(), i.level, 'python', \
                i.last_release, 'production', i.title, $2 \
         FROM (SELECT g, CASE WHEN g <= $3 THEN g ELSE 1 + floor($3 * power(random(), 3))::int8 END AS s, random() AS f \
               FROM generate_series(1, $4) g) r \
         JOIN issues i ON i.project_id = $1 AND i.short_id = r.s",
    )
    .bind(p)
    .bind(&payload)
    .bind(ISSUES)
    .bind(EVENTS)
    .execute(pool)
    .await
    .unwrap();
    eprintln!("{:>6.1} s  events", t.elapsed().as_secs_f64());
    exec(
        "event counts",
        "UPDATE issues i SET times_seen = c.n, last_seen = c.last \
         FROM (SELECT issue_id, count(*) AS n, max(timestamp) AS last FROM events WHERE project_id = $1 GROUP BY issue_id) c \
         WHERE i.id = c.issue_id",
    )
    .await;
    // Sparkline data: about ten hours with events per issue in 14 days.
    exec(
        "hourly counts",
        "INSERT INTO issue_hourly_counts (issue_id, hour, count) \
         SELECT i.id, date_trunc('hour', now()) - ((k + i.id % 37) * interval '1 hour'), 1 + (i.id * k) % 5 \
         FROM issues i, generate_series(0, 335, 37) k WHERE i.project_id = $1",
    )
    .await;
    exec(
        "tag values",
        "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen) \
         SELECT i.id, t.key, t.value, greatest(i.times_seen, 1), i.first_seen, i.last_seen FROM issues i, LATERAL (VALUES \
           ('environment', CASE WHEN i.short_id % 4 = 0 THEN 'staging' ELSE 'production' END), \
           ('release', i.last_release), \
           ('browser.name', CASE WHEN i.short_id % 10 = 1 THEN 'Firefox' WHEN i.short_id % 3 = 0 THEN 'Safari' ELSE 'Chrome' END), \
           ('user', CASE WHEN i.short_id % 5 = 0 THEN 'email:u' || i.short_id || '@example.com' END)) t(key, value) \
         WHERE i.project_id = $1 AND t.value IS NOT NULL",
    )
    .await;
    exec(
        "releases",
        "INSERT INTO releases (project_id, version, first_seen, last_seen) \
         SELECT $1, '1.' || g, now() - (10 - g) * interval '1 day', now() FROM generate_series(0, 9) g",
    )
    .await;
    exec(
        "short ids",
        "UPDATE projects SET next_short_id = 100001 WHERE id = $1",
    )
    .await;
    // What autovacuum does after a bulk load: statistics, and no dead rows
    // (the counter update above rewrote every issue) left in the indexes.
    sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
}

/// A signed-in client.
struct Web {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl Web {
    async fn signed_in(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = client.get(format!("{base}/login")).send().await.unwrap();
        let csrf_cookie = cookie(&form, "moth_csrf");
        let html = form.text().await.unwrap();
        let marker = "name=\"csrf_token\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let token = &html[start..start + html[start..].find('"').unwrap()];
        let body = serde_urlencoded::to_string([
            ("csrf_token", token),
            ("email", "bench@example.com"),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .unwrap();
        let r = client
            .post(format!("{base}/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", base)
            .header("cookie", csrf_cookie)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in failed");
        Self {
            cookie: cookie(&r, "moth_session"),
            client,
            base: base.to_string(),
        }
    }

    async fn get(&self, path: &str) -> (Duration, String) {
        let t = Instant::now();
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {html}");
        (t.elapsed(), html)
    }

    /// A few warm-up requests, then [`RUNS`] timed ones.
    async fn times(&self, path: &str) -> Vec<Duration> {
        for _ in 0..3 {
            self.get(path).await;
        }
        let mut out = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            out.push(self.get(path).await.0);
        }
        out
    }
}

fn cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}
