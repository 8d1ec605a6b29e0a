//! Temporary views over results shown earlier (`_` and `_N`): what such a view is built on,
//! and the command that defines it. A query's view is the query itself, evaluated when the
//! view is used (as Databricks' `_sqldf` is a DataFrame over its query); a script's view
//! holds the rows Spark returned, since running the script again could change data.
//! Defining a view only analyses its plan: nothing the user ran is run again.

use super::error::SparkError;
use super::execute::run::StatementRun;
use super::execute::sql_relation;
use super::proto::{self, plan::OpType};
use super::session::SparkSession;

/// What a view over an earlier result is built on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ViewSource(pub(super) proto::Relation);

impl ViewSource {
    /// The source of the result of `statement`, after `run` ran it: the relation Spark
    /// returned for it (a query still to run, or a command's rows), or, for a query sent as
    /// one plan, its text. None when neither is known to be safe to build a view on.
    pub(crate) fn of(statement: &str, run: &StatementRun) -> Option<ViewSource> {
        match run.relation() {
            Some(relation) if run.command_done() => Some(ViewSource(relation.clone())),
            Some(_) => None,
            None if run.plain_query() => Some(ViewSource(sql_relation(statement))),
            None => None,
        }
    }
}

impl SparkSession {
    /// Makes `name` a temporary view of this session over `source`, replacing any view of
    /// that name.
    pub(crate) async fn define_view(&self, name: &str, source: &ViewSource, tag: &str) -> Result<(), SparkError> {
        self.check_identity().await?;
        let command = proto::Command {
            command_type: Some(proto::command::CommandType::CreateDataframeView(
                proto::CreateDataFrameViewCommand {
                    input: Some(source.0.clone()),
                    name: name.to_string(),
                    is_global: false,
                    replace: true,
                },
            )),
        };
        let mut run = StatementRun::new();
        self.execute(OpType::Command(command), tag, &mut run, &mut |_| {}, |_, _, _| Ok(()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_sent_as_one_plan_is_its_own_source_and_a_command_only_when_done() {
        let plain = StatementRun::of(true);
        let source = ViewSource::of("SELECT 1", &plain).expect("a query");
        assert_eq!(source.0, sql_relation("SELECT 1"));
        // A statement sent as a command whose result is not known yet has no source.
        assert_eq!(ViewSource::of("SHOW TABLES", &StatementRun::of(false)), None);
    }
}
