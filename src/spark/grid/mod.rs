//! The live grid's views of a result as Spark Connect relations: a sort (stable: ties keep
//! the result's own order by a row number taken over the result), filters with the user's
//! values as typed literals, a search over text columns, `Offset` + `Limit` for a page and
//! an `Aggregate` count. Nothing the user typed ever becomes SQL text; column names are
//! quoted identifiers, values are literals.

mod pin;

use super::error::SparkError;
use super::execute::decode::Decoder;
use super::execute::run::StatementRun;
use super::proto::{self, execute_plan_response::ResponseType, expression as ex, plan::OpType, relation::RelType};
use super::session::SparkSession;
use super::view::ViewSource;
use crate::data::QueryResult;
use crate::data::grid::{Condition, GridQuery, Literal, SortKey, View};

/// The column holding each row's place in the result, for a stable sort; never shown.
const ROW: &str = "__kbase_grid_row";

impl SparkSession {
    /// Runs `query` over `source` under `tag` and answers its rows (a page, or one count).
    pub(crate) async fn grid(
        &self,
        source: &ViewSource,
        query: &GridQuery,
        tag: &str,
    ) -> Result<QueryResult, SparkError> {
        self.check_identity().await?;
        let root = relation(source.0.clone(), query);
        let mut decoder = Decoder::default();
        let mut batches = Vec::new();
        let mut fetch = StatementRun::new();
        self.execute(
            OpType::Root(root),
            tag,
            &mut fetch,
            &mut |_| {},
            |_, response, spark| {
                decoder.saw_schema(spark);
                if let Some(ResponseType::ArrowBatch(batch)) = response {
                    batches.extend(decoder.batches(batch.data)?.0);
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
            more: false,
            command: false,
        })
    }
}

/// The relation answering `query` over `base`.
fn relation(base: proto::Relation, query: &GridQuery) -> proto::Relation {
    match query {
        GridQuery::Count { view } => {
            let filtered = filtered(base, view);
            rel(RelType::Aggregate(Box::new(proto::Aggregate {
                input: Some(Box::new(filtered)),
                group_type: proto::aggregate::GroupType::Groupby as i32,
                aggregate_expressions: vec![alias(function("count", vec![literal(&Literal::Long(1))]), "total")],
                ..Default::default()
            })))
        }
        GridQuery::Page { view, offset, limit } => {
            let sorted = !view.sort.is_empty();
            let ordered = if sorted {
                let numbered = rel(RelType::WithColumns(Box::new(proto::WithColumns {
                    input: Some(Box::new(base)),
                    aliases: vec![ex::Alias {
                        expr: Some(Box::new(function("monotonically_increasing_id", Vec::new()))),
                        name: vec![ROW.to_string()],
                        metadata: None,
                    }],
                })));
                rel(RelType::Sort(Box::new(proto::Sort {
                    input: Some(Box::new(filtered(numbered, view))),
                    order: sort_order(&view.sort),
                    is_global: Some(true),
                })))
            } else {
                // The result's own order: Offset and Limit keep it.
                filtered(base, view)
            };
            let skipped = rel(RelType::Offset(Box::new(proto::Offset {
                input: Some(Box::new(ordered)),
                offset: i32::try_from(*offset).unwrap_or(i32::MAX),
            })));
            let page = rel(RelType::Limit(Box::new(proto::Limit {
                input: Some(Box::new(skipped)),
                limit: i32::try_from(*limit).unwrap_or(i32::MAX),
            })));
            if !sorted {
                return page;
            }
            // Dropped above the limit, so that Spark sees Limit(Offset(Sort)) and keeps only
            // the top rows (no global sort of the whole result).
            rel(RelType::Drop(Box::new(proto::Drop {
                input: Some(Box::new(page)),
                columns: Vec::new(),
                column_names: vec![ROW.to_string()],
            })))
        }
    }
}

/// The sort keys, then the row's place in the result.
fn sort_order(keys: &[SortKey]) -> Vec<ex::SortOrder> {
    use ex::sort_order::{NullOrdering, SortDirection};
    let order = |child: proto::Expression, descending: bool| ex::SortOrder {
        child: Some(Box::new(child)),
        direction: if descending {
            SortDirection::Descending
        } else {
            SortDirection::Ascending
        } as i32,
        null_ordering: if descending {
            NullOrdering::SortNullsLast
        } else {
            NullOrdering::SortNullsFirst
        } as i32,
    };
    let mut out: Vec<ex::SortOrder> = keys.iter().map(|k| order(column(&k.column), k.descending)).collect();
    out.push(order(column(ROW), false));
    out
}

/// `base` with every condition of `view`.
fn filtered(base: proto::Relation, view: &View) -> proto::Relation {
    let Some(condition) = view
        .conditions
        .iter()
        .map(condition)
        .reduce(|a, b| function("and", vec![a, b]))
    else {
        return base;
    };
    rel(RelType::Filter(Box::new(proto::Filter {
        input: Some(Box::new(base)),
        condition: Some(condition),
    })))
}

fn condition(c: &Condition) -> proto::Expression {
    let lower = |e| function("lower", vec![e]);
    match c {
        Condition::Contains { column: c, value } => {
            function("contains", vec![column(c), literal(&Literal::Text(value.clone()))])
        }
        Condition::Equals { column: c, value } => function("==", vec![column(c), literal(value)]),
        Condition::AtLeast { column: c, value } => function(">=", vec![column(c), literal(value)]),
        Condition::AtMost { column: c, value } => function("<=", vec![column(c), literal(value)]),
        Condition::IsNull { column: c } => function("isnull", vec![column(c)]),
        Condition::NotNull { column: c } => function("isnotnull", vec![column(c)]),
        Condition::Search { columns, text } => {
            let needle = lower(literal(&Literal::Text(text.clone())));
            columns
                .iter()
                .map(|c| {
                    // A NULL holds nothing: false, not NULL, so `or` stays two-valued.
                    let holds = function("contains", vec![lower(column(c)), needle.clone()]);
                    function("coalesce", vec![holds, literal(&Literal::Boolean(false))])
                })
                .reduce(|a, b| function("or", vec![a, b]))
                .unwrap_or_else(|| literal(&Literal::Boolean(false)))
        }
    }
}

fn rel(rel_type: RelType) -> proto::Relation {
    proto::Relation {
        common: None,
        rel_type: Some(rel_type),
    }
}

fn expr(expr_type: ex::ExprType) -> proto::Expression {
    proto::Expression {
        common: None,
        expr_type: Some(expr_type),
    }
}

/// A column by its name, quoted so that dots, spaces and backticks in it are the name's own.
fn column(name: &str) -> proto::Expression {
    expr(ex::ExprType::UnresolvedAttribute(ex::UnresolvedAttribute {
        unparsed_identifier: quoted(name),
        plan_id: None,
        is_metadata_column: None,
    }))
}

/// `name` as one quoted identifier part.
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn function(name: &str, arguments: Vec<proto::Expression>) -> proto::Expression {
    expr(ex::ExprType::UnresolvedFunction(ex::UnresolvedFunction {
        function_name: name.to_string(),
        arguments,
        ..Default::default()
    }))
}

fn alias(e: proto::Expression, name: &str) -> proto::Expression {
    expr(ex::ExprType::Alias(Box::new(ex::Alias {
        expr: Some(Box::new(e)),
        name: vec![name.to_string()],
        metadata: None,
    })))
}

fn literal(l: &Literal) -> proto::Expression {
    use ex::literal::LiteralType;
    let plain = |t| expr(ex::ExprType::Literal(ex::Literal { literal_type: Some(t) }));
    match l {
        Literal::Long(n) => plain(LiteralType::Long(*n)),
        Literal::Double(d) => plain(LiteralType::Double(*d)),
        Literal::Boolean(b) => plain(LiteralType::Boolean(*b)),
        Literal::Text(s) => plain(LiteralType::String(s.clone())),
        Literal::Cast { text, type_name } => expr(ex::ExprType::Cast(Box::new(ex::Cast {
            expr: Some(Box::new(plain(LiteralType::String(text.clone())))),
            eval_mode: ex::cast::EvalMode::Ansi as i32,
            cast_to_type: Some(ex::cast::CastToType::TypeStr(type_name.clone())),
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> proto::Relation {
        super::super::execute::sql_relation("SELECT 1 AS `a b`")
    }

    #[test]
    fn names_are_quoted_identifiers_and_values_literals() {
        assert_eq!(quoted("we`ird name"), "`we``ird name`");
        let view = View {
            sort: Vec::new(),
            conditions: vec![Condition::Equals {
                column: "a b".into(),
                value: Literal::Text("x' OR 1=1 --".into()),
            }],
        };
        let plan = relation(base(), &GridQuery::Count { view });
        let text = format!("{plan:?}");
        // The value travels as a string literal, the name as a quoted identifier.
        assert!(text.contains("String(\"x' OR 1=1 --\")"), "{text}");
        assert!(text.contains("unparsed_identifier: \"`a b`\""), "{text}");
        // The only SQL text is the result's own statement.
        assert_eq!(text.matches("query:").count(), 1);
    }

    #[test]
    fn a_sorted_page_breaks_ties_by_the_row_and_drops_it() {
        let view = View {
            sort: vec![SortKey {
                column: "x".into(),
                descending: true,
            }],
            conditions: Vec::new(),
        };
        let plan = relation(
            base(),
            &GridQuery::Page {
                view,
                offset: 400,
                limit: 200,
            },
        );
        let Some(RelType::Drop(drop)) = plan.rel_type else {
            panic!("not a drop")
        };
        assert_eq!(drop.column_names, vec![ROW.to_string()]);
        let Some(RelType::Limit(limit)) = drop.input.and_then(|i| i.rel_type) else {
            panic!("not a limit")
        };
        assert_eq!(limit.limit, 200);
        let Some(RelType::Offset(offset)) = limit.input.and_then(|i| i.rel_type) else {
            panic!("not an offset")
        };
        assert_eq!(offset.offset, 400);
        let Some(RelType::Sort(sort)) = offset.input.and_then(|i| i.rel_type) else {
            panic!("not a sort")
        };
        assert_eq!(sort.order.len(), 2);
        assert_eq!(
            sort.order[0].null_ordering,
            ex::sort_order::NullOrdering::SortNullsLast as i32
        );
        assert_eq!(sort.order[1].direction, ex::sort_order::SortDirection::Ascending as i32);
    }
}
