//! Periodic housekeeping the server does by itself: ending timed mutes.
//! Safe on several nodes at once (each run is one idempotent statement).

use std::time::Duration;

use moth_storage::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Maintenance {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Maintenance {
    pub fn start(db: Database, every: Duration) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                match db.expire_mutes(chrono::Utc::now()).await {
                    Ok(ids) if !ids.is_empty() => {
                        tracing::info!(issues = ?ids, "mutes expired; issues are unresolved again")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not expire mutes; will retry"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        Self { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
