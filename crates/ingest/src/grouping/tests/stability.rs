//! Grouping stability: what must and must not change the hashes.
