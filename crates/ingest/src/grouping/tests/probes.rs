//! Manual probes, `#[ignore]`d: they print, they do not assert. Run with
//! `cargo test --release -p moth-ingest <name> -- --ignored --nocapture`.
//! Timing numbers belong to benchmarks, never to assertions.

use serde_json::Value;

use super::{capture, event_capture_names};
use crate::grouping::group_event;

/// Prints every capture's grouping; run with `--ignored --nocapture` when
/// changing the algorithm to see what moved.
#[test]
#[ignore]
fn dump_capture_groupings() {
    for name in event_capture_names() {
        let event = capture(&name);
        let g = group_event(&event);
        println!(
            "== {name}\n   {:?} {:?}\n   title={:?}\n   culprit={:?} kind={:?}\n   metadata={}",
            g.hashes, g.variant_names, g.title, g.culprit, g.kind, g.metadata
        );
        for (variant, inputs) in crate::grouping::hash_inputs(&event) {
            println!("   {variant}: {}", inputs.join(" | "));
        }
    }
}

/// Rough throughput over the real captures; run with
/// `cargo test --release -p moth-ingest grouping_throughput -- --ignored --nocapture`.
/// Prints numbers, asserts nothing: timing belongs to benchmarks.
#[test]
#[ignore]
fn grouping_throughput() {
    let events: Vec<Value> = event_capture_names().iter().map(|n| capture(n)).collect();
    let rounds = 2_000;
    let start = std::time::Instant::now();
    let mut total = 0usize;
    for _ in 0..rounds {
        for ev in &events {
            total += group_event(ev).hashes.len();
        }
    }
    let elapsed = start.elapsed();
    let n = rounds * events.len();
    println!(
        "{n} events in {elapsed:?}: {:.1} µs/event ({total} hashes)",
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
}
#[test]
#[ignore]
fn per_capture_cost() {
    // Warm up: compile the lazily built regexes once.
    for name in event_capture_names() {
        group_event(&capture(&name));
    }
    for name in event_capture_names() {
        let ev = capture(&name);
        let start = std::time::Instant::now();
        for _ in 0..2000 {
            std::hint::black_box(group_event(&ev));
        }
        println!(
            "{:>8.1} µs  {name}",
            start.elapsed().as_secs_f64() * 1e6 / 2000.0
        );
    }
}

#[test]
#[ignore]
fn message_cost() {
    let ascii = "Failed to sync order 12345 for customer alice@example.com on db-1.prod.internal after 1500ms (req 123e4567-e89b-12d3-a456-426614174000) at 2024-03-01T12:30:45Z with status=\"timeout\" retry=true";
    let unicode = "Échec de synchronisation de la commande 12345 pour le client alice@example.com sur db-1.prod.internal après 1500ms (req 123e4567-e89b-12d3-a456-426614174000) à 2024-03-01T12:30:45Z statut=\"délai\" réessai=true 🚀";
    for (label, m) in [("ascii", ascii), ("unicode", unicode)] {
        let _ = crate::grouping::normalize_message_for_grouping(m);
        let start = std::time::Instant::now();
        for _ in 0..2000 {
            std::hint::black_box(crate::grouping::normalize_message_for_grouping(m));
        }
        println!(
            "{label}: {:.1} µs",
            start.elapsed().as_secs_f64() * 1e6 / 2000.0
        );
    }
}
