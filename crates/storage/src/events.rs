//! Stored events: the payload codec and reads.

use std::io::Read;

use crate::{Result, StorageError};

/// Compresses a normalised event (JSON bytes) for the `payload` column.
/// zstd at a low level: several times smaller than the JSON at a small CPU
/// cost, and PostgreSQL stores it without compressing again.
pub fn compress_payload(json: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(json, 3).expect("zstd compression of a byte slice cannot fail")
}

/// The inverse of [`compress_payload`], bounded to `max` output bytes.
pub fn decompress_payload(data: &[u8], max: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(data)
        .and_then(|d| d.take(max as u64 + 1).read_to_end(&mut out))
        .map_err(|e| StorageError::Invalid(format!("stored event payload is unreadable: {e}")))?;
    if out.len() > max {
        return Err(StorageError::Invalid(
            "stored event payload is larger than allowed".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let json = br#"{"event_id":"abc","message":"hello hello hello hello"}"#;
        let packed = compress_payload(json);
        assert_eq!(decompress_payload(&packed, 1 << 20).unwrap(), json);
        assert!(decompress_payload(&packed, 10).is_err());
        assert!(decompress_payload(b"junk", 100).is_err());
    }
}
