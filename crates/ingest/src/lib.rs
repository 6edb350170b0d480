//! moth-ingest

pub mod grouping;
