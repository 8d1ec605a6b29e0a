//! Interrupts, counted: a cell notes the count as it starts (its [`Epoch`]), and any
//! interrupt after that stops its waits. One place asks "was this cell interrupted?", so
//! the statement loop, the retry pauses and the SQL of charts and profiles all agree.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a cancelled statement may take to end on its own before the kernel stops waiting.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// The interrupts so far when a cell started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Epoch(u64);

#[derive(Default)]
pub(crate) struct Interrupts {
    count: AtomicU64,
    notify: Notify,
}

impl Interrupts {
    /// Now, as a later interrupt is told from an earlier one.
    pub(crate) fn epoch(&self) -> Epoch {
        Epoch(self.count.load(Ordering::SeqCst))
    }

    /// Whether an interrupt came after `epoch`.
    pub(crate) fn came_after(&self, epoch: Epoch) -> bool {
        self.epoch() != epoch
    }

    /// Interrupts whatever waits: every wait of a cell started before now ends.
    pub(crate) fn interrupt(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Runs `work` unless an interrupt comes (or came) after `epoch`. After an interrupt the
    /// work gets a short grace to end by itself (the server reports the cancellation); `None`
    /// means it was cut off.
    pub(crate) async fn until<T>(&self, epoch: Epoch, work: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(work);
        loop {
            let notified = self.notify.notified();
            if self.came_after(epoch) {
                return tokio::time::timeout(CANCEL_GRACE, &mut work).await.ok();
            }
            tokio::select! {
                r = &mut work => return Some(r),
                _ = notified => {}
            }
        }
    }

    /// Waits `pause` unless an interrupt comes (or came) after `epoch`; true when interrupted.
    pub(crate) async fn pause(&self, epoch: Epoch, pause: Duration) -> bool {
        let notified = self.notify.notified();
        if self.came_after(epoch) {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => self.came_after(epoch),
            _ = notified => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_ends_the_waits_of_cells_started_before_it_only() {
        let interrupts = Interrupts::default();
        let before = interrupts.epoch();
        interrupts.interrupt();
        let after = interrupts.epoch();
        assert!(interrupts.came_after(before));
        assert!(!interrupts.came_after(after));
        assert!(interrupts.pause(before, Duration::from_secs(60)).await);
        assert!(!interrupts.pause(after, Duration::from_secs(1)).await);
        assert_eq!(interrupts.until(after, async { 7 }).await, Some(7));
        // Work that never ends is cut off after the grace.
        assert_eq!(interrupts.until(before, std::future::pending::<u8>()).await, None);
    }
}
