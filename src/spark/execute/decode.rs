//! Reads the Arrow batches of a result stream: every response's Arrow IPC data is decoded
//! and given the result's schema, annotated once with the Spark types the stream announced,
//! so every batch of one result carries the same exact types.

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_schema::{Schema, SchemaRef};
use bytes::Bytes;

use crate::data::SqlType;
use crate::spark::error::SparkError;
use crate::spark::proto;
use crate::spark::types;

/// The batches of one result, as its responses arrive.
#[derive(Default)]
pub(in crate::spark) struct Decoder {
    spark_schema: Option<proto::DataType>,
    shape: Option<(SchemaRef, Vec<SqlType>)>,
    /// The rows came with their command, as Arrow data only: their types are those Spark
    /// reads from that Arrow schema (what a fetch of them would announce).
    local: bool,
}

impl Decoder {
    /// A decoder of a command's own rows.
    pub(in crate::spark) fn local() -> Decoder {
        Decoder {
            local: true,
            ..Decoder::default()
        }
    }

    fn annotate(&self, schema: &SchemaRef) -> (SchemaRef, Vec<SqlType>) {
        if self.local && self.spark_schema.is_none() {
            types::annotate_as_read(schema)
        } else {
            types::annotate(schema, self.spark_schema.as_ref())
        }
    }

    /// Notes the Spark schema a response carries.
    pub(in crate::spark) fn saw_schema(&mut self, spark: Option<proto::DataType>) {
        if spark.is_some() {
            self.spark_schema = spark;
        }
    }

    /// The batches of one response's Arrow data, with the result's types.
    pub(in crate::spark) fn batches(&mut self, data: Bytes) -> Result<(Vec<RecordBatch>, &[SqlType]), SparkError> {
        let reader = StreamReader::try_new(Cursor::new(data), None)
            .map_err(|e| SparkError::Protocol(format!("bad Arrow data: {e}")))?;
        if self.shape.is_none() {
            self.shape = Some(self.annotate(&reader.schema()));
        }
        let Some((schema, types)) = self.shape.as_ref() else {
            return Err(SparkError::Protocol("no Arrow schema".into()));
        };
        let batches = reader
            .map(|b| {
                b.map_err(|e| SparkError::Protocol(format!("bad Arrow data: {e}")))?
                    .with_schema(schema.clone())
                    .map_err(|e| SparkError::Protocol(format!("Arrow batches do not match their schema: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((batches, types))
    }

    /// The result's schema and types (those of an empty result when no batch came).
    pub(in crate::spark) fn finish(self) -> (SchemaRef, Vec<SqlType>) {
        match self.shape {
            Some(shape) => shape,
            None => self.annotate(&Arc::new(Schema::empty())),
        }
    }
}
