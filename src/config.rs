//! Resolved configuration: the CLI/env values plus derived defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::cli::GlobalArgs;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Configured public URL; `None` → `http://<bound address>`.
    base_url: Option<String>,
    pub secret_key: Option<String>,
    pub org: String,
}

impl Config {
    pub fn from_args(args: &GlobalArgs) -> Result<Self> {
        let base_url = match &args.base_url {
            Some(url) if !url.trim().is_empty() => {
                let url = url.trim().trim_end_matches('/').to_string();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("MOTH_BASE_URL must start with http:// or https:// (got {url:?})");
                }
                Some(url)
            }
            _ => None,
        };
        Ok(Self {
            bind: args.bind.clone(),
            data_dir: args.data_dir.clone(),
            database_url: args.database_url.clone().filter(|u| !u.trim().is_empty()),
            base_url,
            secret_key: args.secret_key.clone().filter(|k| !k.is_empty()),
            org: args.org.clone(),
        })
    }

    /// The public URL: `MOTH_BASE_URL`, else `http://<bind>`.
    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }

    /// Fixes the default base URL to the address actually bound (`MOTH_BIND`
    /// may say port 0).
    pub fn with_bound_address(mut self, addr: SocketAddr) -> Self {
        if self.base_url.is_none() {
            self.base_url = Some(format!("http://{addr}"));
        }
        self
    }

    pub fn bind_addr(&self) -> Result<SocketAddr> {
        self.bind.parse().with_context(|| {
            format!(
                "MOTH_BIND {:?} is not an address like 127.0.0.1:8000",
                self.bind
            )
        })
    }

    /// The secret key: configured, or generated once and kept in the data dir.
    pub fn load_secret_key(&self) -> Result<String> {
        if let Some(key) = &self.secret_key {
            return Ok(key.clone());
        }
        let path = self.data_dir.join("secret_key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim().to_string();
            if !existing.is_empty() {
                return Ok(existing);
            }
        }
        use rand::RngCore;
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let key = hex::encode(bytes);
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("create {}", self.data_dir.display()))?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("write {}", path.display()))?;
        writeln!(file, "{key}")?;
        Ok(key)
    }
}
