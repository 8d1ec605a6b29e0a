//! Whole-result work over a statement's result without running the statement again: the
//! statement goes to Spark once as `SqlCommand`; a query comes back as a relation still to
//! run, and charts and profiles run their own SQL over it, the relation bound to a name as
//! pyspark's `spark.sql("… {df} …", df=df)` does (`WithRelations` with a `SubqueryAlias`).
//! The user's SQL is never pasted into other SQL, so CTEs, ORDER BY, LIMIT, comments and
//! trailing semicolons all stay the user's.

use std::sync::Arc;

use arrow_schema::Schema;

use super::error::SparkError;
use super::execute::decode::Decoder;
use super::execute::run::StatementRun;
use super::execute::sql_relation;
use super::proto::{self, execute_plan_response::ResponseType, plan::OpType, relation::RelType};
use super::session::SparkSession;
use crate::data::QueryResult;

/// The name the statement's result goes by in the SQL run over it.
pub(crate) const RESULT_NAME: &str = "__kbase_result";

/// The most rows SQL over a result may bring back (charts and profiles ask for few).
const MAX_DERIVED_ROWS: usize = 200_000;

impl SparkSession {
    /// Sends `query` as `SqlCommand`, once: a retry under the same `run` resumes or reuses
    /// what an earlier try got done. The answer has no rows; `command` says whether the
    /// statement was a command that already ran (its relation is rows, not a query).
    pub(crate) async fn sql_base(
        &self,
        query: &str,
        tag: &str,
        run: &mut StatementRun,
        on_progress: super::OnProgress<'_>,
    ) -> Result<QueryResult, SparkError> {
        let before = self.token_digest();
        self.check_identity().await?;
        let mut result = self
            .command(sql_relation(query), tag, run, on_progress)
            .await
            .map(|(_, command)| QueryResult {
                command,
                ..QueryResult::new(Arc::new(Schema::empty()), Vec::new(), false)
            });
        // A refused call never ran; the engine's next try sends it with the renewed token.
        if let Err(e @ SparkError::Unauthenticated { .. }) = result {
            result = Err(match self.after_refusal(before, e).await {
                super::identity::Refusal::Retry => self.refused_again(),
                super::identity::Refusal::Explain(e) => e,
            });
        }
        self.with_span(&mut result).await;
        result
    }

    /// Runs `sql` over the result of `run`'s query, where it is named [`RESULT_NAME`], and
    /// returns every row of the answer.
    pub(crate) async fn sql_over(
        &self,
        run: &StatementRun,
        sql: &str,
        tag: &str,
        on_progress: super::OnProgress<'_>,
    ) -> Result<QueryResult, SparkError> {
        let base = run
            .relation()
            .cloned()
            .ok_or_else(|| SparkError::Protocol("the statement has no result to run SQL over".into()))?;
        let root = over(base, sql);
        let mut decoder = Decoder::default();
        let mut batches = Vec::new();
        let mut rows = 0;
        let mut more = false;
        // Only reads: a fetch cut short is made again under a new id.
        let mut fetch = StatementRun::new();
        self.execute(
            OpType::Root(root),
            tag,
            &mut fetch,
            on_progress,
            |_, response, spark| {
                decoder.saw_schema(spark);
                if let Some(ResponseType::ArrowBatch(batch)) = response {
                    for b in decoder.batches(batch.data)?.0 {
                        if rows + b.num_rows() > MAX_DERIVED_ROWS {
                            more = true;
                        } else {
                            rows += b.num_rows();
                            batches.push(b);
                        }
                    }
                }
                Ok(())
            },
        )
        .await?;
        let (schema, types) = decoder.finish();
        Ok(QueryResult {
            schema,
            types,
            batches,
            more,
            command: false,
        })
    }
}

/// `sql` with `base` bound to [`RESULT_NAME`], as pyspark binds a DataFrame passed to `spark.sql`.
fn over(base: proto::Relation, sql: &str) -> proto::Relation {
    let named = proto::Relation {
        common: None,
        rel_type: Some(RelType::SubqueryAlias(Box::new(proto::SubqueryAlias {
            input: Some(Box::new(base)),
            alias: RESULT_NAME.to_string(),
            ..Default::default()
        }))),
    };
    proto::Relation {
        common: None,
        rel_type: Some(RelType::WithRelations(Box::new(proto::WithRelations {
            root: Some(Box::new(sql_relation(sql))),
            references: vec![named],
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_over_a_result_binds_it_by_name_without_its_text() {
        let base = sql_relation("WITH t AS (SELECT 1 AS a) SELECT * FROM t ORDER BY a LIMIT 5; -- mine");
        let plan = over(base.clone(), "SELECT count(*) FROM __kbase_result");
        let Some(RelType::WithRelations(w)) = plan.rel_type else {
            panic!("not WithRelations")
        };
        let Some(RelType::Sql(root)) = w.root.and_then(|r| r.rel_type) else {
            panic!("root is not SQL")
        };
        assert_eq!(root.query, "SELECT count(*) FROM __kbase_result");
        let [reference] = &w.references[..] else {
            panic!("one reference")
        };
        let Some(RelType::SubqueryAlias(alias)) = &reference.rel_type else {
            panic!("not an alias")
        };
        assert_eq!(alias.alias, RESULT_NAME);
        assert_eq!(alias.input.as_deref(), Some(&base));
    }
}
