//! Holds the kernel's one Spark session. It is opened in the background as soon as the
//! kernel starts, so Jupyter is never kept waiting; the first cell waits for it, and when
//! opening failed each cell tries again, so a server that comes up later is picked up.

use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::spark::{OpenError, SparkSession, open_session};

pub struct SessionSlot {
    config: Config,
    current: Mutex<Option<Arc<SparkSession>>>,
    /// Held while a session is being opened, so concurrent callers wait for that one.
    opening: tokio::sync::Mutex<()>,
}

impl SessionSlot {
    pub fn new(config: Config) -> Self {
        SessionSlot {
            config,
            current: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The open session, without waiting.
    pub fn current(&self) -> Option<Arc<SparkSession>> {
        self.current.lock().ok().and_then(|s| s.clone())
    }

    /// The open session, opening it first when there is none.
    pub async fn get(&self) -> Result<Arc<SparkSession>, OpenError> {
        if let Some(s) = self.current() {
            return Ok(s);
        }
        let _opening = self.opening.lock().await;
        if let Some(s) = self.current() {
            return Ok(s);
        }
        let session = Arc::new(open_session(&self.config).await?);
        tracing::info!(
            target = session.target(),
            session_id = session.session_id(),
            "Spark session open"
        );
        if let Ok(mut current) = self.current.lock() {
            *current = Some(session.clone());
        }
        Ok(session)
    }

    /// Removes the session, for release at shutdown.
    pub fn take(&self) -> Option<Arc<SparkSession>> {
        self.current.lock().ok().and_then(|mut s| s.take())
    }
}
