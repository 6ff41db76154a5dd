//! The one source of the current time for the long-running parts (the server, the built-in
//! IdP). Protocol crates take `now` as a parameter; a server reads [`Clock::now`] once per
//! request and passes it down.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// The system clock, injectable for tests: [`Clock::advance`] moves this clock (and every clone
/// of it) forward, so a test can expire sessions and assertions without waiting.
/// `Clock::default()` is the system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system time.
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// The current time: the system time plus any [`Clock::advance`].
    #[expect(
        clippy::disallowed_methods,
        reason = "the single clock of a server; everything else takes `now`"
    )]
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        let offset = self.offset_seconds.load(Ordering::Relaxed);
        OffsetDateTime::now_utc() + time::Duration::seconds(offset)
    }

    /// Moves the clock forward by `seconds` (tests).
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::default();
        let other = clock.clone();
        let before = other.now();
        clock.advance(3600);
        assert!(other.now() - before >= time::Duration::hours(1));
    }
}
