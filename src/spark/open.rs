//! Turns the configuration into a live session: picks the server address and credentials,
//! checks that the server answers, and applies the session's starting settings.

use super::channel::TokenSource;
use super::error::SparkError;
use super::session::SparkSession;
use super::url::{ConnectUrl, UrlError};
use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("SPARK_REMOTE is not a valid Spark Connect URL: {0}.")]
    BadRemote(UrlError),
    #[error(
        "No Spark Connect server is configured. Set KBASE_AUTH_TOKEN to your KBase token \
         (the kernel then finds your own server), or set SPARK_REMOTE to a server URL such as sc://localhost:15002."
    )]
    NotConfigured,
    #[error("{0}")]
    Spark(#[from] SparkError),
}

impl OpenError {
    pub fn name(&self) -> String {
        match self {
            OpenError::Spark(e) => e.name(),
            _ => "KernelConfigurationError".into(),
        }
    }
}

/// The server to use and the token to send, as the configuration says.
pub fn resolve_target(config: &Config) -> Result<(ConnectUrl, TokenSource), OpenError> {
    let tokens = if config.token.is_some() {
        TokenSource::Environment
    } else {
        TokenSource::None
    };
    match &config.spark_remote {
        Some(remote) => Ok((ConnectUrl::parse(remote).map_err(OpenError::BadRemote)?, tokens)),
        None => Err(OpenError::NotConfigured),
    }
}

/// The local account name, found the way pyspark finds it, for the session's `user_id`
/// when neither the URL nor the KBase token names the user.
pub fn local_user() -> String {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "kbase".into())
}

/// Builds the session, proves the server answers, and applies `KBASE_SPARK_CONF`.
pub async fn open_session(config: &Config) -> Result<SparkSession, OpenError> {
    let (url, tokens) = resolve_target(config)?;
    let session = SparkSession::new(&url, tokens, &local_user(), &config.app_name)?;
    session.spark_version().await?;
    session.set_conf(&config.spark_conf).await?;
    Ok(session)
}
