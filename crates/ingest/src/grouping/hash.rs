//! Hash inputs and how they are turned into a grouping hash.
//!
//! Every strategy reduces an event to a flat list of [`Token`]s (what
//! contributes, in order). Sentry hashes the bare concatenation of values,
//! which lets `["ab", "c"]` collide with `["a", "bc"]`; we frame every token
//! as `kind 0x1f length(u64 LE) value`, so the byte stream can be parsed back
//! into exactly one token list and distinct inputs cannot collide by
//! concatenation.

use std::borrow::Cow;

use md5::{Digest, Md5};

/// One contributing value: what it is (`kind`) and its normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: &'static str,
    pub value: Cow<'a, str>,
}

impl<'a> Token<'a> {
    pub(crate) fn new(kind: &'static str, value: impl Into<Cow<'a, str>>) -> Self {
        Token {
            kind,
            value: value.into(),
        }
    }

    /// A structural marker (frame or exception boundary) with no value.
    pub(crate) fn marker(kind: &'static str) -> Self {
        Token {
            kind,
            value: Cow::Borrowed(""),
        }
    }

    /// Human-readable form used by [`super::hash_inputs`] and the docs.
    pub(crate) fn describe(&self) -> String {
        if self.value.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}={}", self.kind, self.value)
        }
    }
}

/// Incremental md5 over framed tokens.
pub(crate) struct TokenHasher {
    md5: Md5,
}

impl TokenHasher {
    pub(crate) fn new() -> Self {
        TokenHasher { md5: Md5::new() }
    }

    pub(crate) fn push(&mut self, kind: &str, value: &str) {
        self.md5.update(kind.as_bytes());
        self.md5.update([0x1f]);
        self.md5.update((value.len() as u64).to_le_bytes());
        self.md5.update(value.as_bytes());
    }

    pub(crate) fn push_all(&mut self, tokens: &[Token<'_>]) {
        for t in tokens {
            self.push(t.kind, &t.value);
        }
    }

    /// 32 lower-case hex characters.
    pub(crate) fn finish(self) -> String {
        to_hex(&self.md5.finalize())
    }
}

/// Hash of a token list.
pub(crate) fn hash_tokens(tokens: &[Token<'_>]) -> String {
    let mut h = TokenHasher::new();
    h.push_all(tokens);
    h.finish()
}

/// Plain md5 of raw bytes, for legacy checksums that are not already hashes.
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    to_hex(&Md5::digest(bytes))
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_prevents_concatenation_collisions() {
        let a = [Token::new("v", "ab"), Token::new("v", "c")];
        let b = [Token::new("v", "a"), Token::new("v", "bc")];
        assert_ne!(hash_tokens(&a), hash_tokens(&b));
        // The kind is part of the input too.
        let c = [Token::new("module", "x")];
        let d = [Token::new("filename", "x")];
        assert_ne!(hash_tokens(&c), hash_tokens(&d));
    }

    #[test]
    fn md5_of_empty_input_is_the_well_known_value() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hash_tokens(&[]), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
