//! A fixed pool of threads, one per core, for the CPU-heavy part of ingest:
//! decompressing, normalising, grouping and packing events.
//!
//! That work takes hundreds of microseconds per event. Run on the async
//! workers, it would hold them so long that they rarely look for network
//! readiness (tokio checks between tasks), and every round trip of the
//! write transactions would wait behind it: the writers' batches would take
//! several times their database time. Here the async workers stay free to
//! move bytes and drive the writers, and the number of events being worked
//! on never exceeds the number of cores.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::IngestError;
use crate::grouping::forget_cached_groupings;

type Task = Box<dyn FnOnce() + Send + 'static>;

/// How long a thread waits for work before it calls the pool's idle hook.
const IDLE_AFTER: Duration = Duration::from_secs(1);

/// Handle on the pool; cheap to clone. The threads end when the last
/// handle is dropped.
#[derive(Clone)]
pub struct CpuPool {
    tasks: mpsc::Sender<Task>,
}

impl CpuPool {
    /// Starts `threads` threads (at least one). A thread that has had no
    /// work for a second empties its grouping cache and calls `on_idle`
    /// once, then waits on; the binary hands the memory the thread freed
    /// back to the system there.
    pub fn new(threads: usize, on_idle: Option<fn()>) -> Self {
        let (tasks, queue) = mpsc::channel::<Task>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("moth-ingest-{n}"))
                .spawn(move || {
                    while let Some(task) = next_task(&queue, on_idle) {
                        // A panic fails that task only (its caller gets an
                        // error); the thread goes on with the next one.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
                    }
                })
                .expect("the OS can start an ingest thread");
        }
        Self { tasks }
    }

    /// One thread per core.
    pub fn per_core(on_idle: Option<fn()>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores, on_idle)
    }

    /// Runs `f` on the pool and waits for its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, IngestError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let task: Task = Box::new(move || {
            let _ = reply.send(f());
        });
        self.tasks
            .send(task)
            .map_err(|_| IngestError::Internal("the ingest threads stopped".into()))?;
        answer
            .await
            .map_err(|_| IngestError::Internal("an ingest task panicked".into()))
    }
}

/// The next task for a pool thread; `None` once the pool is dropped. The
/// queue's lock is held only while waiting for a task, never while the
/// idle hook runs.
fn next_task(queue: &Mutex<mpsc::Receiver<Task>>, on_idle: Option<fn()>) -> Option<Task> {
    let waited = queue.lock().ok()?.recv_timeout(IDLE_AFTER);
    match waited {
        Ok(task) => return Some(task),
        Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Before the hook, so that the memory is handed back with the rest.
            forget_cached_groupings();
            if let Some(on_idle) = on_idle {
                on_idle();
            }
        }
    }
    queue.lock().ok()?.recv().ok()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn runs_work_on_the_pool_threads_and_returns_the_result() {
        let pool = CpuPool::new(2, None);
        let name = pool
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("moth-ingest-"));
        let sum = pool.run(|| (1..=10).sum::<u32>()).await.unwrap();
        assert_eq!(sum, 55);
    }

    #[tokio::test]
    async fn a_panicking_task_is_an_error_and_the_pool_keeps_working() {
        let pool = CpuPool::new(1, None);
        let failed = pool.run(|| -> u32 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    /// Waits (up to 10 s) until an idle hook counting into `calls` ran.
    async fn wait_for_a_call(calls: &AtomicUsize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while calls.load(Ordering::SeqCst) == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the idle hook never ran"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    static IDLE_CALLS: AtomicUsize = AtomicUsize::new(0);

    fn count_idle() {
        IDLE_CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[tokio::test]
    async fn a_thread_idle_for_a_second_calls_the_hook_once_and_works_on() {
        let pool = CpuPool::new(1, Some(count_idle));
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
        wait_for_a_call(&IDLE_CALLS).await;
        // Once per idle stretch, not once a second.
        tokio::time::sleep(IDLE_AFTER * 2).await;
        assert_eq!(IDLE_CALLS.load(Ordering::SeqCst), 1);
        assert_eq!(pool.run(|| 2).await.unwrap(), 2);
    }

    static IDLE_AFTER_GROUPING: AtomicUsize = AtomicUsize::new(0);

    fn count_idle_after_grouping() {
        IDLE_AFTER_GROUPING.fetch_add(1, Ordering::SeqCst);
    }

    #[tokio::test]
    async fn an_idle_thread_forgets_its_cached_groupings() {
        use crate::grouping::{cached_groupings, group_event};
        let pool = CpuPool::new(1, Some(count_idle_after_grouping));
        let cached = pool
            .run(|| {
                group_event(&serde_json::json!({"message": "hello"}));
                cached_groupings()
            })
            .await
            .unwrap();
        assert_eq!(cached, 1);
        wait_for_a_call(&IDLE_AFTER_GROUPING).await;
        assert_eq!(pool.run(cached_groupings).await.unwrap(), 0);
    }
}
