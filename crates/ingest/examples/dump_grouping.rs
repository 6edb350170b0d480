//! Prints the grouping of every event capture in `fixtures/sdk-captures`:
//! hashes and variant names, title, culprit, kind, metadata and the hash
//! inputs of each variant. Run it before and after changing the algorithm
//! to see what moved:
//!
//! ```sh
//! cargo run -p moth-ingest --example dump_grouping            # all captures
//! cargo run -p moth-ingest --example dump_grouping -- rust-c  # names containing "rust-c"
//! cargo run -p moth-ingest --example dump_grouping -- --raw   # the payloads as sent, not normalised
//! ```
//!
//! Ingest groups normalised events; the grouping tests use the payloads as
//! the SDKs sent them (`--raw`).

use moth_ingest::grouping::{group_event, hash_inputs};

#[path = "../benches/support/captures.rs"]
mod captures;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let raw = args.iter().any(|a| a == "--raw");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    for capture in captures::event_captures() {
        if !filters.is_empty() && !filters.iter().any(|f| capture.name.contains(f.as_str())) {
            continue;
        }
        let event = if raw {
            &capture.raw
        } else {
            &capture.normalized
        };
        let g = group_event(event);
        println!("== {}", capture.name);
        for (hash, variant) in g.hashes.iter().zip(&g.variant_names) {
            println!("   {variant:<16} {hash}");
        }
        println!("   title    {:?}", g.title);
        println!("   culprit  {:?}", g.culprit);
        println!("   kind     {}", g.kind.as_str());
        println!("   metadata {}", g.metadata);
        for (variant, inputs) in hash_inputs(event) {
            println!("   {variant}: {}", inputs.join(" | "));
        }
    }
}
