//! Password rules and the argon2 work, always off the async runtime.

use std::sync::OnceLock;

use moth_storage::password::{hash_password, verify_password};

use crate::UiError;

/// Shortest password accepted from a form.
pub(crate) const MIN_CHARS: usize = 10;
/// Longest password accepted (bounds hashing work per request).
pub(crate) const MAX_BYTES: usize = 1024;

/// Checks a new password and its confirmation; the message says what is wrong.
pub(crate) fn check_new(password: &str, confirmation: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!(
            "The password needs at least {MIN_CHARS} characters."
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("The password may have at most {MAX_BYTES} bytes."));
    }
    if password != confirmation {
        return Err("The two passwords differ.".into());
    }
    Ok(())
}

pub(crate) async fn hash(password: &str) -> Result<String, UiError> {
    let password = password.to_string();
    Ok(tokio::task::spawn_blocking(move || hash_password(&password)).await?)
}

/// Verifies against `phc`, or against a fixed hash when there is no user,
/// so that unknown emails take as long as wrong passwords.
pub(crate) async fn verify(password: &str, phc: Option<String>) -> Result<bool, UiError> {
    if password.len() > MAX_BYTES {
        return Ok(false);
    }
    let password = password.to_string();
    Ok(tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            static DUMMY: OnceLock<String> = OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("no such user, no such password"));
            verify_password(&password, dummy);
            false
        }
    })
    .await?)
}
