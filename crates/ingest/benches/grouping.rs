//! Grouping throughput over every event capture in `fixtures/sdk-captures`
//! (normalised as ingest does, then grouped: hashes, title, culprit,
//! metadata), computed each time (`all_event_captures`) and found in the
//! grouping cache, as a repeat of a recent event is (`all_event_captures_cached`).
//! Criterion reports it as elements/s, one element per event:
//!
//! ```sh
//! cargo bench -p moth-ingest --bench grouping
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moth_ingest::grouping::{group_event, group_uncached};

// Shared with the `dump_grouping` example, which reads the other fields.
#[allow(dead_code)]
#[path = "support/captures.rs"]
mod captures;

fn grouping(c: &mut Criterion) {
    let events: Vec<_> = captures::event_captures()
        .into_iter()
        .map(|capture| capture.normalized)
        .collect();
    let mut group = c.benchmark_group("grouping");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("all_event_captures", |b| {
        b.iter(|| {
            for event in &events {
                black_box(group_uncached(black_box(event)));
            }
        })
    });
    group.bench_function("all_event_captures_cached", |b| {
        b.iter(|| {
            for event in &events {
                black_box(group_event(black_box(event)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, grouping);
criterion_main!(benches);
