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

use crate::error::IngestError;

type Task = Box<dyn FnOnce() + Send + 'static>;

/// Handle on the pool; cheap to clone. The threads end when the last
/// handle is dropped.
#[derive(Clone)]
pub struct CpuPool {
    tasks: mpsc::Sender<Task>,
}

impl CpuPool {
    /// Starts `threads` threads (at least one).
    pub fn new(threads: usize) -> Self {
        let (tasks, queue) = mpsc::channel::<Task>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("moth-ingest-{n}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next task.
                    let next = queue.lock().map(|q| q.recv());
                    match next {
                        // A panic fails that task only (its caller gets an
                        // error); the thread goes on with the next one.
                        Ok(Ok(task)) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
                        }
                        _ => return,
                    }
                })
                .expect("the OS can start an ingest thread");
        }
        Self { tasks }
    }

    /// One thread per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_on_the_pool_threads_and_returns_the_result() {
        let pool = CpuPool::new(2);
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
        let pool = CpuPool::new(1);
        let failed = pool.run(|| -> u32 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
