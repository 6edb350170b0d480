//! Sign-in throttling, shared by every Moth process through the database.
//!
//! The policy (also in the README):
//! - an address with `per_address` failed sign-ins (any emails) within
//!   `window` is refused until enough of them are older than `window`;
//! - an email with `per_account` failures within `window` (counting only
//!   failures after its last successful sign-in) is refused, except from an
//!   address that signed in to it successfully within `trust_period`: there
//!   only that address's own failures for the email count;
//! - refused attempts check no password and are not counted, so a refusal
//!   ends `window` after the failure that caused it however hard an
//!   attacker keeps trying, and the owner's usual address keeps working.
//!
//! Unknown emails are counted like real ones, so the answer does not tell
//! which accounts exist.

use std::time::Duration;

use chrono::{DateTime, Utc};
use moth_storage::login_attempts::{FailureQuery, RecentFailures};
use moth_storage::Database;

use crate::UiError;

/// Limits and windows.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub per_account: usize,
    pub per_address: usize,
    pub trust_period: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_address: 20,
            trust_period: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// What the throttle says about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused; this many seconds until an attempt is allowed again.
    Refused {
        retry_after_secs: u64,
    },
}

impl ThrottlePolicy {
    /// Whether an attempt for `email` from `client_addr` may be checked now.
    pub async fn check(
        &self,
        db: &Database,
        email: &str,
        client_addr: &str,
    ) -> Result<Verdict, UiError> {
        let failures = db
            .recent_login_failures(
                email,
                client_addr,
                FailureQuery {
                    window: self.window,
                    trust_period: self.trust_period,
                    max_per_key: self.per_account.max(self.per_address) as i64,
                },
            )
            .await?;
        Ok(self.decide(&failures))
    }

    /// Records the outcome of a checked attempt.
    pub async fn record(
        &self,
        db: &Database,
        email: &str,
        client_addr: &str,
        succeeded: bool,
    ) -> Result<(), UiError> {
        Ok(db
            .record_login_attempt(
                email,
                client_addr,
                succeeded,
                self.window * 2,
                self.trust_period,
            )
            .await?)
    }

    /// The rule itself, on counts already read.
    pub fn decide(&self, f: &RecentFailures) -> Verdict {
        let mut retry_at: Option<DateTime<Utc>> = None;
        let mut over = |failures: &[DateTime<Utc>], limit: usize| {
            // Allowed again once the limit-th newest failure leaves the window.
            if limit > 0 && failures.len() >= limit {
                let at = failures[limit - 1]
                    + chrono::Duration::from_std(self.window).unwrap_or_default();
                retry_at = Some(retry_at.map_or(at, |r| r.max(at)));
            }
        };
        over(&f.address, self.per_address);
        if f.address_trusted {
            over(&f.account_from_address, self.per_account);
        } else {
            over(&f.account, self.per_account);
        }
        match retry_at {
            Some(at) if at > f.now => Verdict::Refused {
                retry_after_secs: (at - f.now).num_seconds().max(1) as u64,
            },
            _ => Verdict::Allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(
        now: DateTime<Utc>,
        account: &[i64],
        address: &[i64],
        pair: &[i64],
        trusted: bool,
    ) -> RecentFailures {
        let ago = |mins: &[i64]| {
            mins.iter()
                .map(|m| now - chrono::Duration::minutes(*m))
                .collect()
        };
        RecentFailures {
            account: ago(account),
            address: ago(address),
            account_from_address: ago(pair),
            address_trusted: trusted,
            now,
        }
    }

    #[test]
    fn five_failures_for_an_account_refuse_until_the_fifth_newest_ages_out() {
        let p = ThrottlePolicy::default();
        let now = Utc::now();
        assert_eq!(
            p.decide(&failures(now, &[1, 2, 3, 4], &[], &[], false)),
            Verdict::Allowed
        );
        assert_eq!(
            p.decide(&failures(now, &[1, 2, 3, 4, 10], &[], &[], false)),
            Verdict::Refused {
                retry_after_secs: 5 * 60
            }
        );
    }

    #[test]
    fn a_trusted_address_only_counts_its_own_failures() {
        let p = ThrottlePolicy::default();
        let now = Utc::now();
        let attacked = failures(now, &[1, 1, 1, 1, 1, 1], &[], &[], true);
        assert_eq!(p.decide(&attacked), Verdict::Allowed);
        let own = failures(now, &[1, 1, 1, 1, 1], &[], &[1, 1, 1, 1, 1], true);
        assert!(matches!(p.decide(&own), Verdict::Refused { .. }));
    }

    #[test]
    fn twenty_failures_from_an_address_refuse_every_account() {
        let p = ThrottlePolicy::default();
        let now = Utc::now();
        let addr: Vec<i64> = vec![1; 20];
        assert!(matches!(
            p.decide(&failures(now, &[], &addr, &[], true)),
            Verdict::Refused { .. }
        ));
        assert_eq!(
            p.decide(&failures(now, &[], &addr[..19], &[], false)),
            Verdict::Allowed
        );
    }
}
