//! Holds the kernel's one Spark session. It is opened in the background as soon as the
//! kernel starts, so Jupyter is never kept waiting; the first cell waits for it, and when
//! opening failed each cell tries again, so a server that comes up later is picked up.

use std::sync::{Arc, Mutex};

use super::session::{Connector, Session};
use crate::spark::OpenError;

pub(crate) struct SessionSlot {
    connector: Box<dyn Connector>,
    current: Mutex<Option<Arc<dyn Session>>>,
    /// What the user should be told about the session just opened (token warnings).
    notices: Mutex<Vec<String>>,
    /// Held while a session is being opened, so concurrent callers wait for that one.
    opening: tokio::sync::Mutex<()>,
}

impl SessionSlot {
    pub(crate) fn new(connector: Box<dyn Connector>) -> Self {
        SessionSlot {
            connector,
            current: Mutex::new(None),
            notices: Mutex::new(Vec::new()),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn max_rows(&self) -> usize {
        self.connector.max_rows()
    }

    pub(crate) fn catalog_wait(&self) -> std::time::Duration {
        self.connector.catalog_wait()
    }

    pub(crate) fn prefetch(&self) -> bool {
        self.connector.prefetch()
    }

    /// The open session, without waiting.
    pub(crate) fn current(&self) -> Option<Arc<dyn Session>> {
        self.current.lock().ok().and_then(|s| s.clone())
    }

    /// The open session, opening it first when there is none.
    pub(crate) async fn get(&self) -> Result<Arc<dyn Session>, OpenError> {
        if let Some(s) = self.current() {
            return Ok(s);
        }
        let _opening = self.opening.lock().await;
        if let Some(s) = self.current() {
            return Ok(s);
        }
        let opened = self.connector.open().await?;
        let session = opened.session;
        for w in &opened.warnings {
            tracing::warn!("{w}");
        }
        if let Ok(mut notices) = self.notices.lock() {
            notices.extend(opened.warnings);
        }
        if let Ok(mut current) = self.current.lock() {
            *current = Some(session.clone());
        }
        Ok(session)
    }

    /// Opens a new session in place of `lost`, which the server no longer has (it restarted):
    /// a new channel, the token read and validated afresh, KBASE_SPARK_CONF applied again.
    /// The user is told once, with the next notices.
    pub(crate) async fn renew(&self, lost: &Arc<dyn Session>) -> Result<Arc<dyn Session>, OpenError> {
        {
            let _opening = self.opening.lock().await;
            if let Ok(mut current) = self.current.lock()
                && current.as_ref().is_some_and(|c| Arc::ptr_eq(c, lost))
            {
                *current = None;
            }
        }
        let session = self.get().await?;
        if let Ok(mut notices) = self.notices.lock() {
            notices.push(
                "The Spark Connect server restarted, so the kernel started a new Spark session: temp views \
                 and settings from earlier cells are gone (KBASE_SPARK_CONF was applied again)."
                    .into(),
            );
        }
        Ok(session)
    }

    /// Notices not yet shown to the user; each is handed out once.
    pub(crate) fn take_notices(&self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    /// Removes the session, for release at shutdown.
    pub(crate) fn take(&self) -> Option<Arc<dyn Session>> {
        self.current.lock().ok().and_then(|mut s| s.take())
    }
}
