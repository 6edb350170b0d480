//! How many events the server has durably stored: from a shell command
//! (e.g. `psql -c 'select count(*) from events'`), or through Sentry's web
//! API as the sum of the `count` of every issue of the project — what a
//! user of the API sees.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A source of the stored-events count.
pub enum StoredCounter {
    Command(String),
    Api(ApiCounter),
}

/// Sums issue counts over `GET /api/0/organizations/{org}/issues/`.
pub struct ApiCounter {
    client: reqwest::Client,
    first_page: String,
    token: String,
}

impl ApiCounter {
    /// `base` is the server's URL (`http://host:port`), `project_id` the
    /// DSN's project.
    pub fn new(base: &str, org: &str, project_id: &str, token: &str) -> Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            first_page: format!(
                "{}/api/0/organizations/{org}/issues/?project={project_id}&query=is:all&statsPeriod=&limit=100",
                base.trim_end_matches('/')
            ),
            token: token.to_string(),
        })
    }

    async fn count(&self) -> Result<u64> {
        let mut total = 0u64;
        let mut url = Some(self.first_page.clone());
        while let Some(page) = url.take() {
            let response = self
                .client
                .get(&page)
                .bearer_auth(&self.token)
                .send()
                .await
                .with_context(|| format!("GET {page}"))?;
            let status = response.status();
            if !status.is_success() {
                bail!(
                    "GET {page}: {status}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
            url = response
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_page);
            let issues: Vec<serde_json::Value> = response.json().await.context("issue list")?;
            for issue in issues {
                let count = issue["count"].as_str().and_then(|c| c.parse::<u64>().ok());
                total += count.context("an issue without a numeric `count`")?;
            }
        }
        Ok(total)
    }
}

/// The URL of the `rel="next"` link of a Sentry `Link` header, when it
/// says there are results.
fn next_page(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("rel=\"next\"") && part.contains("results=\"true\""))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part.find('>')?;
            Some(part[start..end].to_string())
        })
}

impl StoredCounter {
    pub async fn count(&self) -> Result<u64> {
        match self {
            Self::Command(cmd) => {
                let out = tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .output()
                    .await
                    .context("run --stored-cmd")?;
                let text = String::from_utf8_lossy(&out.stdout);
                text.trim()
                    .parse()
                    .with_context(|| format!("--stored-cmd printed {text:?}, not a number"))
            }
            Self::Api(api) => api.count().await,
        }
    }
}

/// Polls until `baseline + accepted` events are stored. Returns the events
/// stored since the baseline, the time from the start of the run until
/// then, and whether all were (only `false` with `partial`, after
/// `timeout`).
pub async fn wait_stored(
    counter: &StoredCounter,
    baseline: u64,
    accepted: u64,
    timeout: Duration,
    sending: Duration,
    partial: bool,
) -> Result<(u64, Duration, bool)> {
    let t0 = Instant::now();
    loop {
        let n = counter.count().await?.saturating_sub(baseline);
        if n >= accepted {
            return Ok((n, sending + t0.elapsed(), true));
        }
        if t0.elapsed() > timeout {
            if partial {
                return Ok((n, sending + t0.elapsed(), false));
            }
            bail!("only {n} of {accepted} accepted events stored after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn follows_the_next_link_only_when_it_has_results() {
        let more = "<http://m/api/0/x/?cursor=0:0:1>; rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", \
                    <http://m/api/0/x/?cursor=17:5:0>; rel=\"next\"; results=\"true\"; cursor=\"17:5:0\"";
        assert_eq!(
            next_page(more).as_deref(),
            Some("http://m/api/0/x/?cursor=17:5:0")
        );
        let last = more.replace("results=\"true\"", "results=\"false\"");
        assert_eq!(next_page(&last), None);
    }
}
