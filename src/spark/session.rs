//! One Spark Connect session: the identity every request carries (session id, user,
//! client type) and the small session-wide calls: settings, version, interrupt, release.
//! Running SQL lives in `execute.rs`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::channel::{Client, connect};
use super::error::{QuerySpan, SparkError};
use super::identity::{Identity, Refusal};
use super::proto::{self, UserContext};
use super::url::ConnectUrl;
use crate::token::TokenSource;

pub(crate) struct SparkSession {
    client: Client,
    session_id: String,
    user_context: UserContext,
    client_type: String,
    /// The address as users may see it (never with a token).
    target: String,
    /// The server's own id for this session; a change means the server lost the session.
    server_side_session_id: Mutex<Option<String>>,
    /// Keeps the session's user fixed when its token is read from a file that may change.
    identity: Option<Identity>,
}

impl SparkSession {
    /// Prepares a session on the server at `url`. Nothing is sent yet: the first call connects.
    pub(crate) fn new(url: &ConnectUrl, kbase: TokenSource, user_id: &str, app_name: &str) -> Result<Self, SparkError> {
        let client = connect(url, kbase)?;
        let session_id = url
            .session_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let user_id = url.user_id.clone().unwrap_or_else(|| user_id.to_string());
        Ok(SparkSession {
            client,
            session_id,
            user_context: UserContext {
                user_id: user_id.clone(),
                user_name: user_id,
                extensions: vec![],
            },
            client_type: format!("{app_name}; kbase-spark-sql-kernel/{}; rust", env!("CARGO_PKG_VERSION")),
            target: url.to_string(),
            server_side_session_id: Mutex::new(None),
            identity: None,
        })
    }

    /// Checks, before each statement, that a refreshed token is still the session user's.
    pub(crate) fn guarded_by(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Succeeds when the token as it is now may be used for this session.
    pub(crate) async fn check_identity(&self) -> Result<(), SparkError> {
        match &self.identity {
            Some(identity) => identity.check().await,
            None => Ok(()),
        }
    }

    /// The digest of the token as it is now, to tell later whether it was renewed.
    pub(crate) fn token_digest(&self) -> Option<[u8; 32]> {
        self.identity.as_ref().and_then(Identity::current)
    }

    /// What to do after the server refused a call as unauthenticated (see [`Identity`]).
    pub(crate) async fn after_refusal(&self, before: Option<[u8; 32]>, refused: SparkError) -> Refusal {
        match &self.identity {
            Some(identity) => identity.after_refusal(before, refused).await,
            None => Refusal::Explain(refused),
        }
    }

    /// A renewed token was refused too: say so as Auth2 sees the token now.
    pub(crate) fn refused_again(&self) -> SparkError {
        SparkError::LogInAgain {
            detail: "the renewed token was refused too".into(),
            renewable: true,
        }
    }

    pub(crate) fn session_id(&self) -> &str {
        &self.session_id
    }

    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    pub(super) fn client(&self) -> Client {
        self.client.clone()
    }

    pub(super) fn user_context(&self) -> Option<UserContext> {
        Some(self.user_context.clone())
    }

    pub(super) fn client_type(&self) -> Option<String> {
        Some(self.client_type.clone())
    }

    pub(super) fn error(&self, status: &tonic::Status) -> SparkError {
        SparkError::from_status(status, &self.target)
    }

    pub(super) fn observed_server_session(&self) -> Option<String> {
        self.server_side_session_id.lock().ok().and_then(|s| s.clone())
    }

    /// Remembers the server's id for this session from a response.
    pub(super) fn observe_server_session(&self, id: &str) {
        if id.is_empty() {
            return;
        }
        if let Ok(mut s) = self.server_side_session_id.lock() {
            s.get_or_insert_with(|| id.to_string());
        }
    }

    /// Applies Spark settings (such as `KBASE_SPARK_CONF`) to this session.
    pub(crate) async fn set_conf(&self, settings: &BTreeMap<String, String>) -> Result<(), SparkError> {
        if settings.is_empty() {
            return Ok(());
        }
        use proto::config_request::{Operation, Set, operation::OpType};
        let pairs = settings
            .iter()
            .map(|(k, v)| proto::KeyValue {
                key: k.clone(),
                value: Some(v.clone()),
            })
            .collect();
        let request = proto::ConfigRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            operation: Some(Operation {
                op_type: Some(OpType::Set(Set { pairs, silent: None })),
            }),
            client_type: self.client_type(),
        };
        let response = self.client().config(request).await.map_err(|s| self.error(&s))?;
        self.observe_server_session(&response.get_ref().server_side_session_id);
        Ok(())
    }

    /// The server's Spark version; also the cheapest call that proves the server answers.
    pub(crate) async fn spark_version(&self) -> Result<String, SparkError> {
        use proto::analyze_plan_request::{Analyze, SparkVersion};
        let request = proto::AnalyzePlanRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            client_type: self.client_type(),
            analyze: Some(Analyze::SparkVersion(SparkVersion {})),
        };
        let response = self
            .client()
            .analyze_plan(request)
            .await
            .map_err(|s| self.error(&s))?
            .into_inner();
        self.observe_server_session(&response.server_side_session_id);
        match response.result {
            Some(proto::analyze_plan_response::Result::SparkVersion(v)) => Ok(v.version),
            _ => Err(SparkError::Protocol("no Spark version in the answer".into())),
        }
    }

    /// Where in its statement the error kept under `error_id` happened, from the error's full
    /// details. None when the server does not say (parse errors, for one).
    pub(super) async fn error_span(&self, error_id: &str) -> Option<QuerySpan> {
        let request = proto::FetchErrorDetailsRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            error_id: error_id.to_string(),
            client_type: self.client_type(),
        };
        let details = self.client().fetch_error_details(request).await.ok()?.into_inner();
        let root = details
            .errors
            .get(usize::try_from(details.root_error_idx.unwrap_or(0)).ok()?)?;
        let context = root
            .spark_throwable
            .as_ref()?
            .query_contexts
            .iter()
            .find(|c| c.context_type == 0)?;
        let (start, stop) = (
            usize::try_from(context.start_index).ok()?,
            usize::try_from(context.stop_index).ok()?,
        );
        (stop >= start).then_some(QuerySpan { start, stop })
    }

    /// Cancels every operation of this session on the server.
    pub(crate) async fn interrupt_all(&self) -> Result<(), SparkError> {
        self.interrupt(proto::interrupt_request::InterruptType::All, None).await
    }

    /// Cancels the operations of this session that carry `tag` (those of one cell).
    pub(crate) async fn interrupt_tag(&self, tag: &str) -> Result<(), SparkError> {
        use proto::interrupt_request::{Interrupt, InterruptType};
        self.interrupt(InterruptType::Tag, Some(Interrupt::OperationTag(tag.to_string())))
            .await
    }

    async fn interrupt(
        &self,
        kind: proto::interrupt_request::InterruptType,
        which: Option<proto::interrupt_request::Interrupt>,
    ) -> Result<(), SparkError> {
        let request = proto::InterruptRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: self.observed_server_session(),
            user_context: self.user_context(),
            client_type: self.client_type(),
            interrupt_type: kind as i32,
            interrupt: which,
        };
        self.client().interrupt(request).await.map_err(|s| self.error(&s))?;
        Ok(())
    }

    /// Frees the session on the server: its temp views, settings and cached state.
    pub(crate) async fn release(&self) -> Result<(), SparkError> {
        let request = proto::ReleaseSessionRequest {
            session_id: self.session_id.clone(),
            user_context: self.user_context(),
            client_type: self.client_type(),
            ..Default::default()
        };
        match self.client().release_session(request).await {
            Ok(_) => Ok(()),
            // BERDL's outside proxy does not route ReleaseSession: the server frees the
            // session when it times out, and there is nothing for the user to do.
            Err(status) if status.code() == tonic::Code::Unimplemented => {
                tracing::debug!("the server does not release sessions on request");
                Ok(())
            }
            Err(status) => Err(self.error(&status)),
        }
    }
}
