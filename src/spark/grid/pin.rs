//! Pinning a result for the live grid: Spark Connect checkpoints a relation locally (its rows
//! computed once and kept by the executors) and hands back a `CachedRemoteRelation` that
//! every page of every view then reads, so scrolling never skips or repeats a row even when
//! the query's own order is not fixed. Released by `RemoveCachedRemoteRelationCommand`.

use super::super::error::SparkError;
use super::super::execute::run::StatementRun;
use super::super::proto::{self, command::CommandType, execute_plan_response::ResponseType, plan::OpType};
use super::super::session::SparkSession;
use super::super::view::ViewSource;
use super::rel;

impl SparkSession {
    /// Computes `source` once and keeps its rows on the server: the answer reads them.
    pub(crate) async fn pin(&self, source: &ViewSource, tag: &str) -> Result<ViewSource, SparkError> {
        self.check_identity().await?;
        let command = proto::Command {
            command_type: Some(CommandType::CheckpointCommand(proto::CheckpointCommand {
                relation: Some(source.0.clone()),
                local: true,
                eager: true,
                storage_level: None,
            })),
        };
        let mut cached = None;
        let mut run = StatementRun::new();
        self.execute(
            OpType::Command(command),
            tag,
            &mut run,
            &mut |_| {},
            |_, response, _| {
                if let Some(ResponseType::CheckpointCommandResult(result)) = response {
                    cached = result.relation;
                }
                Ok(())
            },
        )
        .await?;
        let cached = cached.ok_or_else(|| SparkError::Protocol("the checkpoint returned no relation".into()))?;
        Ok(ViewSource(rel(proto::relation::RelType::CachedRemoteRelation(cached))))
    }

    /// Lets the server drop what [`SparkSession::pin`] kept; a source that is not pinned
    /// needs nothing.
    pub(crate) async fn unpin(&self, pinned: &ViewSource, tag: &str) -> Result<(), SparkError> {
        let Some(proto::relation::RelType::CachedRemoteRelation(cached)) = &pinned.0.rel_type else {
            return Ok(());
        };
        let command = proto::Command {
            command_type: Some(CommandType::RemoveCachedRemoteRelationCommand(
                proto::RemoveCachedRemoteRelationCommand {
                    relation: Some(cached.clone()),
                },
            )),
        };
        let mut run = StatementRun::new();
        self.execute(OpType::Command(command), tag, &mut run, &mut |_| {}, |_, _, _| Ok(()))
            .await
    }
}
