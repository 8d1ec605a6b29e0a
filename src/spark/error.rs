//! What can go wrong talking to Spark Connect, turned into errors a researcher can act on.
//! gRPC statuses carry Spark's error class and SQLSTATE in `google.rpc.ErrorInfo`; the
//! message is kept, the JVM stack trace and the internal plan dump are not.

use tonic::Code;
use tonic_types::StatusExt;

/// Marks a call refused by this client because the token could not be read (not by the
/// server), so the error names the token file rather than the server.
pub(crate) const TOKEN_ERROR_KEY: &str = "x-kbase-token-unreadable";

/// A part of a statement, as Spark counts it: UTF-16 code units, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuerySpan {
    pub(crate) start: usize,
    pub(crate) stop: usize,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SparkError {
    /// Spark ran the statement and rejected it: bad SQL, a missing table, a failed job.
    #[error("{message}")]
    Server {
        class: Option<String>,
        sql_state: Option<String>,
        message: String,
        /// The id under which the server keeps the error's full details.
        error_id: Option<String>,
        /// The failing part of the statement, when the server names it.
        span: Option<QuerySpan>,
    },
    /// The statement was cancelled on request.
    #[error("Query cancelled.")]
    Cancelled,
    /// The receiver of a result's first rows has every row it can show: the stream is
    /// released, not read to its end. Never reaches a user.
    #[error("The result's rows to show were all received.")]
    Enough,
    /// The receiver of a whole result stopped the stream (it failed to keep a batch).
    #[error("The result stream was stopped by its receiver.")]
    Stopped,
    /// No server answered at the address.
    #[error(
        "Cannot reach the Spark Connect server at {target}: {detail}. \
         Check that your Spark Connect server is running (restart it from the hub if needed), then run the cell again."
    )]
    Unavailable { target: String, detail: String },
    /// A TLS connection could not be made; `why` says what to fix.
    #[error("Cannot open a TLS connection to the Spark Connect server at {target}: {why}.")]
    Tls { target: String, why: String },
    /// The server refused the credential.
    #[error(
        "The Spark Connect server did not accept your KBase token: {detail}. \
         Log in to KBase again to get a fresh token, then restart the kernel."
    )]
    Unauthenticated { detail: String },
    /// The server refused the token, and Auth2 says it is invalid or expired.
    #[error(
        "The Spark Connect server did not accept your KBase token, and KBase says it is invalid or has expired \
         ({detail}). Log in to KBase again{}",
        if *renewable {
            "; the next cell picks up the new token, without restarting the kernel."
        } else {
            ", then restart the kernel."
        }
    )]
    LogInAgain { detail: String, renewable: bool },
    /// The server refused the token while KBase's auth service cannot be reached: the token
    /// may be fine, the check is what failed.
    #[error(
        "The Spark Connect server could not check your KBase token: {0} Your token may well be fine; \
         run the cell again once the auth service is back."
    )]
    AuthUnreachable(String),
    /// The token could not be read, or is no longer the session user's.
    #[error("{0}")]
    Token(String),
    /// The credential is valid but not for this server.
    #[error(
        "The Spark Connect server refused access: {detail}. It belongs to another user; check KBASE_SPARK_HOST_TEMPLATE and KBASE_SPARK_USERNAME."
    )]
    PermissionDenied { detail: String },
    /// A message of the result was larger than a hop on the way allows (BERDL's outside proxy
    /// takes 4 MiB); smaller Arrow batches get through.
    #[error(
        "Part of the result was larger than the connection to Spark Connect lets through ({detail}); \
         BERDL's outside proxy takes at most 4 MiB at a time. Make Spark send fewer rows per part, \
         with SET spark.sql.execution.arrow.maxRecordsPerBatch = 10; (fewer for rows wider than 300 kB), \
         then run the cell again."
    )]
    MessageTooLarge { detail: String },
    /// BERDL's server refused a database name for its prefix; the message names those allowed.
    #[error("{0}")]
    NamespaceRefused(String),
    /// A result stream broke and could not be resumed; the statement may have run.
    #[error(
        "The connection to Spark Connect broke while the result was coming back, and it could not be resumed \
         ({detail}). The statement may have run: check before running the cell again."
    )]
    StreamLost { detail: String },
    /// A statement that may change data reached the server, and then the connection or the
    /// server was lost before its outcome was known. It is not sent again on its own.
    #[error(
        "The statement was sent to Spark Connect, but then {detail}, so the kernel cannot tell whether it was applied: \
         it may or may not have changed your data. It was not run again. Check first (for example, query the table \
         it writes to), then run it again only if it is missing."
    )]
    OutcomeUnknown { detail: String },
    /// The connection could not be configured (TLS, a header value, the address).
    #[error("Cannot set up the Spark Connect connection: {0}")]
    Setup(String),
    /// The server answered with something this client cannot read.
    #[error("Spark Connect sent an answer the kernel cannot read: {0}")]
    Protocol(String),
    /// Any other gRPC failure.
    #[error("Spark Connect call failed ({code:?}): {message}")]
    Rpc { code: Code, message: String },
}

impl SparkError {
    /// Maps a gRPC status to an error; `target` is the (token-free) address for messages.
    pub(crate) fn from_status(status: &tonic::Status, target: &str) -> SparkError {
        let detail = || first_line(status.message());
        if status.metadata().contains_key(TOKEN_ERROR_KEY) {
            return SparkError::Token(status.message().to_string());
        }
        match status.code() {
            // The connection broke under the call (reset, closed, cut by a proxy): as good as
            // unreachable, and worth the same retries.
            Code::Unknown | Code::Internal | Code::Cancelled if transport_broke(status) => SparkError::Unavailable {
                target: target.to_string(),
                detail: transport_detail(status),
            },
            Code::Cancelled => SparkError::Cancelled,
            Code::Unavailable if tls_failure(status).is_some() => SparkError::Tls {
                target: target.to_string(),
                why: tls_failure(status).unwrap_or_default(),
            },
            Code::Unavailable => SparkError::Unavailable {
                target: target.to_string(),
                detail: transport_detail(status),
            },
            Code::Unauthenticated => SparkError::Unauthenticated { detail: detail() },
            Code::ResourceExhausted if status.message().contains("larger than max") => {
                SparkError::MessageTooLarge { detail: detail() }
            }
            Code::PermissionDenied => match crate::governance::refused_name(status.message()) {
                Some(told) => SparkError::NamespaceRefused(told),
                None => SparkError::PermissionDenied { detail: detail() },
            },
            code => {
                let info = status.get_details_error_info();
                let meta = |key: &str| info.as_ref().and_then(|i| i.metadata.get(key)).cloned();
                let class = meta("errorClass");
                if class.as_deref() == Some("OPERATION_CANCELED") {
                    return SparkError::Cancelled;
                }
                if info.is_some() || code == Code::Internal || code == Code::InvalidArgument {
                    SparkError::Server {
                        class,
                        sql_state: meta("sqlState"),
                        message: clean_message(status.message()),
                        error_id: meta("errorId"),
                        span: None,
                    }
                } else {
                    SparkError::Rpc {
                        code,
                        message: detail(),
                    }
                }
            }
        }
    }

    /// A short name for the error, used as Jupyter's `ename`.
    pub(crate) fn name(&self) -> String {
        match self {
            SparkError::Server { class: Some(c), .. } => c.clone(),
            SparkError::Server { .. } => "SparkError".into(),
            SparkError::Cancelled => "QueryCancelled".into(),
            SparkError::Stopped => "ResultStreamStopped".into(),
            SparkError::Enough => "ResultStreamEnough".into(),
            SparkError::Unavailable { .. } => "SparkConnectUnavailable".into(),
            SparkError::Tls { .. } => "SparkConnectTlsError".into(),
            SparkError::Unauthenticated { .. } => "SparkConnectUnauthenticated".into(),
            SparkError::PermissionDenied { .. } => "SparkConnectPermissionDenied".into(),
            SparkError::NamespaceRefused(_) => "DatabaseNameNotAllowed".into(),
            SparkError::MessageTooLarge { .. } => "SparkConnectMessageTooLarge".into(),
            SparkError::Token(_) => "KBaseTokenUnavailable".into(),
            SparkError::LogInAgain { .. } => "KBaseTokenInvalid".into(),
            SparkError::AuthUnreachable(_) => "KBaseAuthUnreachable".into(),
            SparkError::StreamLost { .. } => "SparkConnectStreamLost".into(),
            SparkError::OutcomeUnknown { .. } => "SparkConnectOutcomeUnknown".into(),
            SparkError::Setup(_) => "SparkConnectSetupError".into(),
            SparkError::Protocol(_) => "SparkConnectProtocolError".into(),
            SparkError::Rpc { .. } => "SparkConnectError".into(),
        }
    }

    /// True when the server could not be reached at all: worth retrying after a pause.
    pub(crate) fn is_unavailable(&self) -> bool {
        matches!(self, SparkError::Unavailable { .. })
    }

    /// True when the server no longer has this client's session, as after a restart: the
    /// statement did not run, and can run in a new session.
    pub(crate) fn is_session_lost(&self) -> bool {
        matches!(self, SparkError::Server { class: Some(c), .. }
            if c.starts_with("INVALID_HANDLE.SESSION_CHANGED") || c.starts_with("INVALID_HANDLE.SESSION_NOT_FOUND"))
    }
}

impl SparkError {
    /// True when this failure of a statement that had been sent leaves open whether it ran:
    /// the connection, the stream or the server (with its record of the operation) was
    /// lost. Spark's own verdict on the statement, or a cancellation, is an outcome.
    pub(crate) fn leaves_outcome_open(&self) -> bool {
        match self {
            SparkError::Server { class: Some(c), .. } => {
                c.starts_with("INVALID_HANDLE") || c.starts_with("INVALID_CURSOR")
            }
            SparkError::Cancelled
            | SparkError::OutcomeUnknown { .. }
            | SparkError::LogInAgain { .. }
            | SparkError::AuthUnreachable(_)
            | SparkError::NamespaceRefused(_)
            | SparkError::Token(_) => false,
            _ => true,
        }
    }

    /// This failure, told as an unknown outcome of a statement that had been sent.
    pub(crate) fn outcome_unknown(&self) -> SparkError {
        let detail = match self {
            SparkError::Unavailable { target, .. } => format!("the server at {target} could not be reached again"),
            e if e.is_session_lost() => "the server restarted and lost the session".to_string(),
            SparkError::StreamLost { .. } => "its result stream broke and could not be resumed".to_string(),
            SparkError::Cancelled => {
                "it was cancelled without anyone interrupting it (the server or the connection went away)".to_string()
            }
            e => format!("the call failed ({})", first_line(&e.to_string()).trim_end_matches('.')),
        };
        SparkError::OutcomeUnknown { detail }
    }
}

/// gRPC transport failures hide the cause in the message; the first line is the useful part.
/// What went wrong in the TLS handshake of a failed connection, in words that say what to
/// do, or `None` when the failure was not TLS's.
fn tls_failure(status: &tonic::Status) -> Option<String> {
    use rustls::{CertificateError, Error};
    let mut source = std::error::Error::source(status);
    while let Some(e) = source {
        let tls = e
            .downcast_ref::<Error>()
            .or_else(|| e.downcast_ref::<std::io::Error>()?.get_ref()?.downcast_ref::<Error>());
        if let Some(tls) = tls {
            return Some(match tls {
                Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                    "the server's certificate is not signed by a certificate authority this kernel trusts; \
                     add your authority's certificate to the system's trusted ones, or name a PEM file \
                     holding it in SSL_CERT_FILE"
                        .into()
                }
                Error::InvalidCertificate(
                    CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
                ) => "the server's certificate is for another host name than the one connected to; use the \
                      host name the certificate names"
                    .into(),
                Error::InvalidCertificate(
                    CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. },
                ) => "the server's certificate has expired or is not valid yet".into(),
                Error::InvalidCertificate(other) => format!("the server's certificate was refused ({other:?})"),
                Error::InvalidMessage(_) => "the server does not speak TLS; if it is a plain gRPC server, set \
                     KBASE_SPARK_USE_SSL=false (or use_ssl=false in SPARK_REMOTE)"
                    .into(),
                other => format!("the TLS handshake failed ({other})"),
            });
        }
        source = e.source();
    }
    None
}

/// A status the client's transport made up because the connection failed, not one the
/// server sent: it carries no Spark error details and says what broke.
fn transport_broke(status: &tonic::Status) -> bool {
    if status.get_details_error_info().is_some() {
        return false;
    }
    let m = status.message().to_lowercase();
    m.starts_with("transport error")
        || m.contains("h2 protocol error")
        || m.contains("connection reset")
        || m.contains("broken pipe")
        || m.contains("connection closed")
}

fn transport_detail(status: &tonic::Status) -> String {
    let m = first_line(status.message());
    if m.is_empty() { "no answer".into() } else { m }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_string()
}

/// Spark appends the analysed plan (`;\n'Project …`) to analysis errors and, when enabled,
/// a JVM stack trace (`\n\tat org.apache…`). Neither helps a SQL user: keep the rest.
pub(crate) fn clean_message(message: &str) -> String {
    let mut text = message;
    if let Some(i) = text.find("\n\tat ") {
        text = &text[..i];
    }
    // A parse error quotes the SQL (a script holds `;` and line breaks): the plan dump is
    // looked for only before it.
    let quoted = text.find("\n== SQL ==").unwrap_or(text.len());
    if let Some(i) = text[..quoted].find(";\n") {
        let after = text[i + 2..].trim_start();
        if after.starts_with('\'')
            || after.starts_with("+-")
            || after.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        {
            text = &text[..i];
        }
    }
    text.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_script_is_kept_whole() {
        let m = "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input: missing 'END'. SQLSTATE: 42601 (line 3, pos 11)\n\n== SQL ==\nBEGIN\n  SELECT 1;\n  SELECT 2;\n-----------^^^\n";
        assert!(
            clean_message(m).ends_with("  SELECT 2;\n-----------^^^"),
            "{}",
            clean_message(m)
        );
    }

    #[test]
    fn the_plan_dump_is_dropped() {
        let m = "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01; line 1 pos 14;\n'Project [*]\n+- 'UnresolvedRelation [nope], [], false\n";
        assert_eq!(
            clean_message(m),
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01; line 1 pos 14"
        );
    }

    #[test]
    fn the_sql_excerpt_of_a_parse_error_is_kept() {
        let m = "[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. SQLSTATE: 42601 (line 1, pos 0)\n\n== SQL ==\nSELEC 1\n^^^\n";
        assert!(clean_message(m).ends_with("SELEC 1\n^^^"));
    }

    #[test]
    fn statuses_map_to_kinds() {
        let e = SparkError::from_status(&tonic::Status::unavailable("tcp connect error\nmore"), "sc://h:1");
        assert!(e.is_unavailable());
        assert!(e.to_string().contains("sc://h:1: tcp connect error"));
        assert_eq!(
            SparkError::from_status(&tonic::Status::cancelled("x"), "t").name(),
            "QueryCancelled"
        );
        // A stream that could not be resumed is never retried: its statement may have run.
        assert!(!SparkError::StreamLost { detail: "x".into() }.is_unavailable());
        // A connection that broke under a call is retried as an unreachable server is.
        assert!(SparkError::from_status(&tonic::Status::unknown("transport error"), "t").is_unavailable());
        let cut = tonic::Status::cancelled("h2 protocol error: stream no longer needed");
        assert!(SparkError::from_status(&cut, "t").is_unavailable());
        let e = SparkError::from_status(&tonic::Status::internal("[X] boom"), "t");
        assert_eq!(
            (e.name(), e.to_string()),
            ("SparkError".to_string(), "[X] boom".to_string())
        );
    }
}
