//! What the engine needs of Spark, as two small traits: a [`Session`] runs SQL, cancels a
//! cell's operations and is released; a [`Connector`] opens one. The kernel's are the Spark
//! Connect session and the configuration's way to open it; tests put a scripted fake in
//! their place, so the engine's retry, renew and interrupt logic runs without a server.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::config::{Config, ConfigError, DEFAULT_CATALOG_WAIT, DEFAULT_MAX_ROWS};
use crate::data::plan::Analyzed;
use crate::data::{BatchSink, QueryResult};
use crate::spark::{OnProgress, OpenError, SparkError, SparkSession, StatementRun, ViewSource, open_session};

pub(crate) trait Session: Send + Sync {
    /// Runs `query` and keeps its first `max_rows` rows; `tag` marks its operations.
    fn sql<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        async move {
            let mut run = StatementRun::new();
            self.sql_resuming(query, max_rows, tag, &mut run, on_progress).await
        }
        .boxed()
    }

    /// One try of a statement: as [`Session::sql`], where `run` carries what earlier tries
    /// of the same statement got done, so a retry resumes where they stopped instead of
    /// running the statement again.
    fn sql_resuming<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        run: &'a mut StatementRun,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>>;

    /// Runs `query` and streams its whole result to `whole`, batch by batch; the answer
    /// keeps the first `max_rows` rows.
    fn sql_whole<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        on_progress: OnProgress<'a>,
        whole: &'a mut dyn BatchSink,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>>;

    /// One try of sending `query` once as Spark's SQL command, as [`Session::sql_resuming`]
    /// does, without fetching any rows: `command` in the answer says the statement was a
    /// command that has run; otherwise `run` keeps the query's result, still to run, for
    /// [`Session::sql_over`].
    fn sql_base<'a>(
        &'a self,
        query: &'a str,
        tag: &'a str,
        run: &'a mut StatementRun,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>>;

    /// Runs `sql` over the whole result of `run`'s query, which it names `__kbase_result`,
    /// and returns every row of the answer (a chart's or a profile's few).
    fn sql_over<'a>(
        &'a self,
        run: &'a StatementRun,
        sql: &'a str,
        tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>>;

    /// Makes `name` a temporary view over `source`, a result shown earlier, replacing any
    /// view of that name; `tag` marks the call. Only analyses: nothing runs.
    fn define_view<'a>(
        &'a self,
        name: &'a str,
        source: &'a ViewSource,
        tag: &'a str,
    ) -> BoxFuture<'a, Result<(), SparkError>>;

    /// Runs the query of `run` (sent by [`Session::sql_base`]) to its end on the server,
    /// keeping its first `max_rows` rows, with how Spark executed it.
    fn sql_analyzed<'a>(
        &'a self,
        run: &'a StatementRun,
        max_rows: usize,
        tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<Analyzed, SparkError>>;

    /// Cancels the operations that carry `tag` (those of one cell).
    fn interrupt_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<(), SparkError>>;

    /// Cancels every operation of the session.
    fn interrupt_all(&self) -> BoxFuture<'_, Result<(), SparkError>>;

    /// Frees the session on the server.
    fn release(&self) -> BoxFuture<'_, Result<(), SparkError>>;
}

/// A session ready for cells, with what the user should be told about it (token warnings).
pub(crate) struct Opened {
    pub(crate) session: Arc<dyn Session>,
    pub(crate) warnings: Vec<String>,
}

pub(crate) trait Connector: Send + Sync {
    /// Opens a new session.
    fn open(&self) -> BoxFuture<'_, Result<Opened, OpenError>>;

    /// Rows shown per result.
    fn max_rows(&self) -> usize;

    /// How long completion waits for the catalog.
    fn catalog_wait(&self) -> Duration {
        DEFAULT_CATALOG_WAIT
    }

    /// Whether the catalog's usual look-ups start as soon as a session opens and again
    /// after a cell that may have changed it.
    fn prefetch(&self) -> bool {
        true
    }
}

impl Session for SparkSession {
    fn sql_resuming<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        run: &'a mut StatementRun,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        SparkSession::sql_resuming(self, query, max_rows, tag, run, on_progress).boxed()
    }

    fn sql_whole<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        on_progress: OnProgress<'a>,
        whole: &'a mut dyn BatchSink,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        SparkSession::sql_whole(self, query, max_rows, tag, on_progress, whole).boxed()
    }

    fn sql_base<'a>(
        &'a self,
        query: &'a str,
        tag: &'a str,
        run: &'a mut StatementRun,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        SparkSession::sql_base(self, query, tag, run, on_progress).boxed()
    }

    fn sql_over<'a>(
        &'a self,
        run: &'a StatementRun,
        sql: &'a str,
        tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        SparkSession::sql_over(self, run, sql, tag, on_progress).boxed()
    }

    fn define_view<'a>(
        &'a self,
        name: &'a str,
        source: &'a ViewSource,
        tag: &'a str,
    ) -> BoxFuture<'a, Result<(), SparkError>> {
        SparkSession::define_view(self, name, source, tag).boxed()
    }

    fn sql_analyzed<'a>(
        &'a self,
        run: &'a StatementRun,
        max_rows: usize,
        tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<Analyzed, SparkError>> {
        SparkSession::sql_analyzed(self, run, max_rows, tag, on_progress).boxed()
    }

    fn interrupt_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<(), SparkError>> {
        SparkSession::interrupt_tag(self, tag).boxed()
    }

    fn interrupt_all(&self) -> BoxFuture<'_, Result<(), SparkError>> {
        SparkSession::interrupt_all(self).boxed()
    }

    fn release(&self) -> BoxFuture<'_, Result<(), SparkError>> {
        SparkSession::release(self).boxed()
    }
}

/// Opens Spark Connect sessions from the kernel's configuration. A configuration that could
/// not be read is kept: each cell then says what is wrong with it, rather than the kernel
/// dying before the user sees anything.
pub(crate) struct SparkConnector {
    config: Result<Config, ConfigError>,
}

impl SparkConnector {
    pub(crate) fn new(config: Result<Config, ConfigError>) -> SparkConnector {
        SparkConnector { config }
    }
}

impl Connector for SparkConnector {
    fn open(&self) -> BoxFuture<'_, Result<Opened, OpenError>> {
        async move {
            let config = self.config.as_ref().map_err(|e| OpenError::Config(e.clone()))?;
            let opened = open_session(config).await?;
            tracing::info!(
                target = opened.session.target(),
                session_id = opened.session.session_id(),
                "Spark session open"
            );
            Ok(Opened {
                session: Arc::new(opened.session),
                warnings: opened.warnings,
            })
        }
        .boxed()
    }

    fn max_rows(&self) -> usize {
        self.config.as_ref().map_or(DEFAULT_MAX_ROWS, |c| c.max_rows)
    }

    fn catalog_wait(&self) -> Duration {
        self.config.as_ref().map_or(DEFAULT_CATALOG_WAIT, |c| c.catalog_wait)
    }
}
