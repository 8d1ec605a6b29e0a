//! Running one SQL statement the way pyspark does: `SqlCommand` first (commands such as DDL
//! run eagerly there), then the relation it returns under `Limit(max_rows + 1)`, so a huge
//! table is never transferred just to show its first rows.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_schema::{Schema, SchemaRef};

use super::error::SparkError;
use super::proto::{self, execute_plan_response::ResponseType, plan::OpType, relation::RelType};
use super::session::SparkSession;
use super::types;
use crate::data::{BatchSink, Progress, QueryResult};

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
        self.check_identity().await?;
        let mut result = self.run_sql(query, max_rows, tag, on_progress, None).await;
        self.with_span(&mut result).await;
        result
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
        let mut result = self.run_sql(query, max_rows, tag, on_progress, Some(whole)).await;
        self.with_span(&mut result).await;
        result
    }

    /// Adds the failing part of the query to a server error, when Spark knows it.
    async fn with_span(&self, result: &mut Result<QueryResult, SparkError>) {
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
        max_rows: usize,
        tag: &str,
        on_progress: OnProgress<'_>,
        mut whole: Option<&mut dyn BatchSink>,
    ) -> Result<QueryResult, SparkError> {
        let sql = proto::Relation {
            common: None,
            rel_type: Some(RelType::Sql(proto::Sql {
                query: query.to_string(),
                ..Default::default()
            })),
        };
        let command = proto::Command {
            command_type: Some(proto::command::CommandType::SqlCommand(proto::SqlCommand {
                input: Some(sql),
                ..Default::default()
            })),
        };
        let mut relation = None;
        self.execute(OpType::Command(command), tag, &mut *on_progress, |response, _| {
            if let Some(ResponseType::SqlCommandResult(result)) = response {
                relation = result.relation;
            }
            Ok(())
        })
        .await?;
        let relation = relation.ok_or_else(|| SparkError::Protocol("the SQL command returned no result".into()))?;
        // The server runs a command at once and hands back its rows as data; a query comes
        // back as a relation still to run. That, not the column count, tells them apart (a
        // query may have rows and no columns).
        let command = !matches!(relation.rel_type, Some(RelType::Sql(_) | RelType::WithRelations(_)));

        // A display needs the first rows only; a whole result (an export) needs every row,
        // streamed through and not kept.
        let root = if whole.is_some() {
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
        let mut shape: Option<(SchemaRef, Vec<crate::data::SqlType>)> = None;
        let mut spark_schema = None;
        let mut first = FirstRows::new(max_rows);
        let mut stopped = false;
        self.execute(OpType::Root(root), tag, on_progress, |response, spark| {
            if spark.is_some() {
                spark_schema = spark;
            }
            if let Some(ResponseType::ArrowBatch(batch)) = response {
                let reader = StreamReader::try_new(Cursor::new(batch.data), None)
                    .map_err(|e| SparkError::Protocol(format!("bad Arrow data: {e}")))?;
                let (schema, types) =
                    shape.get_or_insert_with(|| types::annotate(&reader.schema(), spark_schema.as_ref()));
                for b in reader {
                    let b = b
                        .map_err(|e| SparkError::Protocol(format!("bad Arrow data: {e}")))?
                        .with_schema(schema.clone())
                        .map_err(|e| SparkError::Protocol(format!("Arrow batches do not match their schema: {e}")))?;
                    if let Some(sink) = whole.as_mut()
                        && sink.batch(types, &b).is_break()
                    {
                        stopped = true;
                        return Err(SparkError::Stopped);
                    }
                    first.push(b);
                }
            }
            Ok(())
        })
        .await?;
        if stopped {
            return Err(SparkError::Stopped);
        }

        let (schema, types) =
            shape.unwrap_or_else(|| types::annotate(&Arc::new(Schema::empty()), spark_schema.as_ref()));
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

    /// Sends one plan; progress reports go to `on_progress`, every other response of the
    /// stream, with the Spark schema when it carries one, to `on_response`. The execution is reattachable: when the stream
    /// ends before `result_complete` (a proxy cut it, the server rotated it) or breaks in
    /// transport, it is resumed after the last response received, so no response is lost or
    /// seen twice; at the end the server is told to release what was consumed.
    async fn execute(
        &self,
        op: OpType,
        tag: &str,
        on_progress: OnProgress<'_>,
        mut on_response: impl FnMut(Option<ResponseType>, Option<proto::DataType>) -> Result<(), SparkError>,
    ) -> Result<(), SparkError> {
        use proto::execute_plan_request::{RequestOption, request_option};
        let operation_id = uuid::Uuid::new_v4().to_string();
        let request = proto::ExecutePlanRequest {
            session_id: self.session_id().to_string(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            operation_id: Some(operation_id.clone()),
            plan: Some(proto::Plan { op_type: Some(op) }),
            client_type: self.client_type(),
            request_options: vec![RequestOption {
                request_option: Some(request_option::RequestOption::ReattachOptions(proto::ReattachOptions {
                    reattachable: true,
                })),
            }],
            tags: vec![tag.to_string()],
        };
        let mut stream = self
            .client()
            .execute_plan(request)
            .await
            .map_err(|s| self.error(&s))?
            .into_inner();
        let mut last_response_id: Option<String> = None;
        let mut reattached = 0;
        loop {
            let broken = match stream.message().await {
                Ok(Some(response)) => {
                    self.observe_server_session(&response.server_side_session_id);
                    if !response.response_id.is_empty() {
                        last_response_id = Some(response.response_id.clone());
                    }
                    let complete = matches!(response.response_type, Some(ResponseType::ResultComplete(_)));
                    match response.response_type {
                        Some(ResponseType::ExecutionProgress(report)) => on_progress(&progress_of(&report)),
                        other => on_response(other, response.schema)?,
                    }
                    if complete {
                        break;
                    }
                    continue;
                }
                Ok(None) => None,
                Err(status) if stream_broke(&status) => Some(status),
                Err(status) => return Err(self.error(&status)),
            };
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
            let request = proto::ReattachExecuteRequest {
                session_id: self.session_id().to_string(),
                client_observed_server_side_session_id: self.observed_server_session(),
                user_context: self.user_context(),
                operation_id: operation_id.clone(),
                client_type: self.client_type(),
                last_response_id: last_response_id.clone(),
            };
            match self.client().reattach_execute(request).await {
                Ok(s) => stream = s.into_inner(),
                Err(status) if stream_broke(&status) => continue,
                Err(status) => return Err(self.error(&status)),
            }
        }
        self.release_execute(&operation_id);
        Ok(())
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

/// How many times one execution is resumed before the kernel gives up on it.
const MAX_REATTACH: u64 = 5;

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

/// The first rows of a stream of batches, whatever its length; says whether any were left out.
struct FirstRows {
    left: usize,
    kept: Vec<RecordBatch>,
    more: bool,
}

impl FirstRows {
    fn new(max_rows: usize) -> FirstRows {
        FirstRows {
            left: max_rows,
            kept: Vec::new(),
            more: false,
        }
    }

    fn push(&mut self, b: RecordBatch) {
        if b.num_rows() <= self.left {
            self.left -= b.num_rows();
            self.kept.push(b);
        } else {
            self.more = true;
            if self.left > 0 {
                self.kept.push(b.slice(0, self.left));
                self.left = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int32Array;
    use arrow_schema::{DataType, Field};

    fn batch(n: i32) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from_iter_values(0..n))]).unwrap()
    }

    #[test]
    fn keeps_exactly_the_first_rows() {
        let keep = |batches: Vec<RecordBatch>, n| {
            let mut first = FirstRows::new(n);
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
}
