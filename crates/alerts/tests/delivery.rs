//! One HTTP send against a real receiver on loopback: redirects, hangs,
//! oversized answers, `Retry-After`, signatures, names pinned to the
//! address resolved once.

use std::time::{Duration, Instant};

use moth_alerts::signature::{sign, verify, SIGNATURE_HEADER};
use moth_alerts::testing::{Receiver, Reply};
use moth_alerts::{post, DeliveryConfig, SendResult};
use reqwest::header::HeaderMap;

fn config() -> DeliveryConfig {
    DeliveryConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        max_response_bytes: 64 << 10,
    }
}

async fn send(url: &str) -> SendResult {
    post(&config(), url, b"{}".to_vec(), HeaderMap::new()).await
}

fn status(r: &SendResult) -> u16 {
    match r {
        SendResult::Answered(a) => a.status,
        SendResult::NoAnswer { error, .. } => panic!("no answer: {error}"),
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let rx = Receiver::start().await;
    let other = Receiver::start().await;
    // "localhost" vs "127.0.0.1": another host name, same machine.
    let target = format!("http://localhost:{}/steal", other.addr().port());
    rx.set_default("/moved", Reply::Redirect(target));
    let result = send(&rx.url("/moved")).await;
    match &result {
        SendResult::Answered(a) => {
            assert_eq!(a.status, 302);
            assert_eq!(a.redirect_host.as_deref(), Some("localhost"));
        }
        other => panic!("{other:?}"),
    }
    assert!(other.received().is_empty());
    // Nor to the same host.
    rx.set_default("/here", Reply::Redirect("/there".into()));
    assert_eq!(status(&send(&rx.url("/here")).await), 302);
    assert!(rx.received().iter().all(|r| r.path != "/there"));
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_timed_out() {
    let rx = Receiver::start().await;
    rx.set_default("/hang", Reply::Hang);
    let started = Instant::now();
    let result = send(&rx.url("/hang")).await;
    let took = started.elapsed();
    assert_eq!(
        result,
        SendResult::NoAnswer {
            error: "timed out after 1 s".into(),
            transient: true
        }
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(rx.received().len(), 1, "the request did arrive");
}

#[tokio::test]
async fn a_huge_answer_is_read_only_up_to_the_cap() {
    let rx = Receiver::start().await;
    rx.set_default("/big", Reply::Body(200, vec![b'a'; 20 << 20]));
    let result = send(&rx.url("/big")).await;
    match result {
        SendResult::Answered(a) => {
            assert_eq!(a.status, 200);
            assert!(a.snippet.len() <= 200);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn errors_carry_status_body_and_retry_after_but_never_the_url() {
    let rx = Receiver::start().await;
    rx.set_default("/slow-down", Reply::RetryAfter(429, 7));
    rx.set_default(
        "/bad",
        Reply::Body(400, b"invalid_payload\n\nmore".to_vec()),
    );
    match send(&rx.url("/slow-down")).await {
        SendResult::Answered(a) => {
            assert_eq!(a.status, 429);
            assert_eq!(a.retry_after, Some(Duration::from_secs(7)));
        }
        other => panic!("{other:?}"),
    }
    match send(&rx.url("/bad")).await {
        SendResult::Answered(a) => assert_eq!(a.snippet, "invalid_payload more"),
        other => panic!("{other:?}"),
    }
    // Nothing listens on port 9 of loopback: connection refused.
    let secret_path = "/services/T000/B000/very-secret-token";
    match send(&format!("http://127.0.0.1:9{secret_path}")).await {
        SendResult::NoAnswer { error, transient } => {
            assert!(transient);
            assert!(error.contains("cannot connect to 127.0.0.1:9"), "{error}");
            assert!(!error.contains("very-secret-token"), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn names_are_resolved_once_and_the_connection_goes_there() {
    let rx = Receiver::start().await;
    let url = format!("http://localhost:{}/named", rx.addr().port());
    assert_eq!(status(&send(&url).await), 200);
    let got = rx.received();
    assert_eq!(got[0].path, "/named");
    // The Host header still names the host, as virtual hosting needs.
    assert_eq!(
        got[0].header("host"),
        Some(format!("localhost:{}", rx.addr().port()).as_str())
    );
    match send("http://no-such-host.invalid/x").await {
        SendResult::NoAnswer { error, transient } => {
            assert!(transient);
            assert!(
                error.starts_with("cannot resolve no-such-host.invalid"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_signature_verifies_over_the_body_as_received() {
    let rx = Receiver::start().await;
    let secret = moth_alerts::signature::generate_secret();
    let body = br#"{"version":1,"type":"test"}"#.to_vec();
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, sign(&secret, &body).parse().unwrap());
    post(&config(), &rx.url("/signed"), body, headers).await;
    let got = &rx.received()[0];
    let header = got.header(SIGNATURE_HEADER).unwrap();
    assert!(header.starts_with("sha256=") && header.len() == 7 + 64);
    assert!(verify(&secret, &got.body, header));
    assert!(!verify("another secret", &got.body, header));
    let mut tampered = got.body.clone();
    tampered[2] ^= 1;
    assert!(!verify(&secret, &tampered, header));
}
