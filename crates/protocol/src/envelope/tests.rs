use bytes::Bytes;

use super::*;
use crate::event_id::EventId;
use crate::test_fixtures;

fn parse(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    Envelope::parse(Bytes::copy_from_slice(body))
}

fn payloads(env: &Envelope) -> Vec<&[u8]> {
    env.items.iter().map(|i| &i.payload[..]).collect()
}

#[test]
fn parses_every_sdk_capture() {
    let mut envelopes = 0;
    for capture in test_fixtures::all() {
        let Some(expected_types) = capture.item_types() else {
            continue;
        };
        envelopes += 1;
        let env = Envelope::parse(Bytes::from(capture.body.clone()))
            .unwrap_or_else(|e| panic!("{}: {e}", capture.name));
        let types: Vec<&str> = env
            .items
            .iter()
            .map(|i| i.headers.item_type.as_str())
            .collect();
        assert_eq!(types, expected_types, "{}", capture.name);
        for item in &env.items {
            assert!(
                !matches!(item.headers.item_type, ItemType::Other(_)),
                "{}: unknown type",
                capture.name
            );
            if let Some(len) = item.headers.length {
                assert_eq!(item.payload.len(), len, "{}", capture.name);
            }
            // Every SDK item payload here is one JSON document.
            serde_json::from_slice::<serde_json::Value>(&item.payload)
                .unwrap_or_else(|e| panic!("{}: payload is not JSON: {e}", capture.name));
        }
        // Recorded as sent (dashed for Rust/sentry-cli); compare canonically.
        let expected_id = capture.meta["event_id_found"]
            .as_str()
            .map(|s| EventId::parse(s).expect("recorded id parses").to_string());
        let has_event_like = env
            .items
            .iter()
            .any(|i| matches!(i.headers.item_type, ItemType::Event | ItemType::Transaction));
        if has_event_like {
            let found = env.headers.event_id.map(|id| id.to_string());
            assert_eq!(found, expected_id, "{}", capture.name);
        }
    }
    assert!(envelopes >= 40, "only {envelopes} envelope captures");
}

#[test]
fn payloads_are_slices_of_the_body() {
    let body = Bytes::from_static(b"{}\n{\"type\":\"event\",\"length\":2}\n{}\n");
    let env = Envelope::parse(body.clone()).unwrap();
    let payload = &env.items[0].payload;
    let start = body.as_ptr() as usize;
    let p = payload.as_ptr() as usize;
    assert!(p >= start && p + payload.len() <= start + body.len());
}

#[test]
fn header_only_envelopes_have_no_items() {
    for body in [
        &b"{}"[..],
        b"{}\n",
        b"{}\n\n\n",
        b"{\"event_id\":null}\r\n  \n",
    ] {
        let env = parse(body).unwrap();
        assert!(env.items.is_empty());
        assert_eq!(env.headers, EnvelopeHeaders::default());
    }
}

#[test]
fn reads_envelope_header_fields_and_ignores_unknown_keys() {
    let env = parse(
        br#"{"event_id":"9031CBFE-37e9-4217-9f55-8d8796e1e9b4","dsn":"http://k@h/1","sent_at":"2026-11-22T11:53:59.321Z","sdk":{"name":"x"},"trace":{"a":1},"zzz":[1,2]}"#,
    )
    .unwrap();
    let h = env.headers;
    assert_eq!(
        h.event_id.unwrap().to_string(),
        "9031cbfe37e942179f558d8796e1e9b4"
    );
    assert_eq!(h.dsn.as_deref(), Some("http://k@h/1"));
    assert_eq!(
        h.sent_at.unwrap().to_rfc3339(),
        "2026-11-22T11:53:59.321+00:00"
    );
    assert_eq!(h.sdk.unwrap()["name"], "x");
}

#[test]
fn unparseable_sent_at_is_ignored() {
    for sent_at in [r#""yesterday""#, "12", "null", "{}"] {
        let env = parse(format!(r#"{{"sent_at":{sent_at}}}"#).as_bytes()).unwrap();
        assert_eq!(env.headers.sent_at, None, "{sent_at}");
    }
}

#[test]
fn invalid_event_id_is_an_error() {
    for id in [r#""abc""#, "12", r#"["x"]"#] {
        let err = parse(format!(r#"{{"event_id":{id}}}"#).as_bytes()).unwrap_err();
        assert!(matches!(err, EnvelopeError::InvalidEventId { .. }), "{err}");
        assert!(err.to_string().contains("event_id"), "{err}");
    }
}

#[test]
fn explicit_length_reads_exactly_that_many_bytes() {
    // The payload may contain newlines when a length is given.
    let env =
        parse(b"{}\n{\"type\":\"attachment\",\"length\":6}\na\nb\r\nc\n{\"type\":\"event\"}\n{}")
            .unwrap();
    assert_eq!(payloads(&env), vec![&b"a\nb\r\nc"[..], b"{}"]);
    assert_eq!(env.items[0].headers.length, Some(6));
    assert_eq!(env.items[1].headers.length, None);
}

#[test]
fn length_zero_gives_an_empty_payload() {
    let env = parse(
        b"{}\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"event\",\"length\":2}\n{}",
    )
    .unwrap();
    assert_eq!(payloads(&env), vec![&b""[..], b"{}"]);
}

#[test]
fn without_length_the_payload_runs_to_the_newline_or_eof() {
    // JS style: no length, no final newline.
    let env =
        parse(b"{}\n{\"type\":\"session\"}\n{\"a\":1}\n{\"type\":\"event\"}\n{\"b\":2}").unwrap();
    assert_eq!(payloads(&env), vec![&b"{\"a\":1}"[..], b"{\"b\":2}"]);
}

#[test]
fn header_followed_by_eof_has_an_empty_payload() {
    for body in [
        &b"{}\n{\"type\":\"event\"}"[..],
        b"{}\n{\"type\":\"event\",\"length\":0}",
    ] {
        let env = parse(body).unwrap();
        assert_eq!(env.items.len(), 1);
        assert!(env.items[0].payload.is_empty());
    }
    let env = parse(b"{}\n{\"type\":\"event\"}\n").unwrap();
    assert_eq!(payloads(&env), vec![&b""[..]]);
}

#[test]
fn final_newline_is_optional_with_length() {
    let with = parse(b"{}\n{\"type\":\"event\",\"length\":2}\n{}\n").unwrap();
    let without = parse(b"{}\n{\"type\":\"event\",\"length\":2}\n{}").unwrap();
    assert_eq!(with, without);
}

#[test]
fn blank_lines_between_and_after_items_are_ignored() {
    let env = parse(
        b"{}\n\n{\"type\":\"event\",\"length\":2}\n{}\n\r\n  \n{\"type\":\"session\"}\n{\"s\":1}\n\n\n \t\r\n",
    )
    .unwrap();
    assert_eq!(payloads(&env), vec![&b"{}"[..], b"{\"s\":1}"]);
}

#[test]
fn item_header_fields_are_read() {
    let env = parse(
        br#"{}
{"type":"attachment","length":3,"content_type":"text/plain","filename":"a.txt","attachment_type":"event.attachment","extra":true}
abc
{"type":"future_thing","content_type":5}
x"#,
    )
    .unwrap();
    let h = &env.items[0].headers;
    assert_eq!(h.item_type, ItemType::Attachment);
    assert_eq!(h.content_type.as_deref(), Some("text/plain"));
    assert_eq!(h.filename.as_deref(), Some("a.txt"));
    assert_eq!(h.attachment_type.as_deref(), Some("event.attachment"));
    let h = &env.items[1].headers;
    assert_eq!(h.item_type, ItemType::Other("future_thing".into()));
    assert_eq!(h.content_type, None);
    assert_eq!(
        env.items_of_type(&ItemType::Attachment).count(),
        1,
        "filter by type"
    );
}

#[test]
fn length_past_the_end_is_an_error() {
    let body = b"{}\n{\"type\":\"attachment\",\"length\":5000}\nnot json\n";
    let err = parse(body).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::LengthPastEnd {
            item: 1,
            length: 5000,
            remaining: 9
        }
    );
    assert_eq!(
        err.to_string(),
        "item 1 declares length 5000 but only 9 bytes remain"
    );
    // Header at EOF with a positive length: nothing remains.
    let err = parse(b"{}\n{\"type\":\"event\",\"length\":1}").unwrap_err();
    assert!(matches!(
        err,
        EnvelopeError::LengthPastEnd { remaining: 0, .. }
    ));
}

#[test]
fn absurd_length_is_an_error_not_an_allocation() {
    let err = parse(b"{}\n{\"type\":\"event\",\"length\":18446744073709551615}\nxx").unwrap_err();
    assert!(
        matches!(err, EnvelopeError::LengthPastEnd { item: 1, .. }),
        "{err}"
    );
    for bad in ["-1", "1.5", "\"12\"", "true", "1e400"] {
        let body = format!("{{}}\n{{\"type\":\"event\",\"length\":{bad}}}\n{{}}");
        let err = parse(body.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                EnvelopeError::InvalidLength { .. } | EnvelopeError::ItemHeaderInvalid { .. }
            ),
            "{bad}: {err}"
        );
    }
}

#[test]
fn bytes_after_a_length_payload_must_be_a_newline() {
    let err = parse(b"{}\n{\"type\":\"event\",\"length\":2}\nabx\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "item 1 payload of declared length 2 is followed by 'x' at byte 33 instead of a newline or the end of the envelope"
    );
    let err = parse(b"{}\n{\"type\":\"event\",\"length\":2}\nab\r\n").unwrap_err();
    assert!(err.to_string().contains("byte 0x0d"), "{err}");
}

#[test]
fn a_stale_length_is_a_framing_error_even_on_a_json_line() {
    // Declared too long or too short: the framing is broken, whatever the
    // line looks like.
    let err = parse(b"{}\n{\"type\":\"event\",\"length\":40}\n{\"message\":\"hi\"}\n").unwrap_err();
    assert!(matches!(err, EnvelopeError::LengthPastEnd { .. }), "{err}");
    let err = parse(b"{}\n{\"type\":\"event\",\"length\":5}\n{\"message\":\"hi\"}\n").unwrap_err();
    assert!(matches!(err, EnvelopeError::MissingNewline { .. }), "{err}");
}

#[test]
fn bad_envelope_header_is_an_error() {
    let err = parse(b"nope\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "envelope header (line 1) is not a JSON object: expected ident at column 2"
    );
    let err = parse(b"]\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "envelope header (line 1) is not a JSON object: expected value at column 1"
    );
    let err = parse(b"[]\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "envelope header (line 1) is not a JSON object: found an array"
    );
    let err = parse(b"\n{\"type\":\"event\"}\n{}").unwrap_err();
    assert!(err.to_string().contains("the line is empty"), "{err}");
    let err = parse(b"{} trailing\n").unwrap_err();
    assert!(err.to_string().contains("trailing characters"), "{err}");
    assert_eq!(parse(b"").unwrap_err(), EnvelopeError::Empty);
}

#[test]
fn bad_item_header_json_is_an_error() {
    let body = b"{}\n{\"type\":\"event\"}\n{}\n{\"type\":\n{}";
    let err = parse(body).unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::ItemHeaderInvalid {
                item: 2,
                offset: 23,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("item 2 header at byte 23 is not valid JSON: "),
        "{err}"
    );
    let err = parse(b"{}\n[\"type\"]\n{}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "item 1 header at byte 3 is not a JSON object"
    );
}

#[test]
fn item_header_needs_a_string_type() {
    let err = parse(b"{}\n{\"type\":\"event\"}\n{}\n{\"typ\":\"event\"}\n{}").unwrap_err();
    assert_eq!(err.to_string(), "item 2 header has no \"type\"");
    let err = parse(b"{}\n{\"type\":null}\n{}").unwrap_err();
    assert_eq!(err, EnvelopeError::MissingType { item: 1 });
    let err = parse(b"{}\n{\"type\":7}\n{}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "item 1 header has a \"type\" that is not a string: 7"
    );
}

#[test]
fn invalid_utf8_in_headers_is_an_error() {
    let err = parse(b"{\"a\":\"\xff\"}\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "envelope header (line 1) is not valid UTF-8: invalid byte at byte 6"
    );
    let err = parse(b"{}\n{\"type\":\"ev\xc3\x28\"}\n{}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "item 1 header at byte 3 is not valid UTF-8: invalid byte at byte 14"
    );
    // Payload bytes are opaque: invalid UTF-8 there is the item's business.
    let env = parse(b"{}\n{\"type\":\"attachment\",\"length\":2}\n\xff\xfe").unwrap();
    assert_eq!(payloads(&env), vec![&b"\xff\xfe"[..]]);
}

#[test]
fn plain_and_dashed_event_ids_are_the_same() {
    let a = parse(b"{\"event_id\":\"9031cbfe37e942179f558d8796e1e9b4\"}").unwrap();
    let b = parse(b"{\"event_id\":\"9031cbfe-37e9-4217-9f55-8d8796e1e9b4\"}").unwrap();
    assert!(a.headers.event_id.is_some());
    assert_eq!(a.headers.event_id, b.headers.event_id);
}
