//! `moth-loadgen`: replays realistic SDK traffic at a DSN.
//!
//! Bodies are generated (and compressed, as the SDKs do) before the run on
//! all cores, so the load generator spends its run time sending, not
//! compressing. Each event has a fresh id; `--issues` distinct stack traces
//! give that many issues. After the run it waits until the server reports
//! the events as stored (`--stored-cmd`, a shell command printing a count)
//! and reports events/s durably stored over the whole interval.

mod http;
mod stored;
mod template;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use moth_protocol::dsn::Dsn;
use template::Compression;

#[derive(Debug, Parser)]
#[command(
    name = "moth-loadgen",
    about = "Send realistic Sentry SDK traffic to a DSN"
)]
struct Args {
    /// DSN to send to (http://KEY@HOST:PORT/PROJECT).
    #[arg(long)]
    dsn: String,
    /// Requests in flight at once (closed loop).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Open loop: start this many requests per second instead.
    #[arg(long)]
    rate: Option<u64>,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Distinct issues (distinct stack traces).
    #[arg(long, default_value_t = 100)]
    issues: usize,
    #[arg(long, value_enum, default_value_t = Compression::Brotli)]
    compression: Compression,
    /// Bodies prepared in advance (default: enough for 15,000 events/s).
    #[arg(long)]
    max_events: Option<usize>,
    /// Shell command printing how many events the server has stored.
    #[arg(long, conflicts_with = "stored_api_token")]
    stored_cmd: Option<String>,
    /// Count stored events through the server's Sentry-style web API
    /// instead (sum of the project's issue counts), with this API token.
    #[arg(long)]
    stored_api_token: Option<String>,
    /// Organization slug in API paths, for --stored-api-token.
    #[arg(long, default_value = "moth")]
    api_org: String,
    /// How long to wait for the stored count to reach the accepted count.
    #[arg(long, default_value_t = 600)]
    stored_timeout: u64,
    /// When --stored-timeout passes, report the events stored by then
    /// (`stored_complete: false`, events/s stored = stored / time waited)
    /// instead of failing: for servers that queue events before storing them.
    #[arg(long)]
    stored_partial: bool,
    /// Directory with the SDK captures.
    #[arg(long, default_value = "fixtures/sdk-captures")]
    fixtures: PathBuf,
    /// Print one JSON line with the results (for scripts).
    #[arg(long)]
    json: bool,
    /// Write one sample body (as sent) to this file and exit (for profiling).
    #[arg(long)]
    write_sample: Option<PathBuf>,
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    statuses: std::collections::BTreeMap<u16, u64>,
    errors: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dsn = Dsn::parse(&args.dsn).context("--dsn is not a DSN")?;
    if dsn.scheme != "http" {
        anyhow::bail!(
            "moth-loadgen sends plain HTTP only (the DSN says {})",
            dsn.scheme
        );
    }
    let path = format!(
        "/{}api/{}/envelope/",
        if dsn.path_prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", dsn.path_prefix)
        },
        dsn.project_id
    );
    let auth = format!(
        "Sentry sentry_key={}, sentry_version=7, sentry_client=sentry.python/2.75.0",
        dsn.public_key
    );
    if let Some(path) = &args.write_sample {
        let base = template::base_event(&args.fixtures)?;
        let (_, body) = template::envelope_body(&template::issue_event(&base, 7), args.compression);
        std::fs::write(path, body).with_context(|| format!("write {}", path.display()))?;
        return Ok(());
    }
    let count = args.max_events.unwrap_or(15_000 * args.duration as usize);
    let bodies = prepare(&args, count)?;
    let avg = bodies.iter().map(|b| b.len()).sum::<usize>() / bodies.len().max(1);
    eprintln!(
        "prepared {} bodies ({} bytes each on average as sent, {:?}; events ~{} bytes uncompressed)",
        bodies.len(),
        avg,
        args.compression,
        template::uncompressed_size(&args.fixtures)?
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let counter = match (&args.stored_cmd, &args.stored_api_token) {
        (Some(cmd), _) => Some(stored::StoredCounter::Command(cmd.clone())),
        (None, Some(token)) => {
            let base = format!("{}://{}{}", dsn.scheme, dsn.authority, dsn.path_prefix);
            Some(stored::StoredCounter::Api(stored::ApiCounter::new(
                &base,
                &args.api_org,
                &dsn.project_id.to_string(),
                token,
            )?))
        }
        (None, None) => None,
    };
    // Events stored before this run do not count.
    let baseline = match &counter {
        Some(c @ stored::StoredCounter::Api(_)) => runtime.block_on(c.count())?,
        _ => 0,
    };
    let mut headers = vec![
        ("X-Sentry-Auth", auth.as_str()),
        ("Content-Type", "application/x-sentry-envelope"),
    ];
    if let Some(encoding) = args.compression.header() {
        headers.push(("Content-Encoding", encoding));
    }
    let target = http::Target::new(&dsn.authority, &path, &headers);
    let (stats, sent, elapsed) = runtime.block_on(run(&args, target, bodies))?;
    let accepted = stats.statuses.get(&200).copied().unwrap_or(0);
    let mut lat = stats.latencies_us.clone();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let secs = elapsed.as_secs_f64();

    let (stored_rate, stored_secs, stored, stored_complete) = match &counter {
        Some(counter) => {
            let (n, t, complete) = runtime.block_on(stored::wait_stored(
                counter,
                baseline,
                accepted,
                Duration::from_secs(args.stored_timeout),
                elapsed,
                args.stored_partial,
            ))?;
            let counted = if complete { accepted } else { n };
            (
                counted as f64 / t.as_secs_f64(),
                t.as_secs_f64(),
                Some(n),
                Some(complete),
            )
        }
        None => (f64::NAN, f64::NAN, None, None),
    };
    let statuses: Vec<String> = stats
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}:{n}"))
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "concurrency": args.concurrency, "rate": args.rate, "duration": secs, "sent": sent,
                "requests_per_s": sent as f64 / secs, "accepted": accepted, "accepted_per_s": accepted as f64 / secs,
                "statuses": stats.statuses, "errors": stats.errors,
                "p50_ms": pct(0.50) as f64 / 1000.0, "p90_ms": pct(0.90) as f64 / 1000.0,
                "p99_ms": pct(0.99) as f64 / 1000.0, "max_ms": lat.last().copied().unwrap_or(0) as f64 / 1000.0,
                "stored_per_s": stored_rate, "stored_after_s": stored_secs, "body_bytes": avg,
                "stored": stored, "stored_complete": stored_complete,
            })
        );
    } else {
        println!("requests/s        {:.0}", sent as f64 / secs);
        println!("events/s accepted {:.0}", accepted as f64 / secs);
        println!(
            "statuses          {} (transport errors: {})",
            statuses.join(" "),
            stats.errors
        );
        println!(
            "latency ms        p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            pct(0.5) as f64 / 1e3,
            pct(0.9) as f64 / 1e3,
            pct(0.99) as f64 / 1e3,
            lat.last().copied().unwrap_or(0) as f64 / 1e3
        );
        match (stored, stored_complete) {
            (_, Some(true)) => println!(
                "events/s stored   {stored_rate:.0} (all {accepted} stored {stored_secs:.1} s after the start)"
            ),
            (Some(n), Some(false)) => println!(
                "events/s stored   {stored_rate:.0} (only {n} of {accepted} stored {stored_secs:.1} s after the start)"
            ),
            _ => {}
        }
    }
    Ok(())
}

/// Generates `count` bodies on every core.
fn prepare(args: &Args, count: usize) -> Result<Vec<bytes::Bytes>> {
    let base = template::base_event(&args.fixtures)?;
    let events: Arc<Vec<serde_json::Value>> = Arc::new(
        (0..args.issues.max(1))
            .map(|k| template::issue_event(&base, k))
            .collect(),
    );
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let per = count.div_ceil(threads);
    let compression = args.compression;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let events = events.clone();
            std::thread::spawn(move || {
                let mut rng_state = (t as u64 + 1) * 0x9E3779B97F4A7C15;
                (0..per)
                    .map(|_| {
                        rng_state ^= rng_state << 13;
                        rng_state ^= rng_state >> 7;
                        rng_state ^= rng_state << 17;
                        let k = (rng_state % events.len() as u64) as usize;
                        bytes::Bytes::from(template::envelope_body(&events[k], compression).1)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut out = Vec::with_capacity(count);
    for h in handles {
        out.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("body generation panicked"))?,
        );
    }
    out.truncate(count);
    Ok(out)
}

async fn run(
    args: &Args,
    target: http::Target,
    bodies: Vec<bytes::Bytes>,
) -> Result<(Stats, usize, Duration)> {
    let target = Arc::new(target);
    // Idle keep-alive connections, shared by the senders.
    let pool: Arc<Mutex<Vec<http::Connection>>> = Arc::new(Mutex::new(Vec::new()));
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let stats = Arc::new(Mutex::new(Stats::default()));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.duration);
    let send = {
        let (target, pool, bodies, stats) =
            (target.clone(), pool.clone(), bodies.clone(), stats.clone());
        move |i: usize| {
            let (target, pool, bodies, stats) =
                (target.clone(), pool.clone(), bodies.clone(), stats.clone());
            async move {
                let idle = pool.lock().expect("pool lock").pop();
                let mut conn = idle.unwrap_or_else(|| http::Connection::new(target));
                let t = Instant::now();
                let result = conn.post(&bodies[i], Duration::from_secs(60)).await;
                let us = t.elapsed().as_micros() as u64;
                pool.lock().expect("pool lock").push(conn);
                let mut s = stats.lock().expect("stats lock");
                match result {
                    Ok(answer) => {
                        *s.statuses.entry(answer.status).or_default() += 1;
                        s.latencies_us.push(us);
                        // Like an SDK's transport: after a 429, send nothing
                        // until Retry-After has passed (1 s without one).
                        (answer.status == 429)
                            .then(|| Duration::from_secs(answer.retry_after.unwrap_or(1)))
                    }
                    Err(_) => {
                        s.errors += 1;
                        None
                    }
                }
            }
        }
    };
    match args.rate {
        Some(rate) if rate > 0 => {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut tasks = tokio::task::JoinSet::new();
            while Instant::now() < deadline {
                tick.tick().await;
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() {
                    eprintln!("ran out of prepared bodies; raise --max-events");
                    break;
                }
                let fut = send(i);
                tasks.spawn(async move {
                    fut.await;
                });
            }
            while tasks.join_next().await.is_some() {}
        }
        _ => {
            let mut workers = tokio::task::JoinSet::new();
            for _ in 0..args.concurrency.max(1) {
                let (next, send, bodies) = (next.clone(), send.clone(), bodies.clone());
                workers.spawn(async move {
                    while Instant::now() < deadline {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= bodies.len() {
                            break;
                        }
                        // Like an SDK's transport: after a 429, this client
                        // sends nothing until Retry-After has passed.
                        if let Some(pause) = send(i).await {
                            let left = deadline.saturating_duration_since(Instant::now());
                            tokio::time::sleep(pause.min(left)).await;
                        }
                    }
                });
            }
            while workers.join_next().await.is_some() {}
        }
    }
    let elapsed = start.elapsed();
    let sent = next.load(Ordering::Relaxed).min(bodies.len());
    let stats = std::mem::take(&mut *stats.lock().expect("stats lock"));
    Ok((stats, sent, elapsed))
}
