//! Running one SQL statement. A plain query goes to Spark as one plan: the SQL under
//! `Limit(max_rows + 1)`, so a huge table is never transferred just to show its first rows.
//! Anything else goes the way pyspark sends every statement: `SqlCommand` first (commands
//! such as DDL, SHOW, DESCRIBE, SET, EXPLAIN run eagerly there, once). A command's rows come
//! back with it as Arrow data, read at once: one call. Only a relation still to run (a query
//! Spark did not run as a command) is fetched, under the same limit.

pub(super) mod decode;
pub(crate) mod run;

use std::time::{Duration, Instant};

use arrow_array::RecordBatch;

use crate::data::{BatchSink, Budget, Progress, QueryResult};
use crate::spark::error::SparkError;
use crate::spark::identity::Refusal;
use crate::spark::proto::{self, execute_plan_response::ResponseType, plan::OpType, relation::RelType};
use crate::spark::session::SparkSession;
use decode::Decoder;
use run::StatementRun;

/// Sums Spark's `execution_progress` report over its stages.
fn progress_of(report: &proto::execute_plan_response::ExecutionProgress) -> Progress {
    Progress {
        stages: report.stages.len(),
        stages_done: report.stages.iter().filter(|s| s.done).count(),
        tasks: report.stages.iter().map(|s| s.num_tasks).sum(),
        tasks_done: report.stages.iter().map(|s| s.num_completed_tasks).sum(),
        running_tasks: report.num_inflight_tasks,
        bytes_read: report.stages.iter().map(|s| s.input_bytes_read).sum(),
        written: None,
    }
}

/// Sees what an execution reports beside its results, as Spark sends it.
pub(super) trait Observer {
    fn progress(&mut self, _report: &proto::execute_plan_response::ExecutionProgress) {}
    fn metrics(&mut self, _metrics: proto::execute_plan_response::Metrics) {}
}

/// Sees nothing.
impl Observer for () {}

/// Receives progress reports while a statement runs.
pub(crate) type OnProgress<'a> = &'a mut (dyn FnMut(&Progress) + Send);

impl SparkSession {
    /// Runs `query` and keeps its first `max_rows` rows. `tag` marks the operations so they
    /// can be told apart on the server. A failure names the failing part of `query` when
    /// Spark knows it.
    pub(crate) async fn sql(
        &self,
        query: &str,
        max_rows: usize,
        tag: &str,
        on_progress: OnProgress<'_>,
    ) -> Result<QueryResult, SparkError> {
        self.sql_resuming(query, max_rows, None, tag, &mut StatementRun::new(), on_progress)
            .await
    }

    /// [`SparkSession::sql`], as one try of a statement: `run` is what earlier tries of the same statement got done: a command
    /// that completed is not sent again (only its result is fetched again), and one that may
    /// have reached the server is sent again under the same operation id, which the server
    /// recognises (it is reattached to, not run again).
    pub(crate) async fn sql_resuming(
        &self,
        query: &str,
        max_rows: usize,
        budget: Option<Budget>,
        tag: &str,
        run: &mut StatementRun,
        on_progress: OnProgress<'_>,
    ) -> Result<QueryResult, SparkError> {
        let mut renewed = false;
        loop {
            let before = self.token_digest();
            self.check_identity().await?;
            let mut result = self
                .run_sql(query, Keep { max_rows, budget }, tag, run, &mut *on_progress, None)
                .await;
            if let Err(e @ SparkError::Unauthenticated { .. }) = result {
                match self.after_refusal(before, e).await {
                    Refusal::Retry if !renewed => {
                        renewed = true;
                        continue;
                    }
                    Refusal::Retry => result = Err(self.refused_again()),
                    Refusal::Explain(e) => result = Err(e),
                }
            }
            self.with_span(&mut result).await;
            return result;
        }
    }

    /// Runs `query` like [`SparkSession::sql`], but streams its whole result, every batch
    /// to `whole` as it arrives; only the first `max_rows` rows are kept in the answer.
    pub(crate) async fn sql_whole(
        &self,
        query: &str,
        max_rows: usize,
        tag: &str,
        on_progress: OnProgress<'_>,
        whole: &mut dyn BatchSink,
    ) -> Result<QueryResult, SparkError> {
        self.check_identity().await?;
        let mut run = StatementRun::new();
        let mut result = self
            .run_sql(
                query,
                Keep { max_rows, budget: None },
                tag,
                &mut run,
                on_progress,
                Some(whole),
            )
            .await;
        self.with_span(&mut result).await;
        result
    }

    /// Adds the failing part of the query to a server error, when Spark knows it.
    pub(super) async fn with_span(&self, result: &mut Result<QueryResult, SparkError>) {
        if let Err(SparkError::Server {
            error_id: Some(id),
            span,
            ..
        }) = result
        {
            *span = self.error_span(id).await;
        }
    }

    async fn run_sql(
        &self,
        query: &str,
        keep: Keep,
        tag: &str,
        run: &mut StatementRun,
        on_progress: OnProgress<'_>,
        mut whole: Option<&mut dyn BatchSink>,
    ) -> Result<QueryResult, SparkError> {
        let sql = sql_relation(query);
        let started = Instant::now();
        // A plain query needs no command: its relation is the SQL itself, run in one plan.
        let (mut relation, command) = if run.plain_query() {
            (sql, false)
        } else {
            self.command(sql, tag, run, &mut *on_progress).await?
        };

        let streamed = whole.is_some();
        let mut decoder = Decoder::default();
        let mut first = FirstRows::new(keep);
        let fetching = Instant::now();
        let mut decoding = Duration::ZERO;
        let mut first_batch = None;
        let mut take = |decoder: &mut Decoder, data: bytes::Bytes| -> Result<(), SparkError> {
            let decode = Instant::now();
            first_batch.get_or_insert_with(|| fetching.elapsed());
            let (batches, types) = decoder.batches(data)?;
            for b in batches {
                if let Some(sink) = whole.as_mut()
                    && sink.batch(types, &b).is_break()
                {
                    return Err(SparkError::Stopped);
                }
                first.push(b);
            }
            decoding += decode.elapsed();
            if first.enough() {
                return Err(SparkError::Enough);
            }
            Ok(())
        };
        if let Some(rows) = command.then(|| local_rows(&mut relation)).flatten() {
            // The command's rows came with it: no second call.
            decoder = Decoder::local();
            match take(&mut decoder, rows) {
                Ok(()) | Err(SparkError::Enough) => {}
                Err(e) => return Err(e),
            }
        } else {
            self.fetch(
                relation,
                streamed,
                keep.max_rows,
                tag,
                on_progress,
                &mut decoder,
                &mut take,
            )
            .await?;
        }
        tracing::debug!(
            target: "kbase_spark_sql_kernel::timing",
            plain_query = run.plain_query(),
            command_ms = ms(fetching.duration_since(started)),
            first_batch_ms = first_batch.map(ms),
            fetch_ms = ms(fetching.elapsed()),
            decode_ms = ms(decoding),
            "statement ran on Spark"
        );

        let (schema, types) = decoder.finish();
        let FirstRows {
            kept: batches, more, ..
        } = first;
        Ok(QueryResult {
            schema,
            types,
            batches,
            more,
            command,
        })
    }

    /// Fetches `relation` (under the display's row limit unless `whole`), each response's
    /// Arrow data to `take`.
    #[allow(clippy::too_many_arguments)]
    async fn fetch(
        &self,
        relation: proto::Relation,
        whole: bool,
        max_rows: usize,
        tag: &str,
        on_progress: OnProgress<'_>,
        decoder: &mut Decoder,
        take: &mut (impl FnMut(&mut Decoder, bytes::Bytes) -> Result<(), SparkError> + Send),
    ) -> Result<(), SparkError> {
        // A display needs the first rows only; a whole result (an export) needs every row,
        // streamed through and not kept.
        let root = if whole {
            relation
        } else {
            let limit = i32::try_from(max_rows.saturating_add(1)).unwrap_or(i32::MAX);
            proto::Relation {
                common: None,
                rel_type: Some(RelType::Limit(Box::new(proto::Limit {
                    input: Some(Box::new(relation)),
                    limit,
                }))),
            }
        };
        // Fetching only reads: a fetch cut short is simply made again, under a new id.
        let mut fetch = StatementRun::new();
        self.execute(
            OpType::Root(root),
            tag,
            &mut fetch,
            on_progress,
            |_, response, spark| {
                decoder.saw_schema(spark);
                if let Some(ResponseType::ArrowBatch(batch)) = response {
                    take(decoder, batch.data)?;
                }
                Ok(())
            },
        )
        .await
    }

    /// Runs `sql` as a `SqlCommand` (a command such as DDL runs there, once) unless an
    /// earlier try completed it. Returns the relation that holds its result, and whether
    /// the statement was a command: the server runs a command at once and hands back its
    /// rows as data, while a query comes back as a relation still to run (that, not the
    /// column count, tells them apart: a query may have rows and no columns).
    pub(super) async fn command(
        &self,
        sql: proto::Relation,
        tag: &str,
        run: &mut StatementRun,
        on_progress: OnProgress<'_>,
    ) -> Result<(proto::Relation, bool), SparkError> {
        if !run.command_done() {
            let command = proto::Command {
                command_type: Some(proto::command::CommandType::SqlCommand(proto::SqlCommand {
                    input: Some(sql),
                    ..Default::default()
                })),
            };
            self.execute(OpType::Command(command), tag, run, on_progress, |run, response, _| {
                if let Some(ResponseType::SqlCommandResult(result)) = response {
                    run.set_relation(result.relation);
                }
                Ok(())
            })
            .await?;
        }
        let relation = run
            .relation()
            .cloned()
            .ok_or_else(|| SparkError::Protocol("the SQL command returned no result".into()))?;
        let command = !matches!(relation.rel_type, Some(RelType::Sql(_) | RelType::WithRelations(_)));
        Ok((relation, command))
    }

    /// Sends one plan under `run`'s operation id; progress reports go to `on_progress`,
    /// every other response of the stream, with the Spark schema when it carries one, to
    /// `on_response`. The execution is reattachable: when the stream ends before
    /// `result_complete` (a proxy cut it, the server rotated it) or breaks in transport, it is
    /// resumed after the last response received, so no response is lost or seen twice; a
    /// plan the server already has (sent before, by an earlier try) is reattached to, not
    /// run again. At the end the server is told to release what was consumed.
    pub(super) async fn execute(
        &self,
        op: OpType,
        tag: &str,
        run: &mut StatementRun,
        on_progress: OnProgress<'_>,
        on_response: impl FnMut(&mut StatementRun, Option<ResponseType>, Option<proto::DataType>) -> Result<(), SparkError>,
    ) -> Result<(), SparkError> {
        self.execute_observed(op, tag, run, on_progress, &mut (), on_response)
            .await
    }

    /// [`SparkSession::execute`], showing `observer` Spark's progress reports as sent and the
    /// execution metrics Spark sends with a query's last batch.
    pub(super) async fn execute_observed(
        &self,
        op: OpType,
        tag: &str,
        run: &mut StatementRun,
        on_progress: OnProgress<'_>,
        observer: &mut (dyn Observer + Send),
        mut on_response: impl FnMut(
            &mut StatementRun,
            Option<ResponseType>,
            Option<proto::DataType>,
        ) -> Result<(), SparkError>,
    ) -> Result<(), SparkError> {
        let operation_id = run.command_id().to_string();
        let mut stream = self.send_plan(op, tag, &operation_id, run).await?;
        let mut received = false;
        let mut reattached = 0;
        loop {
            let mut broken = None;
            if let Some(current) = stream.as_mut() {
                match self
                    .follow(current, run, &mut received, on_progress, observer, &mut on_response)
                    .await?
                {
                    Followed::Complete | Followed::Enough => break,
                    Followed::Ended => {}
                    Followed::Broken(status) => broken = Some(status),
                }
            }
            if reattached >= MAX_REATTACH {
                // Not Unavailable: the statement may have run, so it must not be sent again.
                let detail = broken.map_or_else(|| "it kept ending early".to_string(), |s| self.error(&s).to_string());
                return Err(SparkError::StreamLost { detail });
            }
            reattached += 1;
            tracing::info!(
                operation_id,
                attempt = reattached,
                "result stream interrupted; reattaching"
            );
            tokio::time::sleep(Duration::from_millis(100 * reattached)).await;
            if let Some(resumed) = self.reattach(&operation_id, run).await? {
                stream = Some(resumed);
                received = false;
            }
        }
        self.release_execute(&operation_id);
        Ok(())
    }

    /// Sends the plan under `operation_id`, reattachable and tagged. `None`: an earlier try
    /// already reached the server with it, so that execution is followed instead.
    async fn send_plan(
        &self,
        op: OpType,
        tag: &str,
        operation_id: &str,
        run: &mut StatementRun,
    ) -> Result<Option<Responses>, SparkError> {
        use proto::execute_plan_request::{RequestOption, request_option};
        let request = proto::ExecutePlanRequest {
            session_id: self.session_id().to_string(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            operation_id: Some(operation_id.to_string()),
            plan: Some(proto::Plan { op_type: Some(op) }),
            client_type: self.client_type(),
            request_options: vec![RequestOption {
                request_option: Some(request_option::RequestOption::ReattachOptions(proto::ReattachOptions {
                    reattachable: true,
                })),
            }],
            tags: vec![tag.to_string()],
        };
        let sent_before = run.may_have_run();
        run.mark_sent(true);
        match self.client().execute_plan(request).await {
            Ok(s) => Ok(Some(s.into_inner())),
            // An earlier try reached the server: follow that execution instead.
            Err(status) if already_exists(&status) => Ok(None),
            Err(status) => {
                let error = self.error(&status);
                if !sent_before && (never_reached(&status) || error.is_session_lost() || refused(&status)) {
                    run.mark_sent(false);
                }
                Err(error)
            }
        }
    }

    /// Reads `stream` until the result is complete, the stream ends early, or it breaks;
    /// progress goes to `on_progress`, every other response to `on_response`.
    async fn follow<F>(
        &self,
        stream: &mut Responses,
        run: &mut StatementRun,
        received: &mut bool,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
        observer: &mut (dyn Observer + Send),
        on_response: &mut F,
    ) -> Result<Followed, SparkError>
    where
        F: FnMut(&mut StatementRun, Option<ResponseType>, Option<proto::DataType>) -> Result<(), SparkError>,
    {
        loop {
            match stream.message().await {
                Ok(Some(response)) => {
                    *received = true;
                    self.observe_server_session(&response.server_side_session_id);
                    if !response.response_id.is_empty() {
                        run.set_last_response_id(response.response_id.clone());
                    }
                    let complete = matches!(response.response_type, Some(ResponseType::ResultComplete(_)));
                    if let Some(metrics) = response.metrics {
                        observer.metrics(metrics);
                    }
                    match response.response_type {
                        Some(ResponseType::ExecutionProgress(report)) => {
                            observer.progress(&report);
                            on_progress(&progress_of(&report));
                        }
                        other => match on_response(run, other, response.schema) {
                            Err(SparkError::Enough) => return Ok(Followed::Enough),
                            done => done?,
                        },
                    }
                    if complete {
                        run.mark_done();
                        return Ok(Followed::Complete);
                    }
                }
                Ok(None) => return Ok(Followed::Ended),
                Err(status) if stream_broke(&status) => return Ok(Followed::Broken(status)),
                Err(status) if !*received && already_exists(&status) => return Ok(Followed::Ended),
                Err(status) => return Err(self.error(&status)),
            }
        }
    }

    /// Resumes the execution after the last response received. `None`: the stream broke
    /// again on the way, try once more.
    async fn reattach(&self, operation_id: &str, run: &StatementRun) -> Result<Option<Responses>, SparkError> {
        let request = proto::ReattachExecuteRequest {
            session_id: self.session_id().to_string(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            operation_id: operation_id.to_string(),
            client_type: self.client_type(),
            last_response_id: run.last_response_id(),
        };
        match self.client().reattach_execute(request).await {
            Ok(s) => Ok(Some(s.into_inner())),
            // The server is away: the caller waits for it and tries again under the same
            // operation id, which leads back here if the server still has the execution.
            Err(status) => {
                let error = self.error(&status);
                if !error.is_unavailable() && stream_broke(&status) {
                    return Ok(None);
                }
                Err(error)
            }
        }
    }

    /// Lets the server drop the responses it kept for reattaching. Sent in the background
    /// (the result is complete; nothing waits for this) and best effort: the server also
    /// releases them on its own after a while.
    fn release_execute(&self, operation_id: &str) {
        use proto::release_execute_request::{Release, ReleaseAll};
        let request = proto::ReleaseExecuteRequest {
            session_id: self.session_id().to_string(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            operation_id: operation_id.to_string(),
            client_type: self.client_type(),
            release: Some(Release::ReleaseAll(ReleaseAll {})),
        };
        let mut client = self.client();
        tokio::spawn(async move {
            if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(2), client.release_execute(request)).await {
                tracing::debug!("releasing an execution failed: {}", e.message());
            }
        });
    }
}

/// The relation of a statement's SQL text.
pub(super) fn sql_relation(query: &str) -> proto::Relation {
    proto::Relation {
        common: None,
        rel_type: Some(RelType::Sql(proto::Sql {
            query: query.to_string(),
            ..Default::default()
        })),
    }
}

/// The rows a command sent with itself: Spark runs a command at once and returns its rows
/// as a local relation of Arrow data. Those are the rows a fetch of that relation would
/// bring back, with the types Spark reads from the same Arrow schema.
fn local_rows(relation: &mut proto::Relation) -> Option<bytes::Bytes> {
    match &mut relation.rel_type {
        Some(RelType::LocalRelation(proto::LocalRelation {
            data: data @ Some(_),
            schema: None,
        })) => data.take().map(bytes::Bytes::from),
        _ => None,
    }
}

/// A duration in milliseconds, for the timing trace.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How many times one execution is resumed before the kernel gives up on it.
const MAX_REATTACH: u64 = 5;

/// The responses of one execution, as they stream.
type Responses = tonic::Streaming<proto::ExecutePlanResponse>;

/// How reading a stream of responses ended.
enum Followed {
    /// The result is complete.
    Complete,
    /// The receiver has all it needs; the rest of the result is not read.
    Enough,
    /// The stream ended before the result was complete.
    Ended,
    /// The stream broke in transport.
    Broken(tonic::Status),
}

/// A stream that broke in transport (connection lost or reset), as opposed to an error
/// Spark reported: the execution may go on, so it is worth reattaching to.
fn stream_broke(status: &tonic::Status) -> bool {
    use tonic_types::StatusExt;
    match status.code() {
        tonic::Code::Unavailable => true,
        tonic::Code::Unknown | tonic::Code::Internal => {
            status.get_details_error_info().is_none() && !status.message().contains("INVALID_")
        }
        _ => false,
    }
}

/// The server already has an operation under this id: an earlier try of it reached it.
fn already_exists(status: &tonic::Status) -> bool {
    error_class(status).is_some_and(|c| c.starts_with("INVALID_HANDLE.OPERATION_ALREADY_EXISTS"))
        || status.message().contains("INVALID_HANDLE.OPERATION_ALREADY_EXISTS")
}

fn error_class(status: &tonic::Status) -> Option<String> {
    use tonic_types::StatusExt;
    status.get_details_error_info()?.metadata.get("errorClass").cloned()
}

/// A call refused before it ran: the server's interceptor did not accept its token or (on
/// BERDL) its database name, or the client could not read the token to send.
fn refused(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied
    ) || status.metadata().contains_key(crate::spark::error::TOKEN_ERROR_KEY)
}

/// A call that failed before anything was sent: no connection could be made.
fn never_reached(status: &tonic::Status) -> bool {
    if status.code() != tonic::Code::Unavailable {
        return false;
    }
    let mut text = status.message().to_lowercase();
    let mut source = std::error::Error::source(status);
    while let Some(e) = source {
        text.push('\n');
        text.push_str(&e.to_string().to_lowercase());
        source = e.source();
    }
    ["tcp connect error", "connection refused", "dns error"]
        .iter()
        .any(|m| text.contains(m))
}

/// Which of a result's first rows to keep: at most `max_rows`, and within `budget`.
#[derive(Clone, Copy)]
struct Keep {
    max_rows: usize,
    budget: Option<Budget>,
}

/// The first rows of a stream of batches, whatever its length; says whether any were left out.
struct FirstRows {
    left: usize,
    kept: Vec<RecordBatch>,
    more: bool,
    budget: Option<Budget>,
    /// What the rows kept cost to show, at least, and how many they are.
    cost: usize,
    rows: usize,
}

impl FirstRows {
    fn new(keep: Keep) -> FirstRows {
        FirstRows {
            left: keep.max_rows,
            kept: Vec::new(),
            more: false,
            budget: keep.budget,
            cost: 0,
            rows: 0,
        }
    }

    fn push(&mut self, mut b: RecordBatch) {
        if b.num_rows() > self.left {
            self.more = true;
            if self.left == 0 {
                return;
            }
            b = b.slice(0, self.left);
        }
        self.left -= b.num_rows();
        self.rows += b.num_rows();
        if let Some(budget) = self.budget {
            self.cost = self.cost.saturating_add((budget.cost)(&b));
        }
        self.kept.push(b);
    }

    /// True once the rows kept cost more than the budget: the display cuts them by size at
    /// one of them (at the second or later, as it always shows the first), so no row after
    /// them can be shown. Whatever followed counts as more.
    fn enough(&mut self) -> bool {
        let over = self.budget.is_some_and(|b| self.cost > b.bytes) && self.rows >= 2;
        self.more |= over;
        over
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int32Array;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn batch(n: i32) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from_iter_values(0..n))]).unwrap()
    }

    #[test]
    fn keeps_exactly_the_first_rows() {
        let keep = |batches: Vec<RecordBatch>, max_rows| {
            let mut first = FirstRows::new(Keep { max_rows, budget: None });
            batches.into_iter().for_each(|b| first.push(b));
            (first.kept, first.more)
        };
        let (kept, more) = keep(vec![batch(3), batch(3), batch(3)], 4);
        assert_eq!(kept.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), vec![3, 1]);
        assert!(more);
        let (kept, more) = keep(vec![batch(2), batch(2)], 4);
        assert_eq!(kept.len(), 2);
        assert!(!more);
    }

    #[test]
    fn stops_keeping_once_the_rows_cost_more_than_the_budget() {
        // A cost of one byte a row and a budget of four: five rows are over it.
        let budget = Budget {
            bytes: 4,
            cost: |b| b.num_rows(),
        };
        let mut first = FirstRows::new(Keep {
            max_rows: 100,
            budget: Some(budget),
        });
        first.push(batch(3));
        assert!(!first.enough() && !first.more);
        first.push(batch(2));
        assert!(first.enough() && first.more);
        // A single row over the budget is not enough: the display shows the first row
        // whatever its size, and says it cut at the second.
        let mut one = FirstRows::new(Keep {
            max_rows: 100,
            budget: Some(Budget { bytes: 0, cost: |_| 10 }),
        });
        one.push(batch(1));
        assert!(!one.enough());
    }
}
