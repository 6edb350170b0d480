//! One HTTP POST to a destination. The host is resolved once, here, and
//! the connection is made to exactly that address (a per-send client with a
//! fixed resolution), so a DNS answer that changes between a check and the
//! connect cannot redirect it. Redirects are never followed (a 3xx is a
//! failure); the response is read up to a cap and dropped; everything is
//! under a total timeout.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT};
use reqwest::Url;

use crate::config::DeliveryConfig;

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `Retry-After`, as a delay from now.
    pub retry_after: Option<Duration>,
    /// Host of a redirect's `Location` (not followed).
    pub redirect_host: Option<String>,
    /// The start of the response body, on one line, for error messages.
    pub snippet: String,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    Answered(Answer),
    /// No answer: the message says why. `transient` failures (DNS, connect,
    /// timeouts, broken connections) are worth retrying; others (a URL that
    /// cannot work) are not.
    NoAnswer {
        error: String,
        transient: bool,
    },
}

impl SendResult {
    fn refused(error: impl Into<String>) -> Self {
        Self::NoAnswer {
            error: error.into(),
            transient: false,
        }
    }

    fn transient(error: impl Into<String>) -> Self {
        Self::NoAnswer {
            error: error.into(),
            transient: true,
        }
    }
}

/// Characters of the response body kept for error messages.
const SNIPPET_CHARS: usize = 200;

/// POSTs `body` (JSON) to `url` with extra `headers`.
pub async fn post(
    config: &DeliveryConfig,
    url: &str,
    body: Vec<u8>,
    headers: HeaderMap,
) -> SendResult {
    let started = Instant::now();
    match tokio::time::timeout(
        config.timeout,
        post_inner(config, url, body, headers, started),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => SendResult::transient(format!("timed out after {}", secs(config.timeout))),
    }
}

async fn post_inner(
    config: &DeliveryConfig,
    url: &str,
    body: Vec<u8>,
    headers: HeaderMap,
    started: Instant,
) -> SendResult {
    let url = match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => return SendResult::refused(format!("unsupported URL scheme {:?}", u.scheme())),
        Err(e) => return SendResult::refused(format!("invalid URL: {e}")),
    };
    let Some(host) = url.host_str().map(str::to_string) else {
        return SendResult::refused("the URL has no host");
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let addr = match resolve(&host, port, config.connect_timeout).await {
        Ok(a) => a,
        Err(e) => return e,
    };

    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(config.connect_timeout.saturating_sub(started.elapsed()))
        .timeout(config.timeout)
        .pool_max_idle_per_host(0);
    // An IP literal is its own resolution; a name is pinned to `addr`.
    if host.trim_matches(['[', ']']).parse::<IpAddr>().is_err() {
        builder = builder.resolve(&host, addr);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            return SendResult::refused(format!("cannot build an HTTP client: {}", chain(&e)))
        }
    };
    let mut headers = headers;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("Moth/", env!("CARGO_PKG_VERSION"))),
    );
    let response = match client.post(url).headers(headers).body(body).send().await {
        Ok(r) => r,
        Err(e) => return SendResult::transient(describe(&e, addr, config)),
    };

    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let redirect_host = response
        .status()
        .is_redirection()
        .then(|| {
            response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
                .and_then(|u| u.host_str().map(str::to_string))
        })
        .flatten();
    let snippet = read_capped(response, config.max_response_bytes).await;
    SendResult::Answered(Answer {
        status,
        retry_after,
        redirect_host,
        snippet,
    })
}

/// Resolves `host` once (an IP literal resolves to itself).
async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<SocketAddr, SendResult> {
    let lookup = tokio::net::lookup_host((host.trim_matches(['[', ']']), port));
    match tokio::time::timeout(timeout, lookup).await {
        Err(_) => Err(SendResult::transient(format!(
            "resolving {host} timed out after {}",
            secs(timeout)
        ))),
        Ok(Err(e)) => Err(SendResult::transient(format!("cannot resolve {host}: {e}"))),
        Ok(Ok(mut addrs)) => addrs
            .next()
            .ok_or_else(|| SendResult::transient(format!("{host} resolves to no address"))),
    }
}

/// Reads at most `cap` bytes of the body, keeps the start as text, and
/// drops the rest (and the connection) unread.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> String {
    let mut kept: Vec<u8> = Vec::new();
    let mut read = 0usize;
    while read < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if kept.len() < SNIPPET_CHARS * 4 {
                    let room = SNIPPET_CHARS * 4 - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
            }
            // Errors while reading a body we only log don't change the outcome.
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&kept);
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(SNIPPET_CHARS)
        .collect();
    one_line
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// A reqwest error as a sentence without the URL (webhook URLs carry
/// their credential in the path).
fn describe(e: &reqwest::Error, addr: SocketAddr, config: &DeliveryConfig) -> String {
    if e.is_timeout() {
        if e.is_connect() {
            return format!(
                "connecting to {addr} timed out after {}",
                secs(config.connect_timeout)
            );
        }
        return format!("timed out after {}", secs(config.timeout));
    }
    if e.is_connect() {
        return format!("cannot connect to {addr}: {}", chain(e));
    }
    format!("request failed: {}", chain(e))
}

/// The innermost causes of an error, without reqwest's URL-bearing top line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        parts.push(c.to_string());
        cur = c.source();
    }
    match parts.last() {
        Some(last) => last.clone(),
        None => "unknown error".into(),
    }
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("soon"), None);
        let later = std::time::SystemTime::now() + Duration::from_secs(60);
        let d = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(d > Duration::from_secs(55) && d <= Duration::from_secs(60));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
    }
}
