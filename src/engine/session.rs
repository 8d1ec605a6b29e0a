//! What the engine needs of Spark, as two small traits: a [`Session`] runs a statement the
//! way a [`Request`] says (one method, one enum variant per way), cancels a cell's operations
//! and is released; a [`Connector`] opens one. The kernel's are the Spark
//! Connect session and the configuration's way to open it; tests put a scripted fake in
//! their place, so the engine's retry, renew and interrupt logic runs without a server.

use std::sync::Arc;
use std::time::Duration;

use arrow_schema::Schema;
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::config::{Config, ConfigError, DEFAULT_CATALOG_WAIT, DEFAULT_MAX_ROWS};
use crate::data::grid::GridQuery;
use crate::data::plan::Analyzed;
use crate::data::{BatchSink, Budget, QueryResult};
use crate::spark::{OnProgress, OpenError, SparkError, SparkSession, StatementRun, ViewSource, open_session};

/// One way of running a statement, with what it needs; `tag` marks the operations it starts
/// (those of one cell), so an interrupt of the cell cancels them.
pub(crate) enum Request<'a> {
    /// Runs `query` and keeps its first `max_rows` rows: a statement on its own, with no
    /// earlier try to resume.
    Rows {
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
    },
    /// One try of a statement: as [`Request::Rows`], where `run` carries what earlier tries of
    /// the same statement got done, so a retry resumes where they stopped instead of running
    /// the statement again.
    /// Past `budget`, if any, no more rows are fetched than can be shown.
    Resume {
        query: &'a str,
        max_rows: usize,
        budget: Option<Budget>,
        tag: &'a str,
        run: &'a mut StatementRun,
    },
    /// Runs `query` and streams its whole result to `whole`, batch by batch; the answer keeps
    /// the first `max_rows` rows.
    Whole {
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        whole: &'a mut dyn BatchSink,
    },
    /// One try of sending `query` once as Spark's SQL command, as [`Request::Resume`] does,
    /// without fetching any rows: `command` in the answer says the statement was a command
    /// that has run; otherwise `run` keeps the query's result, still to run, for
    /// [`Request::Over`] and [`Request::Analyze`].
    Send {
        query: &'a str,
        tag: &'a str,
        run: &'a mut StatementRun,
    },
    /// Runs `sql` over the whole result of `run`'s query, which it names `__kbase_result`,
    /// and answers every row (a chart's or a profile's few).
    Over {
        run: &'a StatementRun,
        sql: &'a str,
        tag: &'a str,
    },
    /// Makes `name` a temporary view over `source`, a result shown earlier, replacing any view
    /// of that name. Only analyses: nothing runs, and no progress is reported.
    View {
        name: &'a str,
        source: &'a ViewSource,
        tag: &'a str,
    },
    /// Runs the query of `run` (sent by [`Request::Send`]) to its end on the server, keeping
    /// its first `max_rows` rows, with how Spark executed it.
    Analyze {
        run: &'a StatementRun,
        max_rows: usize,
        tag: &'a str,
    },
    /// Computes `source` once and keeps its rows on the server for the live grid (a local
    /// checkpoint); answers the pinned source, which reads them.
    Pin { source: &'a ViewSource, tag: &'a str },
    /// Lets the server drop what a [`Request::Pin`] kept.
    Unpin { pinned: &'a ViewSource, tag: &'a str },
    /// A page or the count of a view over `source`, for the live grid.
    Grid {
        source: &'a ViewSource,
        query: &'a GridQuery,
        tag: &'a str,
    },
}

/// What a [`Request`] answers.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Rows kept (none for a statement only sent, beside whether it was a command).
    Rows(QueryResult),
    /// The view is defined (or the pinned rows let go).
    Viewed,
    /// The result's rows are kept on the server: this source reads them.
    Pinned(Box<ViewSource>),
    /// The query ran to its end, with how Spark executed it.
    Analyzed(Analyzed),
}

impl Answer {
    /// The rows the answer holds: a defined view's are none (an empty command result).
    pub(crate) fn into_result(self) -> QueryResult {
        match self {
            Answer::Rows(result) => result,
            Answer::Analyzed(analyzed) => analyzed.result,
            Answer::Viewed | Answer::Pinned(_) => QueryResult {
                command: true,
                ..QueryResult::new(Arc::new(Schema::empty()), Vec::new(), false)
            },
        }
    }

    /// How Spark executed the query, when the request asked for it.
    pub(crate) fn into_analyzed(self) -> Option<Analyzed> {
        match self {
            Answer::Analyzed(analyzed) => Some(analyzed),
            Answer::Rows(_) | Answer::Viewed | Answer::Pinned(_) => None,
        }
    }
}

pub(crate) trait Session: Send + Sync {
    /// Runs one statement the way `request` says, reporting its progress to `on_progress`.
    fn run<'a>(
        &'a self,
        request: Request<'a>,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<Answer, SparkError>>;

    /// Cancels the operations that carry `tag` (those of one cell).
    fn interrupt_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<(), SparkError>>;

    /// Cancels every operation of the session.
    fn interrupt_all(&self) -> BoxFuture<'_, Result<(), SparkError>>;

    /// Frees the session on the server.
    fn release(&self) -> BoxFuture<'_, Result<(), SparkError>>;
}

impl dyn Session {
    /// Runs `query` on its own and keeps its first `max_rows` rows ([`Request::Rows`]).
    pub(crate) async fn rows(
        &self,
        query: &str,
        max_rows: usize,
        tag: &str,
        on_progress: OnProgress<'_>,
    ) -> Result<QueryResult, SparkError> {
        let request = Request::Rows { query, max_rows, tag };
        Ok(self.run(request, on_progress).await?.into_result())
    }
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
    fn run<'a>(
        &'a self,
        request: Request<'a>,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<Answer, SparkError>> {
        async move {
            Ok(match request {
                Request::Rows { query, max_rows, tag } => {
                    let mut run = StatementRun::new();
                    Answer::Rows(
                        SparkSession::sql_resuming(self, query, max_rows, None, tag, &mut run, on_progress).await?,
                    )
                }
                Request::Resume {
                    query,
                    max_rows,
                    budget,
                    tag,
                    run,
                } => Answer::Rows(
                    SparkSession::sql_resuming(self, query, max_rows, budget, tag, run, on_progress).await?,
                ),
                Request::Whole {
                    query,
                    max_rows,
                    tag,
                    whole,
                } => Answer::Rows(SparkSession::sql_whole(self, query, max_rows, tag, on_progress, whole).await?),
                Request::Send { query, tag, run } => {
                    Answer::Rows(SparkSession::sql_base(self, query, tag, run, on_progress).await?)
                }
                Request::Over { run, sql, tag } => {
                    Answer::Rows(SparkSession::sql_over(self, run, sql, tag, on_progress).await?)
                }
                Request::View { name, source, tag } => {
                    SparkSession::define_view(self, name, source, tag).await?;
                    Answer::Viewed
                }
                Request::Analyze { run, max_rows, tag } => {
                    Answer::Analyzed(SparkSession::sql_analyzed(self, run, max_rows, tag, on_progress).await?)
                }
                Request::Pin { source, tag } => Answer::Pinned(Box::new(SparkSession::pin(self, source, tag).await?)),
                Request::Unpin { pinned, tag } => {
                    SparkSession::unpin(self, pinned, tag).await?;
                    Answer::Viewed
                }
                Request::Grid { source, query, tag } => {
                    Answer::Rows(SparkSession::grid(self, source, query, tag).await?)
                }
            })
        }
        .boxed()
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
