//! Deciding what a send's result means for its delivery: delivered, retry
//! later (network errors, 5xx, 408, 429; exponential backoff with jitter, or
//! the receiver's `Retry-After`), or failed for good.

use std::time::Duration;

use chrono::{DateTime, Utc};
use moth_storage::alerts::AttemptOutcome;
use rand::Rng;

use crate::config::RetryPolicy;
use crate::send::SendResult;

/// The outcome of attempt number `attempt` (1 for the first) that ended
/// with `result` at `now`.
pub fn decide(
    policy: &RetryPolicy,
    attempt: i32,
    result: &SendResult,
    now: DateTime<Utc>,
) -> AttemptOutcome {
    let Some(error) = failure_text(result) else {
        let status = match result {
            SendResult::Answered(a) => i32::from(a.status),
            SendResult::NoAnswer { .. } => 0,
        };
        return AttemptOutcome::Delivered { status };
    };
    let (status, transient, retry_after) = match result {
        SendResult::Answered(a) => (
            Some(i32::from(a.status)),
            is_transient_status(a.status),
            a.retry_after,
        ),
        SendResult::NoAnswer { transient, .. } => (None, *transient, None),
    };
    if !transient {
        return AttemptOutcome::Failed { status, error };
    }
    if attempt >= policy.max_attempts {
        return AttemptOutcome::Failed {
            status,
            error: format!("gave up after {attempt} attempts: {error}"),
        };
    }
    let delay = match retry_after {
        Some(d) => d.clamp(policy.base_delay, policy.max_delay),
        None => backoff(policy, attempt),
    };
    AttemptOutcome::Retry {
        at: now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX),
        status,
        error,
    }
}

/// Why a send did not succeed, as shown on the settings page (`None` for
/// a 2xx answer).
pub fn failure_text(result: &SendResult) -> Option<String> {
    match result {
        SendResult::Answered(a) if (200..300).contains(&a.status) => None,
        SendResult::Answered(a) if (300..400).contains(&a.status) => {
            let to = match &a.redirect_host {
                Some(h) => format!(" to {h}"),
                None => String::new(),
            };
            Some(format!(
                "HTTP {}: redirect{to} not followed (use the final URL)",
                a.status
            ))
        }
        SendResult::Answered(a) if a.snippet.is_empty() => Some(format!("HTTP {}", a.status)),
        SendResult::Answered(a) => Some(format!("HTTP {}: {}", a.status, a.snippet)),
        SendResult::NoAnswer { error, .. } => Some(error.clone()),
    }
}

/// Worth retrying: the receiver is overloaded, down or timed out.
fn is_transient_status(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// `base * 2^(attempt-1)`, capped, with "equal jitter": between half of it
/// and all of it, so that destinations failing together spread out.
pub fn backoff(policy: &RetryPolicy, attempt: i32) -> Duration {
    let exp = attempt.clamp(1, 30) - 1;
    let full = policy
        .base_delay
        .saturating_mul(1u32 << exp)
        .min(policy.max_delay);
    let half = full / 2;
    half + rand::thread_rng().gen_range(Duration::ZERO..=full - half)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::Answer;

    fn answer(status: u16, retry_after: Option<u64>) -> SendResult {
        SendResult::Answered(Answer {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            redirect_host: None,
            snippet: "nope".into(),
        })
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
        }
    }

    #[test]
    fn success_redirects_and_client_errors() {
        let now = Utc::now();
        assert_eq!(
            decide(&policy(), 1, &answer(204, None), now),
            AttemptOutcome::Delivered { status: 204 }
        );
        assert!(matches!(
            decide(&policy(), 1, &answer(302, None), now),
            AttemptOutcome::Failed {
                status: Some(302),
                ..
            }
        ));
        assert_eq!(
            decide(&policy(), 1, &answer(404, None), now),
            AttemptOutcome::Failed {
                status: Some(404),
                error: "HTTP 404: nope".into()
            }
        );
    }

    #[test]
    fn transient_failures_back_off_then_give_up() {
        let now = Utc::now();
        for r in [
            answer(500, None),
            answer(503, None),
            answer(429, None),
            SendResult::NoAnswer {
                error: "refused".into(),
                transient: true,
            },
        ] {
            match decide(&policy(), 2, &r, now) {
                AttemptOutcome::Retry { at, .. } => {
                    let d = (at - now).to_std().unwrap();
                    assert!(
                        d >= Duration::from_secs(2) && d <= Duration::from_secs(4),
                        "{d:?}"
                    );
                }
                other => panic!("{other:?}"),
            }
            assert!(matches!(
                decide(&policy(), 4, &r, now),
                AttemptOutcome::Failed { error, .. } if error.starts_with("gave up after 4 attempts")
            ));
        }
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let now = Utc::now();
        let at = |r| match decide(&policy(), 1, &r, now) {
            AttemptOutcome::Retry { at, .. } => (at - now).num_seconds(),
            other => panic!("{other:?}"),
        };
        assert_eq!(at(answer(429, Some(30))), 30);
        assert_eq!(at(answer(503, Some(3600))), 60);
        assert_eq!(at(answer(429, Some(0))), 2);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = policy();
        for attempt in 1..=10 {
            let full = (2u64 << (attempt - 1)).min(60);
            let d = backoff(&p, attempt).as_secs_f64();
            assert!(d >= full as f64 / 2.0 && d <= full as f64, "{attempt}: {d}");
        }
    }
}
