//! moth-ingest
