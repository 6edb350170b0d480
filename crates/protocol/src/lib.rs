//! The Sentry data model as Moth understands it: DSNs, envelopes, events and
//! their normalisation. Pure functions only: no I/O, no clocks read behind
//! the caller's back.

pub mod dsn;
