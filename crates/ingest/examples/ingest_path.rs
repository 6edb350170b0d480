//! The CPU work ingest does per event, without HTTP or the database:
//! decompress, parse the envelope, normalise, group, and pack the payload:
//! a brotli or gzip body is kept as sent (its event normalised in outline),
//! as ingest does; add `normalized` to normalise the whole event, then
//! serialise and compress it instead (the form of other bodies); add
//! `miss` to empty the grouping cache before each event, so that every
//! event is grouped anew (by default every event after the first repeats
//! the first's grouping input, as an issue's events mostly do).
//! For profiling with instruction counts, which do not depend on machine
//! load: `valgrind --tool=callgrind target/release/examples/ingest_path BODY br 200 [normalized] [miss]`
//! (make BODY with `moth-loadgen --dsn DSN --fixtures fixtures/sdk-captures
//! --write-sample BODY --compression brotli`; any DSN, nothing is sent).
//! Per event: the difference between N = 400 and N = 100, divided by 300.

use bytes::Bytes;
use moth_ingest::body::decompress_bytes;
use moth_ingest::grouping::forget_cached_groupings;
use moth_ingest::prepare::prepare;
use moth_protocol::envelope::{Envelope, ItemType};
use moth_protocol::event::NormalizeOptions;
use moth_storage::payload::BodyEncoding;

// The allocator `moth` runs with: allocation is a good part of this work.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: ingest_path BODY [br|gzip|none] [N] [normalized] [miss]");
    let encoding = args.next().unwrap_or_else(|| "br".into());
    let n: usize = args.next().map(|s| s.parse().expect("N")).unwrap_or(1000);
    let flags: Vec<String> = args.collect();
    let normalized = flags.iter().any(|f| f == "normalized");
    let miss = flags.iter().any(|f| f == "miss");
    let body = Bytes::from(std::fs::read(&path).expect("read body"));
    let kept_as = match encoding.as_str() {
        "br" => Some(BodyEncoding::Brotli),
        "gzip" => Some(BodyEncoding::Gzip),
        _ => None,
    };
    let started = std::time::Instant::now();
    let mut stored = 0usize;
    for _ in 0..n {
        if miss {
            forget_cached_groupings();
        }
        // The server's own decoder (its first size guess, its budget).
        let raw = match encoding.as_str() {
            "br" | "gzip" => decompress_bytes(&body, &encoding, 64 << 20).expect("decompresses"),
            _ => body.to_vec(),
        };
        let envelope = Envelope::parse(Bytes::from(raw)).expect("envelope");
        let opts = NormalizeOptions::new(chrono::Utc::now());
        for item in envelope
            .items
            .iter()
            .filter(|i| i.headers.item_type == ItemType::Event)
        {
            let as_sent = kept_as
                .filter(|_| !normalized)
                .map(|encoding| (encoding, body.clone()));
            let (_, prepared) =
                prepare(1, &item.payload, &opts, chrono::Utc::now(), as_sent).expect("event");
            stored += prepared.payload.len();
        }
    }
    let per = started.elapsed() / n as u32;
    eprintln!("{n} events, {per:?} per event ({stored} payload bytes)");
}
