//! What the kernel knows about one statement while it tries to run it, kept across retries
//! so that no statement runs twice: the operation id its command is sent under (fixed at
//! the first send, so a server that already has it answers "already exists" and is
//! reattached to instead of running it again), whether the command may have reached the
//! server, how far its result stream was read, and the relation it returned once done. A
//! statement known to be a plain query has no command: it is sent as one plan, and each
//! try reads its rows afresh.

use crate::spark::proto;

/// One statement's progress on the server, from before its first send to its command done.
#[derive(Debug, Clone)]
pub(crate) struct StatementRun {
    command_id: String,
    /// The statement is a query: it is sent as one plan with its row limit, not as a command.
    plain_query: bool,
    /// The command may have reached the server (set before sending; cleared only when the
    /// server or the network says for certain that it did not).
    sent: bool,
    /// The last response of the command's stream read, to reattach after it.
    last_response_id: Option<String>,
    /// The command's result, kept once its stream is complete.
    relation: Option<proto::Relation>,
    done: bool,
}

impl Default for StatementRun {
    fn default() -> Self {
        StatementRun::new()
    }
}

impl StatementRun {
    /// A statement not sent yet, with a fresh operation id.
    pub(crate) fn new() -> StatementRun {
        StatementRun::of(false)
    }

    /// A statement not sent yet; `plain_query` when it is certainly a query, which is then
    /// sent as one plan (a guess that errs towards "command" only costs a round trip).
    pub(crate) fn of(plain_query: bool) -> StatementRun {
        StatementRun {
            command_id: uuid::Uuid::new_v4().to_string(),
            plain_query,
            sent: false,
            last_response_id: None,
            relation: None,
            done: false,
        }
    }

    /// The operation id the command is (re)sent under.
    pub(crate) fn command_id(&self) -> &str {
        &self.command_id
    }

    pub(crate) fn plain_query(&self) -> bool {
        self.plain_query
    }

    /// True when the command may have reached the server, whether or not it completed.
    pub(crate) fn may_have_run(&self) -> bool {
        self.sent || self.done
    }

    /// True when the command completed: what is left is fetching its result.
    pub(crate) fn command_done(&self) -> bool {
        self.done
    }

    pub(crate) fn mark_sent(&mut self, sent: bool) {
        self.sent = sent;
    }

    pub(in crate::spark) fn last_response_id(&self) -> Option<String> {
        self.last_response_id.clone()
    }

    pub(in crate::spark) fn set_last_response_id(&mut self, id: String) {
        self.last_response_id = Some(id);
    }

    pub(in crate::spark) fn set_relation(&mut self, relation: Option<proto::Relation>) {
        self.relation = relation;
    }

    pub(in crate::spark) fn relation(&self) -> Option<&proto::Relation> {
        self.relation.as_ref()
    }

    /// The command's stream is complete; its relation (if it sent one) is kept.
    pub(crate) fn mark_done(&mut self) {
        self.sent = true;
        self.done = true;
    }
}
