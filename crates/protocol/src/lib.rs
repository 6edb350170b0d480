//! The Sentry data model as Moth understands it: DSNs, envelopes, events and
//! their normalisation. Pure functions only: no I/O, no clocks read behind
//! the caller's back.

pub mod dsn;
pub mod envelope;
pub mod event;
pub mod event_id;
mod repr;
#[cfg(test)]
mod test_fixtures;

pub use envelope::{Envelope, EnvelopeError, EnvelopeHeaders, EnvelopeItem, ItemHeaders, ItemType};
pub use event::{
    normalize_event, normalize_event_value, EventError, EventLimits, Level, NormalizeOptions,
    NormalizedEvent,
};
pub use event_id::EventId;
