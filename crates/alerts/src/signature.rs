//! The generic webhook's signature: `X-Moth-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of the exact request body keyed with the destination's
//! secret (its text as shown, as bytes). Receivers recompute it over the raw
//! body before parsing and compare in constant time.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-moth-signature";
/// Header carrying the Unix time (seconds) the message was sent; the same
/// time is in the signed body as `sent_at`.
pub const TIMESTAMP_HEADER: &str = "x-moth-timestamp";
/// Header naming the message type (`issue.new`, `test`, ...).
pub const EVENT_HEADER: &str = "x-moth-event";
/// Header carrying the delivery id: the same on every retry of one message,
/// so receivers can drop a repeat.
pub const DELIVERY_HEADER: &str = "x-moth-delivery";

type HmacSha256 = Hmac<Sha256>;

/// A new random secret: 32 bytes as 64 hex characters.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The `X-Moth-Signature` value of `body`: `sha256=<64 hex>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is a valid signature of `body` (constant-time compare).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe".
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifies_only_the_exact_body_and_key() {
        let secret = generate_secret();
        assert_eq!(secret.len(), 64);
        let sig = sign(&secret, b"{\"a\":1}");
        assert!(verify(&secret, b"{\"a\":1}", &sig));
        assert!(!verify(&secret, b"{\"a\": 1}", &sig));
        assert!(!verify("other", b"{\"a\":1}", &sig));
        assert!(!verify(&secret, b"{\"a\":1}", "sha256=zz"));
        assert!(!verify(
            &secret,
            b"{\"a\":1}",
            sig.trim_start_matches("sha256=")
        ));
    }
}
