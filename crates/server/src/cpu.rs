//! A bounded pool for CPU-heavy request work (SAML validation: decoding, parsing,
//! canonicalization, signature checks), kept off the async workers.
//!
//! Without it, an unauthenticated client that sends costly inputs occupies the async worker
//! threads, and every other request, `/healthz` included, waits behind it. With it:
//! - at most `workers` jobs run at once, on tokio's blocking threads (`spawn_blocking`), so
//!   the async workers keep answering;
//! - at most `queue` more wait for a turn; past that, [`CpuPool::run`] refuses at once with
//!   AWS's `Throttling` error (HTTP 400, "Rate exceeded"), which the AWS SDKs retry with
//!   back-off. Shedding early keeps the wait of an accepted job bounded by
//!   `queue / workers` jobs instead of growing without limit.
//!
//! A job that has started runs to the end even when its client goes away (a blocking thread
//! cannot be interrupted); the request timeout still answers the client.

use std::sync::Arc;

use fedgate_aws_wire::AwsError;
use tokio::sync::Semaphore;

/// The bounded blocking pool. Cheap to clone (shared counters).
#[derive(Debug, Clone)]
pub struct CpuPool {
    /// One permit per job allowed to run.
    running: Arc<Semaphore>,
    /// One permit per job allowed in the pool at all (running + waiting).
    admitted: Arc<Semaphore>,
    workers: usize,
    queue: usize,
}

impl CpuPool {
    /// A pool running at most `workers` jobs (at least 1; 0 means one per core) with at most
    /// `queue` more waiting.
    #[must_use]
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            workers
        };
        Self {
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers.saturating_add(queue))),
            workers,
            queue,
        }
    }

    /// How many jobs run at once.
    #[must_use]
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many jobs may wait.
    #[must_use]
    pub fn queue(&self) -> usize {
        self.queue
    }

    /// Runs `job` on a blocking thread once a worker is free.
    ///
    /// # Errors
    /// [`throttling`] when `workers + queue` jobs are already admitted;
    /// `ServiceFailure` when the job panicked.
    pub async fn run<T, F>(&self, job: F) -> Result<T, AwsError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Ok(admitted) = Arc::clone(&self.admitted).try_acquire_owned() else {
            tracing::warn!(
                workers = self.workers,
                queue = self.queue,
                "CPU pool full: request refused with Throttling"
            );
            return Err(throttling());
        };
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| failure("the CPU pool is closed"))?;
        let result = tokio::task::spawn_blocking(move || {
            let result = job();
            drop(running);
            drop(admitted);
            result
        })
        .await;
        result.map_err(|error| failure(&format!("a CPU job failed: {error}")))
    }
}

fn failure(cause: &str) -> AwsError {
    tracing::error!(%cause, "internal failure");
    AwsError::service_failure("An internal error occurred.")
}

impl CpuPool {
    /// Runs `future` to completion on a blocking thread of the pool (as [`CpuPool::run`]):
    /// for a CPU-heavy step that also makes a few quick store calls, such as the sign-in
    /// pipeline, whose I/O then waits on the pool's thread instead of an async worker.
    ///
    /// # Errors
    /// As [`CpuPool::run`].
    pub async fn run_async<T, F>(&self, future: F) -> Result<T, AwsError>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = tokio::runtime::Handle::current();
        self.run(move || runtime.block_on(future)).await
    }
}

/// AWS's answer to a caller over its rate: `Throttling`, HTTP 400, "Rate exceeded" (the
/// Query protocol's code; the SDKs treat it as retryable).
#[must_use]
pub fn throttling() -> AwsError {
    AwsError::new("Throttling", 400, "Rate exceeded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_jobs_off_the_async_workers() {
        let pool = CpuPool::new(1, 1);
        let answer = pool.run(|| 6 * 7).await.unwrap();
        assert_eq!(answer, 42);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sheds_load_with_throttling_past_the_queue() {
        let pool = CpuPool::new(1, 1);
        let (release, hold) = mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        // One job running, one waiting: the pool is full.
        let mut jobs = Vec::new();
        for _ in 0..2 {
            let pool = pool.clone();
            let hold = Arc::clone(&hold);
            jobs.push(tokio::spawn(async move {
                pool.run(move || {
                    let _ = hold.lock().unwrap().recv_timeout(Duration::from_secs(10));
                })
                .await
            }));
        }
        // Wait until both are admitted.
        for _ in 0..200 {
            if pool.admitted.available_permits() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let refused = pool.run(|| ()).await.unwrap_err();
        assert_eq!(
            (
                refused.code.as_str(),
                refused.status,
                refused.message.as_str()
            ),
            ("Throttling", 400, "Rate exceeded")
        );
        release.send(()).unwrap();
        release.send(()).unwrap();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        // Room again once they finished.
        pool.run(|| ()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_futures_on_a_pool_thread() {
        let pool = CpuPool::new(1, 0);
        let answer = pool
            .run_async(async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                7
            })
            .await
            .unwrap();
        assert_eq!(answer, 7);
    }

    #[test]
    fn zero_workers_means_one_per_core() {
        let pool = CpuPool::new(0, 3);
        assert!(pool.workers() >= 1);
        assert_eq!(pool.queue(), 3);
    }
}
