//! The accept loop and the life of each client connection (HTTP/1.1 over hyper).
//!
//! `axum::serve` has no header-read or idle timeout, no bound on open connections, and its
//! graceful shutdown waits for every connection however long it stays silent. Here:
//! - **header timeout**: a new connection must deliver a complete request head within
//!   [`Limits::header_timeout`] of being accepted; on a kept-alive connection the same time
//!   runs from the first byte of each further request. A silent or trickling client is
//!   closed then, whatever it sends.
//! - **idle timeout**: a kept-alive connection with no request in progress is closed after
//!   [`Limits::idle_timeout`] without a first byte of a new request.
//! - **connection limit**: at most [`Limits::max_connections`] are open. At the limit the
//!   loop stops accepting (the kernel's backlog holds new connections), logs a warning (at
//!   most every [`LIMIT_LOG_INTERVAL`]), and closes every connection that has no request in
//!   progress (idle keep-alive and not-yet-complete heads), as nginx drains its keep-alive
//!   connections when it runs out.
//! - **shutdown**: on the signal the listener closes, connections without a request in
//!   progress close at once, the others finish their request (no keep-alive), and after
//!   [`Limits::shutdown_grace`] whatever is still open is closed.
//!
//! The request timeout (the handler, body read included) is the router's `TimeoutLayer`; a
//! request in progress is never cut by the timeouts here.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt as _;

use crate::config::Config;

/// The least time between two "connection limit reached" warnings.
pub const LIMIT_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The bounds of client connections (see the module documentation); from [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to deliver a complete request head.
    pub header_timeout: Duration,
    /// Time a kept-alive connection may wait for the next request.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Time shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
}

impl Limits {
    /// The limits a configuration sets.
    #[must_use]
    pub fn from_config(config: &Config) -> Self {
        Self {
            header_timeout: Duration::from_secs(config.header_timeout_seconds),
            idle_timeout: Duration::from_secs(config.idle_timeout_seconds),
            max_connections: config.max_connections.max(1),
            shutdown_grace: Duration::from_secs(config.shutdown_grace_seconds),
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each until `shutdown` resolves,
/// then shuts down as the module documentation describes.
///
/// # Errors
/// None today: accept errors are logged and retried. The result leaves room for a fatal one.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    // A watch, not a `Notify`: each connection's receiver is created when it is accepted, so
    // a shed signal sent before the task first runs (or between two of its waits) is never
    // lost, as a `Notify::notify_waiters` would be.
    let (shed, _) = watch::channel(0_u64);
    let mut tasks = JoinSet::new();
    let mut last_limit_log: Option<Instant> = None;
    let mut last_accept_error_log: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if last_limit_log.is_none_or(|at| at.elapsed() >= LIMIT_LOG_INTERVAL) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: not accepting new connections until one \
                         closes; closing connections with no request in progress"
                    );
                    last_limit_log = Some(Instant::now());
                }
                shed.send_modify(|generation| *generation = generation.wrapping_add(1));
                tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let connection = Connection {
                        router: router.clone(),
                        limits,
                        stopping: stopping.clone(),
                        shed: shed.subscribe(),
                    };
                    tasks.spawn(async move {
                        connection.run(stream, peer).await;
                        drop(permit);
                    });
                }
                Err(error) => {
                    // Per-connection errors (reset before accept) need nothing; running out of
                    // file descriptors needs a pause, or the loop spins.
                    if !matches!(
                        error.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) {
                        if last_accept_error_log.is_none_or(|at| at.elapsed() >= LIMIT_LOG_INTERVAL) {
                            tracing::error!(%error, "accept failed (lower max_connections below the open-file limit?)");
                            last_accept_error_log = Some(Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let open = tasks.len();
    tracing::info!(
        open_connections = open,
        grace_seconds = limits.shutdown_grace.as_secs(),
        "stopped accepting; finishing requests in progress"
    );
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open_connections = tasks.len(),
            grace_seconds = limits.shutdown_grace.as_secs(),
            "shutdown grace period over: closing the connections still open"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

/// What one connection task needs.
struct Connection {
    router: Router,
    limits: Limits,
    stopping: watch::Receiver<bool>,
    shed: watch::Receiver<u64>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, peer: SocketAddr) {
        let activity = Arc::new(Activity::new(Instant::now()));
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let router = self.router.clone();
        let requests = Arc::clone(&activity);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let in_progress = RequestGuard::new(Arc::clone(&requests));
            let response = router.clone().oneshot(request);
            async move {
                let response = response.await;
                drop(in_progress);
                response
            }
        });
        let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
        tokio::pin!(connection);
        let mut shed_closed = false;
        loop {
            let deadline = activity.deadline(&self.limits);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                    return;
                }
                () = activity.changed.notified() => {}
                () = tokio::time::sleep_until(deadline) => {
                    if let Some(reason) = activity.expired(&self.limits, Instant::now()) {
                        tracing::debug!(%peer, reason, "closing connection");
                        return;
                    }
                }
                changed = self.shed.changed(), if !shed_closed => {
                    // The accept loop is gone: no more shed signals (never spin on the error).
                    shed_closed = changed.is_err();
                    if !shed_closed && !activity.in_request() {
                        tracing::debug!(%peer, "closing connection with no request in progress: at the connection limit");
                        return;
                    }
                }
                changed = self.stopping.changed() => {
                    if changed.is_err() || *self.stopping.borrow() {
                        if !activity.in_request() {
                            return;
                        }
                        // Finish the request in progress, then close (no keep-alive). The
                        // accept loop's grace period bounds the wait.
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.as_mut().await;
                        return;
                    }
                }
            }
        }
    }
}

/// Where a connection is in its life, for the timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepted; its first request head is not complete.
    New { since: Instant },
    /// Kept alive after a response; nothing of a next request read yet.
    Idle { since: Instant },
    /// The first bytes of a further request head have been read.
    ReadingHead { since: Instant },
    /// `count` requests are being handled.
    InRequest { count: usize },
}

/// The phase of one connection, updated by its reads ([`Watched`]) and its requests
/// ([`RequestGuard`]); `changed` wakes the connection task to recompute its deadline.
#[derive(Debug)]
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new(now: Instant) -> Self {
        Self {
            phase: Mutex::new(Phase::New { since: now }),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        let next = change(*phase);
        if next != *phase {
            *phase = next;
            // Stores a permit when the task is not waiting: no change is missed.
            self.changed.notify_one();
        }
    }

    fn bytes_read(&self) {
        self.update(|phase| match phase {
            Phase::Idle { .. } => Phase::ReadingHead {
                since: Instant::now(),
            },
            other => other,
        });
    }

    fn request_started(&self) {
        self.update(|phase| match phase {
            Phase::InRequest { count } => Phase::InRequest {
                count: count.saturating_add(1),
            },
            _ => Phase::InRequest { count: 1 },
        });
    }

    fn request_finished(&self) {
        self.update(|phase| match phase {
            Phase::InRequest { count } if count > 1 => Phase::InRequest { count: count - 1 },
            _ => Phase::Idle {
                since: Instant::now(),
            },
        });
    }

    fn in_request(&self) -> bool {
        matches!(self.phase(), Phase::InRequest { .. })
    }

    /// When the current phase runs out (far away while a request is in progress).
    fn deadline(&self, limits: &Limits) -> Instant {
        let far = || Instant::now() + Duration::from_secs(24 * 60 * 60);
        match self.phase() {
            Phase::New { since } | Phase::ReadingHead { since } => {
                since.checked_add(limits.header_timeout).unwrap_or_else(far)
            }
            Phase::Idle { since } => since.checked_add(limits.idle_timeout).unwrap_or_else(far),
            Phase::InRequest { .. } => far(),
        }
    }

    /// Why the connection must close at `now`, if it must.
    fn expired(&self, limits: &Limits, now: Instant) -> Option<&'static str> {
        match self.phase() {
            Phase::New { since } if now.duration_since(since) >= limits.header_timeout => {
                Some("no complete request head within the header timeout")
            }
            Phase::ReadingHead { since } if now.duration_since(since) >= limits.header_timeout => {
                Some("request head not complete within the header timeout")
            }
            Phase::Idle { since } if now.duration_since(since) >= limits.idle_timeout => {
                Some("idle timeout")
            }
            _ => None,
        }
    }
}

/// Marks a request in progress on its connection for as long as it lives.
struct RequestGuard(Arc<Activity>);

impl RequestGuard {
    fn new(activity: Arc<Activity>) -> Self {
        activity.request_started();
        Self(activity)
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The client's socket, telling its [`Activity`] when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_read();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    const LIMITS: Limits = Limits {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        max_connections: 4,
        shutdown_grace: Duration::from_millis(500),
    };

    fn router() -> Router {
        Router::new()
            .route("/healthz", axum::routing::get(|| async { "ok\n" }))
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    "slow\n"
                }),
            )
    }

    struct Running {
        address: SocketAddr,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        task: tokio::task::JoinHandle<io::Result<()>>,
    }

    async fn start(limits: Limits) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, router(), limits, async {
            let _ = stopped.await;
        }));
        Running {
            address,
            stop: Some(stop),
            task,
        }
    }

    impl Running {
        async fn stop(mut self) -> Duration {
            let started = Instant::now();
            let _ = self.stop.take().unwrap().send(());
            self.task.await.unwrap().unwrap();
            started.elapsed()
        }
    }

    /// Reads until the peer closes; `true` when it closed within `within`.
    async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
        let mut buffer = [0_u8; 1024];
        let read = tokio::time::timeout(within, async {
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        });
        read.await.is_ok()
    }

    async fn get(address: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn closes_a_silent_connection_after_the_header_timeout() {
        let server = start(LIMITS).await;
        let mut silent = TcpStream::connect(server.address).await.unwrap();
        let started = Instant::now();
        assert!(closed_within(&mut silent, Duration::from_secs(3)).await);
        assert!(started.elapsed() >= Duration::from_millis(250));
        server.stop().await;
    }

    #[tokio::test]
    async fn closes_a_trickling_head_after_the_header_timeout() {
        let server = start(LIMITS).await;
        let mut slow = TcpStream::connect(server.address).await.unwrap();
        let started = Instant::now();
        // One byte every 50 ms never completes the head in time.
        let mut closed = false;
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa" {
            if slow.write_all(&[*byte]).await.is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            if started.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
        assert!(closed || closed_within(&mut slow, Duration::from_secs(1)).await);
        assert!(started.elapsed() < Duration::from_secs(2));
        server.stop().await;
    }

    #[tokio::test]
    async fn closes_an_idle_keep_alive_connection_after_the_idle_timeout() {
        let server = start(LIMITS).await;
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = [0_u8; 256];
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200"));
        let idle_from = Instant::now();
        assert!(closed_within(&mut stream, Duration::from_secs(3)).await);
        // The idle timeout (600 ms), not the header timeout (300 ms).
        assert!(idle_from.elapsed() >= Duration::from_millis(500));
        server.stop().await;
    }

    #[tokio::test]
    async fn at_the_connection_limit_closes_connections_without_a_request() {
        let limits = Limits {
            header_timeout: Duration::from_secs(30),
            ..LIMITS
        };
        let server = start(limits).await;
        let mut silent = Vec::new();
        for _ in 0..limits.max_connections + 2 {
            silent.push(TcpStream::connect(server.address).await.unwrap());
        }
        // The silent ones are shed; /healthz is answered long before the header timeout.
        let answer = tokio::time::timeout(Duration::from_secs(5), get(server.address, "/healthz"))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        drop(silent);
        server.stop().await;
    }

    #[tokio::test]
    async fn shutdown_does_not_wait_for_a_stuck_head() {
        let limits = Limits {
            header_timeout: Duration::from_secs(30),
            ..LIMITS
        };
        let server = start(limits).await;
        let mut stuck = TcpStream::connect(server.address).await.unwrap();
        stuck.write_all(b"GET /hea").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let took = server.stop().await;
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn shutdown_lets_a_request_in_progress_finish() {
        let server = start(LIMITS).await;
        let address = server.address;
        let slow = tokio::spawn(async move { get(address, "/slow").await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.stop().await;
        let answer = slow.await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("slow\n"),
            "{answer}"
        );
    }

    #[tokio::test]
    async fn shutdown_cuts_a_request_past_the_grace_period() {
        let limits = Limits {
            shutdown_grace: Duration::from_millis(100),
            ..LIMITS
        };
        let server = start(limits).await;
        let address = server.address;
        let slow = tokio::spawn(async move { get(address, "/slow").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let took = server.stop().await;
        assert!(took < Duration::from_millis(350), "{took:?}");
        let answer = slow.await.unwrap();
        assert!(answer.is_empty(), "{answer}");
    }
}
