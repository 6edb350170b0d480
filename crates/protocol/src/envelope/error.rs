//! Why an envelope could not be parsed. Every message names what is wrong and
//! where (line, item number counted from 1, byte offset in the decompressed
//! body), because it goes back to the sender as the `detail` of a 400.

/// A framing error: the body is not a Sentry envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The body has no bytes at all.
    #[error("envelope is empty (expected a JSON header line)")]
    Empty,

    /// The first line contains bytes that are not UTF-8.
    #[error("envelope header (line 1) is not valid UTF-8: invalid byte at byte {byte}")]
    HeaderNotUtf8 {
        /// Offset of the first invalid byte in the body.
        byte: usize,
    },

    /// The first line is not one JSON object.
    #[error("envelope header (line 1) is not a JSON object: {reason}")]
    HeaderNotObject {
        /// serde's message, with the column, or what was found instead.
        reason: String,
    },

    /// The header's `event_id` is neither 32 hex digits nor a dashed UUID.
    #[error("envelope header has an invalid \"event_id\": {value}")]
    InvalidEventId {
        /// The offending value as JSON (shortened).
        value: String,
    },

    /// An item header line contains bytes that are not UTF-8.
    #[error("item {item} header at byte {offset} is not valid UTF-8: invalid byte at byte {byte}")]
    ItemHeaderNotUtf8 {
        /// Item number, counted from 1.
        item: usize,
        /// Offset of the header line in the body.
        offset: usize,
        /// Offset of the first invalid byte in the body.
        byte: usize,
    },

    /// An item header line is not valid JSON.
    #[error("item {item} header at byte {offset} is not valid JSON: {reason}")]
    ItemHeaderInvalid {
        /// Item number, counted from 1.
        item: usize,
        /// Offset of the header line in the body.
        offset: usize,
        /// serde's message, with the column.
        reason: String,
    },

    /// An item header line is valid JSON but not an object.
    #[error("item {item} header at byte {offset} is not a JSON object")]
    ItemHeaderNotObject {
        /// Item number, counted from 1.
        item: usize,
        /// Offset of the header line in the body.
        offset: usize,
    },

    /// An item header has no `type` (or `null`).
    #[error("item {item} header has no \"type\"")]
    MissingType {
        /// Item number, counted from 1.
        item: usize,
    },

    /// An item header has a `type` that is not a string.
    #[error("item {item} header has a \"type\" that is not a string: {value}")]
    InvalidType {
        /// Item number, counted from 1.
        item: usize,
        /// The offending value as JSON (shortened).
        value: String,
    },

    /// An item header has a `length` that is not a non-negative integer.
    #[error("item {item} header has a \"length\" that is not a non-negative integer: {value}")]
    InvalidLength {
        /// Item number, counted from 1.
        item: usize,
        /// The offending value as JSON (shortened).
        value: String,
    },

    /// An item declares more payload bytes than the body has left.
    #[error("item {item} declares length {length} but only {remaining} bytes remain")]
    LengthPastEnd {
        /// Item number, counted from 1.
        item: usize,
        /// The declared length.
        length: u64,
        /// Bytes left after the item header line.
        remaining: usize,
    },

    /// The byte after a payload of declared length is not a newline.
    #[error(
        "item {item} payload of declared length {length} is followed by {found} at byte {offset} \
         instead of a newline or the end of the envelope"
    )]
    MissingNewline {
        /// Item number, counted from 1.
        item: usize,
        /// The declared length.
        length: u64,
        /// Offset of the unexpected byte.
        offset: usize,
        /// The unexpected byte, described (e.g. `'x'` or `byte 0x0d`).
        found: String,
    },
}
