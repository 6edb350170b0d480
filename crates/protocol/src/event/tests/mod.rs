//! Whole-event tests: every event in the SDK captures, and the top-level
//! rules (ids, timestamps, aliases, tags, limits...).

mod captures;
mod outline;
mod toplevel;
