//! Reading request bodies within limits: the compressed size is checked
//! while streaming, and decompression stops one byte past the decompressed
//! limit, so neither a huge upload nor a compression bomb is ever held in
//! memory. Every byte held counts against a global [`MemoryBudget`].

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderMap;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use moth_storage::payload::BodyEncoding;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::IngestError;

/// Bytes of request bodies (compressed and decompressed) Moth holds at once.
/// When it is spent, new bodies are answered 429 instead of growing memory.
#[derive(Clone)]
pub struct MemoryBudget {
    sem: Arc<Semaphore>,
}

/// Budget units are KiB (a semaphore counts permits in u32).
const UNIT: usize = 1024;

impl MemoryBudget {
    pub fn new(bytes: usize) -> Self {
        Self {
            sem: Arc::new(Semaphore::new((bytes / UNIT).max(1))),
        }
    }

    /// Reserves `bytes` more; fails at once instead of waiting.
    fn reserve(
        &self,
        held: &mut Option<OwnedSemaphorePermit>,
        bytes: usize,
    ) -> Result<(), IngestError> {
        let units = bytes.div_ceil(UNIT) as u32;
        if units == 0 {
            return Ok(());
        }
        let permit = self
            .sem
            .clone()
            .try_acquire_many_owned(units)
            .map_err(|_| IngestError::MemoryBusy)?;
        match held {
            Some(h) => h.merge(permit),
            None => *held = Some(permit),
        }
        Ok(())
    }

    /// Units currently available (for tests and diagnostics).
    pub fn available_bytes(&self) -> usize {
        self.sem.available_permits() * UNIT
    }
}

/// A body read into memory, with the budget it holds until dropped.
pub struct ReceivedBody {
    pub bytes: Bytes,
    _reservation: Option<OwnedSemaphorePermit>,
}

/// Size limits for one endpoint.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Bytes on the wire (after de-chunking, before decompression).
    pub max_compressed: usize,
    /// Bytes after decompression.
    pub max_decompressed: usize,
    /// Name of the decompressed limit, for the 413 message.
    pub name: &'static str,
}

/// A body as received, before decompression, with the budget it holds.
pub struct RawBody {
    bytes: Bytes,
    encodings: Vec<Encoding>,
    limits: BodyLimits,
    budget: MemoryBudget,
    held: Option<OwnedSemaphorePermit>,
}

/// Reads a request body within the compressed-size limit and the timeout,
/// leaving decompression to [`RawBody::decode`] (CPU work, for the ingest
/// threads). Unknown encodings are refused before reading.
pub async fn receive(
    headers: &HeaderMap,
    body: Body,
    limits: BodyLimits,
    budget: &MemoryBudget,
    timeout: Duration,
) -> Result<RawBody, IngestError> {
    let encodings = content_encodings(headers)?;
    if let Some(len) = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limits.max_compressed {
            return Err(too_large("request body", limits.max_compressed));
        }
    }
    let mut held = None;
    let bytes = tokio::time::timeout(
        timeout,
        collect(body, limits.max_compressed, budget, &mut held),
    )
    .await
    .map_err(|_| IngestError::BodyTimeout(timeout.as_secs()))??;
    Ok(RawBody {
        bytes,
        encodings,
        limits,
        budget: budget.clone(),
        held,
    })
}

impl RawBody {
    /// The body as sent, when one encoding that storage can keep as is
    /// (brotli or gzip) was applied to it.
    pub fn as_sent(&self) -> Option<(BodyEncoding, Bytes)> {
        let encoding = match self.encodings.as_slice() {
            [Encoding::Brotli] => BodyEncoding::Brotli,
            [Encoding::Gzip] => BodyEncoding::Gzip,
            _ => return None,
        };
        Some((encoding, self.bytes.clone()))
    }

    /// Decompresses the body (every layer, within the decompressed limit).
    pub fn decode(self) -> Result<ReceivedBody, IngestError> {
        let RawBody {
            bytes,
            encodings,
            limits,
            budget,
            mut held,
        } = self;
        let bytes = decompress(bytes, &encodings, limits, &budget, &mut held)?;
        Ok(ReceivedBody {
            bytes,
            _reservation: held,
        })
    }
}

/// Reads a body to its end without keeping it (for requests refused before
/// their body matters). Stops early past `max` bytes, on an error or at the
/// timeout; the connection is then closed instead of reused.
pub async fn discard(mut body: Body, max: usize, timeout: Duration) {
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(chunk) = frame.into_data() {
                seen += chunk.len();
                if seen > max {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(timeout, drain).await;
}

async fn collect(
    mut body: Body,
    max: usize,
    budget: &MemoryBudget,
    held: &mut Option<OwnedSemaphorePermit>,
) -> Result<Bytes, IngestError> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| IngestError::BodyRead(e.to_string()))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if buf.len() + chunk.len() > max {
            return Err(too_large("request body", max));
        }
        budget.reserve(held, chunk.len())?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The encodings applied to the body, in the order they were applied.
/// Empty and `UTF-8` values (sent by some old SDKs) mean none.
fn content_encodings(headers: &HeaderMap) -> Result<Vec<Encoding>, IngestError> {
    let mut out = Vec::new();
    for value in headers.get_all(axum::http::header::CONTENT_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| IngestError::UnsupportedEncoding("<non-ASCII>".into()))?;
        for token in value.split(',') {
            let token = token.trim().to_ascii_lowercase();
            if matches!(token.as_str(), "" | "identity" | "utf-8" | "utf8") {
                continue;
            }
            match Encoding::from_name(&token) {
                Some(enc) => out.push(enc),
                None => return Err(IngestError::UnsupportedEncoding(token)),
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Encoding {
    /// The encoding a (lower-case) name stands for: a `Content-Encoding`
    /// token, or `zlib` for the `/store/` endpoint's base64 bodies.
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "gzip" | "x-gzip" => Self::Gzip,
            "deflate" | "zlib" => Self::Deflate,
            "br" => Self::Brotli,
            "zstd" => Self::Zstd,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }
}

fn decompress(
    mut data: Bytes,
    encodings: &[Encoding],
    limits: BodyLimits,
    budget: &MemoryBudget,
    held: &mut Option<OwnedSemaphorePermit>,
) -> Result<Bytes, IngestError> {
    for &enc in encodings.iter().rev() {
        data = inflate(&data, enc, limits, budget, held)?;
    }
    Ok(data)
}

/// Decompresses one layer of `data` as request bodies are (`zlib` or
/// `deflate`, `gzip`, `br`, `zstd`), reading at most `max + 1` bytes: the
/// `/store/` endpoint's base64 bodies, and the instruction-count example.
pub fn decompress_bytes(data: &[u8], encoding: &str, max: usize) -> Result<Vec<u8>, IngestError> {
    let enc = Encoding::from_name(encoding)
        .ok_or_else(|| IngestError::UnsupportedEncoding(encoding.into()))?;
    let mut held = None;
    let budget = MemoryBudget::new(max + 2 * UNIT);
    let limits = BodyLimits {
        max_compressed: usize::MAX,
        max_decompressed: max,
        name: "event",
    };
    // The output is a `Vec` inside `Bytes`: handed back without a copy.
    inflate(data, enc, limits, &budget, &mut held).map(Vec::from)
}

fn inflate(
    data: &[u8],
    enc: Encoding,
    limits: BodyLimits,
    budget: &MemoryBudget,
    held: &mut Option<OwnedSemaphorePermit>,
) -> Result<Bytes, IngestError> {
    let reader: Box<dyn Read + '_> = match enc {
        Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Encoding::Deflate => {
            // "deflate" should be zlib-wrapped (RFC 1950); some clients send
            // raw deflate. The zlib header's check bits tell them apart.
            let zlib = data.len() >= 2
                && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0
                && data[0] & 0x0f == 8;
            if zlib {
                Box::new(flate2::read::ZlibDecoder::new(data))
            } else {
                Box::new(flate2::read::DeflateDecoder::new(data))
            }
        }
        Encoding::Brotli => Box::new(brotlic::DecompressorReader::new(data)),
        Encoding::Zstd => Box::new(
            zstd::stream::read::Decoder::new(data).map_err(|e| decompression_error(enc, e))?,
        ),
    };
    let mut reader = reader.take(limits.max_decompressed as u64 + 1);
    // Read straight into the output, growing it step by step and reserving
    // budget as it grows (no zeroed scratch buffer per request).
    let mut out: Vec<u8> = Vec::with_capacity((data.len() * 8).min(limits.max_decompressed + 1));
    budget.reserve(held, out.capacity())?;
    let mut reserved = out.capacity();
    loop {
        if out.len() == out.capacity() {
            // Most bodies end right at the first guess: look for the end
            // with a small probe before growing (and zero-filling) more.
            let mut probe = [0u8; 4096];
            let n = reader
                .read(&mut probe)
                .map_err(|e| decompression_error(enc, e))?;
            if n == 0 {
                break;
            }
            if out.len() + n > limits.max_decompressed {
                return Err(too_large(limits.name, limits.max_decompressed));
            }
            // Grow by half, never past one byte over the limit (that byte
            // is how a body over it is noticed): `reserve` would double,
            // and a body near the limit would hold (and reserve budget
            // for) up to twice the limit.
            let room = limits.max_decompressed + 1 - out.len();
            out.reserve_exact((out.capacity() / 2).max(64 * 1024).min(room));
            budget.reserve(held, out.capacity() - reserved)?;
            reserved = out.capacity();
            out.extend_from_slice(&probe[..n]);
            continue;
        }
        let len = out.len();
        let spare = out.capacity() - len;
        // Zero-fill only the part `read` is about to write (safe Rust has no
        // uninitialised reads), then keep what it reported.
        out.resize(len + spare.min(64 * 1024), 0);
        let n = reader
            .read(&mut out[len..])
            .map_err(|e| decompression_error(enc, e))?;
        out.truncate(len + n);
        if n == 0 {
            break;
        }
        if out.len() > limits.max_decompressed {
            return Err(too_large(limits.name, limits.max_decompressed));
        }
    }
    Ok(Bytes::from(out))
}

fn decompression_error(enc: Encoding, e: std::io::Error) -> IngestError {
    IngestError::Decompression {
        encoding: enc.name().into(),
        message: e.to_string(),
    }
}

fn too_large(limit: &'static str, max: usize) -> IngestError {
    IngestError::TooLarge { limit, max }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Write;

    const LIMITS: BodyLimits = BodyLimits {
        max_compressed: 1 << 20,
        max_decompressed: 1 << 20,
        name: "envelope",
    };

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn with_encoding(enc: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-encoding", HeaderValue::from_str(enc).unwrap());
        h
    }

    /// What the handlers do: receive, then decode (there on the ingest
    /// threads).
    async fn receive_and_decode(
        headers: &HeaderMap,
        body: Body,
        limits: BodyLimits,
        budget: &MemoryBudget,
    ) -> Result<ReceivedBody, IngestError> {
        receive(headers, body, limits, budget, Duration::from_secs(5))
            .await?
            .decode()
    }

    async fn read_all(
        headers: HeaderMap,
        data: Vec<u8>,
        limits: BodyLimits,
    ) -> Result<Bytes, IngestError> {
        receive_and_decode(
            &headers,
            Body::from(data),
            limits,
            &MemoryBudget::new(64 << 20),
        )
        .await
        .map(|b| b.bytes)
    }

    #[tokio::test]
    async fn every_encoding_inflates() {
        let text = b"{\"event_id\":\"x\"}\n".repeat(100);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        let zlib = z.finish().unwrap();
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(&text).unwrap();
        let raw_deflate = d.finish().unwrap();
        let mut br = Vec::new();
        brotli::CompressorWriter::new(&mut br, 4096, 4, 22)
            .write_all(&text)
            .unwrap();
        let zst = zstd::bulk::compress(&text, 3).unwrap();
        for (enc, data) in [
            ("gzip", gzip(&text)),
            ("x-gzip", gzip(&text)),
            ("deflate", zlib),
            ("deflate", raw_deflate),
            ("br", br),
            ("zstd", zst),
            ("", text.clone()),
            ("UTF-8", text.clone()),
            ("identity", text.clone()),
        ] {
            let out = read_all(with_encoding(enc), data, LIMITS).await.unwrap();
            assert_eq!(&out[..], &text[..], "encoding {enc:?}");
        }
    }

    /// A body that decompresses to exactly the limit, a thousand times its
    /// size, is read within a budget of the limit plus the compressed body
    /// and some rounding (budget is counted in KiB at each growth step):
    /// the buffer grows to one byte over the limit, never to twice.
    #[tokio::test]
    async fn a_body_at_the_limit_needs_no_more_budget_than_the_limit() {
        let text = vec![b'x'; LIMITS.max_decompressed];
        let gz = gzip(&text);
        let budget = MemoryBudget::new(LIMITS.max_decompressed + gz.len() + 64 * UNIT);
        let out = receive_and_decode(&with_encoding("gzip"), Body::from(gz), LIMITS, &budget)
            .await
            .unwrap();
        assert_eq!(out.bytes.len(), LIMITS.max_decompressed);
    }

    #[test]
    fn decompress_bytes_takes_each_encoding_by_name_within_its_limit() {
        let text = b"{\"event_id\":\"x\"}\n".repeat(100);
        let mut br = Vec::new();
        brotli::CompressorWriter::new(&mut br, 4096, 4, 22)
            .write_all(&text)
            .unwrap();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        let zlib = z.finish().unwrap();
        for (enc, data) in [("br", &br), ("gzip", &gzip(&text)), ("zlib", &zlib)] {
            let out = decompress_bytes(data, enc, text.len()).unwrap();
            assert_eq!(out, text, "encoding {enc:?}");
            let err = decompress_bytes(data, enc, text.len() - 1).unwrap_err();
            assert!(
                matches!(err, IngestError::TooLarge { .. }),
                "{enc}: {err:?}"
            );
        }
        let err = decompress_bytes(&br, "lzma", 1 << 20).unwrap_err();
        assert!(
            matches!(err, IngestError::UnsupportedEncoding(_)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_compression_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100 << 10);
        let budget = MemoryBudget::new(64 << 20);
        let err = receive_and_decode(&with_encoding("gzip"), Body::from(bomb), LIMITS, &budget)
            .await
            .err()
            .unwrap();
        assert!(
            matches!(
                err,
                IngestError::TooLarge {
                    limit: "envelope",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(budget.available_bytes(), 64 << 20, "budget released");
    }

    #[tokio::test]
    async fn oversized_and_broken_bodies_are_rejected() {
        let small = BodyLimits {
            max_compressed: 10,
            ..LIMITS
        };
        let err = read_all(HeaderMap::new(), vec![b'x'; 11], small)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            IngestError::TooLarge {
                limit: "request body",
                max: 10
            }
        ));
        let err = read_all(with_encoding("gzip"), b"not gzip".to_vec(), LIMITS)
            .await
            .unwrap_err();
        assert!(matches!(err, IngestError::Decompression { .. }), "{err:?}");
        let err = read_all(with_encoding("compress"), b"x".to_vec(), LIMITS)
            .await
            .unwrap_err();
        assert!(matches!(err, IngestError::UnsupportedEncoding(_)));
    }

    #[tokio::test]
    async fn broken_truncated_and_oversized_brotli_are_refused() {
        let text = b"{\"message\":\"hello\"}\n".repeat(2000);
        let mut br = Vec::new();
        brotli::CompressorWriter::new(&mut br, 4096, 5, 22)
            .write_all(&text)
            .unwrap();
        let truncated = br[..br.len() / 2].to_vec();
        for broken in [b"not brotli at all".to_vec(), truncated] {
            let err = read_all(with_encoding("br"), broken, LIMITS)
                .await
                .unwrap_err();
            assert!(matches!(err, IngestError::Decompression { .. }), "{err:?}");
        }
        let small = BodyLimits {
            max_decompressed: 1000,
            ..LIMITS
        };
        let err = read_all(with_encoding("br"), br, small).await.unwrap_err();
        assert!(matches!(err, IngestError::TooLarge { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn an_exhausted_budget_answers_busy() {
        let budget = MemoryBudget::new(4 * UNIT);
        let err = receive_and_decode(
            &HeaderMap::new(),
            Body::from(vec![0u8; 8 * UNIT]),
            LIMITS,
            &budget,
        )
        .await
        .err()
        .unwrap();
        assert!(matches!(err, IngestError::MemoryBusy));
    }
}
