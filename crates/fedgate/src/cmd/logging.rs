//! Logging off the hot path: request threads hand each formatted line to a bounded queue and
//! go on; one writer thread writes them to stderr. When the queue is full (stderr slower than
//! the log rate) lines are dropped, counted, and the count is written as soon as the writer
//! catches up, so a slow terminal or pipe can never slow sign-ins down.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Lines the queue holds: a few seconds of a busy server's request lines.
pub const LOG_QUEUE_LINES: usize = 16_384;

/// Longest a flush at exit waits for the writer.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

enum Message {
    Line(Vec<u8>),
    Flush(SyncSender<()>),
}

/// The `MakeWriter` of the fmt subscriber: each event's line goes to the queue.
#[derive(Clone)]
pub struct NonBlocking {
    sender: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonBlocking")
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Flushes the queue when dropped (at the end of `serve`).
#[derive(Debug)]
pub struct FlushGuard {
    writer: NonBlocking,
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        let (done, wait) = sync_channel(1);
        // Blocking send: at exit every queued line should reach stderr.
        if self.writer.sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(FLUSH_WAIT);
        }
    }
}

/// The writer for the subscriber, and the guard that flushes it.
pub fn non_blocking_stderr() -> (NonBlocking, FlushGuard) {
    let (sender, receiver) = sync_channel(LOG_QUEUE_LINES);
    let dropped = Arc::new(AtomicU64::new(0));
    let writer = NonBlocking {
        sender,
        dropped: Arc::clone(&dropped),
    };
    let spawned = std::thread::Builder::new()
        .name("fedgate-log".to_owned())
        .spawn(move || write_lines(&receiver, &dropped));
    if let Err(error) = spawned {
        eprintln!("fedgate: cannot start the log writer thread ({error}); logs are dropped");
    }
    let guard = FlushGuard {
        writer: writer.clone(),
    };
    (writer, guard)
}

fn write_lines(receiver: &Receiver<Message>, dropped: &AtomicU64) {
    let stderr = std::io::stderr();
    let mut reported = 0;
    while let Ok(message) = receiver.recv() {
        let mut out = stderr.lock();
        let now_dropped = dropped.load(Ordering::Relaxed);
        if now_dropped > reported {
            let _ = writeln!(
                out,
                "fedgate: {} log lines dropped: stderr could not keep up",
                now_dropped - reported
            );
            reported = now_dropped;
        }
        match message {
            Message::Line(line) => {
                let _ = out.write_all(&line);
            }
            Message::Flush(done) => {
                let _ = out.flush();
                let _ = done.send(());
            }
        }
    }
}

/// One event's line, sent when the formatter is done with it.
pub struct LineWriter {
    line: Vec<u8>,
    writer: NonBlocking,
}

impl std::io::Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        match self.writer.sender.try_send(Message::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.writer.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for NonBlocking {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            line: Vec::with_capacity(256),
            writer: self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_it_cannot_queue() {
        let (sender, receiver) = sync_channel(1);
        let writer = NonBlocking {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        for line in ["one\n", "two\n", "three\n"] {
            let mut out = tracing_subscriber::fmt::MakeWriter::make_writer(&writer);
            out.write_all(line.as_bytes()).unwrap();
        }
        assert_eq!(writer.dropped.load(Ordering::Relaxed), 2);
        match receiver.try_recv() {
            Ok(Message::Line(line)) => assert_eq!(line, b"one\n"),
            _ => panic!("the first line is queued"),
        }
    }
}
