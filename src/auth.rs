//! The KBase Auth2 client: asks `GET {KBASE_AUTH_URL}api/V2/token` who a token belongs to,
//! and turns every way that can fail into a sentence a researcher can act on. The token goes
//! only into the `Authorization` header; no message here ever contains it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::secret::Secret;

const TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A token closer than this to its expiry gets a warning.
const EXPIRES_SOON: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What Auth2 says of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    pub(crate) user: String,
    pub(crate) token_type: String,
    pub(crate) expires: Option<DateTime<Utc>>,
    /// `Used`, `NotUsed` or `Unknown`; absent on older servers.
    pub(crate) mfa: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum AuthError {
    #[error(
        "KBase did not receive a token ({message}). Check that KBASE_AUTH_TOKEN holds your token, then restart the kernel."
    )]
    Missing { message: String },
    #[error(
        "Your KBase token is invalid or has expired ({message}). Log in to KBase again (restart your server from the hub) to get a fresh token, then restart the kernel."
    )]
    Invalid { message: String },
    #[error("Your KBase account is disabled ({message}). Contact KBase support.")]
    Disabled { message: String },
    #[error(
        "Cannot reach the KBase auth service at {url}: {detail}. Check KBASE_AUTH_URL and your network, then run the cell again."
    )]
    Unreachable { url: String, detail: String },
    #[error(
        "The KBase auth service at {url} gave an answer that is not what it should send ({detail}). Check KBASE_AUTH_URL; if it is right, the service may be having trouble: try again later."
    )]
    BadAnswer { url: String, detail: String },
    #[error("The KBase auth service refused the token check: {message} (HTTP {status}).")]
    Refused { status: u16, message: String },
}

impl AuthError {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            AuthError::Missing { .. } => "KBaseTokenMissing",
            AuthError::Invalid { .. } => "KBaseTokenInvalid",
            AuthError::Disabled { .. } => "KBaseAccountDisabled",
            AuthError::Unreachable { .. } => "KBaseAuthUnreachable",
            AuthError::BadAnswer { .. } | AuthError::Refused { .. } => "KBaseAuthError",
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    user: String,
    #[serde(rename = "type", default)]
    token_type: String,
    #[serde(default)]
    expires: Option<i64>,
    #[serde(default)]
    mfa: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    appcode: Option<i64>,
    #[serde(default)]
    apperror: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The token-introspection URL for a base URL given with or without its trailing slash.
pub(crate) fn token_url(base: &str) -> String {
    format!("{}/api/V2/token", base.trim_end_matches('/'))
}

/// Asks Auth2 who `token` belongs to.
pub(crate) async fn validate(auth_url: &str, token: &Secret) -> Result<TokenInfo, AuthError> {
    let url = token_url(auth_url);
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("kbase-spark-sql-kernel/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AuthError::Unreachable {
            url: url.clone(),
            detail: describe(&e),
        })?;
    let mut header = reqwest::header::HeaderValue::from_str(token.expose()).map_err(|_| AuthError::Invalid {
        message: "the token has characters a token cannot have".into(),
    })?;
    header.set_sensitive(true);
    let response = client
        .get(&url)
        .header(reqwest::header::AUTHORIZATION, header)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| AuthError::Unreachable {
            url: url.clone(),
            detail: describe(&e),
        })?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| AuthError::Unreachable {
        url: url.clone(),
        detail: describe(&e),
    })?;
    interpret(&url, status.as_u16(), &body)
}

/// Reads Auth2's answer: a token description on success, its JSON error shape otherwise.
fn interpret(url: &str, status: u16, body: &[u8]) -> Result<TokenInfo, AuthError> {
    if (200..300).contains(&status) {
        let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| AuthError::BadAnswer {
            url: url.to_string(),
            detail: format!("HTTP {status} without a token description"),
        })?;
        if answer.user.trim().is_empty() {
            return Err(AuthError::BadAnswer {
                url: url.to_string(),
                detail: "no user in the answer".into(),
            });
        }
        return Ok(TokenInfo {
            user: answer.user,
            token_type: answer.token_type,
            expires: answer.expires.and_then(DateTime::from_timestamp_millis),
            mfa: answer.mfa,
        });
    }
    let Ok(ErrorAnswer { error }) = serde_json::from_slice::<ErrorAnswer>(body) else {
        return Err(AuthError::BadAnswer {
            url: url.to_string(),
            detail: format!("HTTP {status}, not JSON"),
        });
    };
    let message = error
        .message
        .or(error.apperror)
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(match error.appcode {
        Some(10010) => AuthError::Missing { message },
        Some(10020) => AuthError::Invalid { message },
        Some(20010) => AuthError::Disabled { message },
        _ if status == 401 => AuthError::Invalid { message },
        _ => AuthError::Refused { status, message },
    })
}

/// reqwest's errors name the URL; ours already do, so keep only the cause.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "connection refused or host not found"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut cause = None;
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    match cause {
        Some(c) => format!("{what} ({c})"),
        None => what.to_string(),
    }
}

/// Warnings about a valid token that the BERDL proxy or time will soon refuse.
pub(crate) fn warnings(info: &TokenInfo, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(mfa) = info.mfa.as_deref().filter(|m| *m != "Used") {
        out.push(format!(
            "Your KBase token was created without multi-factor authentication (mfa: {mfa}). \
             The BERDL Spark Connect proxy refuses such tokens: log in to KBase with MFA and restart your server from the hub."
        ));
    }
    if let Some(expires) = info.expires {
        if expires <= now {
            out.push(format!(
                "Your KBase token expired at {}. Log in to KBase again.",
                expires.format("%Y-%m-%d %H:%M UTC")
            ));
        } else if expires - now < EXPIRES_SOON {
            let left = expires - now;
            out.push(format!(
                "Your KBase token expires in {} h {} min (at {}). Log in to KBase again before then to keep working.",
                left.num_hours(),
                left.num_minutes() % 60,
                expires.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_takes_a_base_with_or_without_a_slash() {
        assert_eq!(
            token_url("https://kbase.us/services/auth/"),
            "https://kbase.us/services/auth/api/V2/token"
        );
        assert_eq!(
            token_url("https://kbase.us/services/auth"),
            "https://kbase.us/services/auth/api/V2/token"
        );
    }

    #[test]
    fn a_valid_answer_names_the_user() {
        let body = br#"{"type":"Login","id":"x","expires":1767225600000,"created":1,"name":null,"user":"alice","custom":{},"cachefor":300000,"mfa":"Used"}"#;
        let info = interpret("u", 200, body).unwrap();
        assert_eq!(info.user, "alice");
        assert_eq!(info.mfa.as_deref(), Some("Used"));
        assert_eq!(info.expires.unwrap().timestamp_millis(), 1767225600000);
    }

    #[test]
    fn error_codes_map_to_their_meaning() {
        let err = |code: i64, http: u16| {
            let body = format!(
                r#"{{"error":{{"httpcode":{http},"httpstatus":"x","appcode":{code},"apperror":"e","message":"{code} e","callid":"1","time":1}}}}"#
            );
            interpret("u", http, body.as_bytes()).unwrap_err()
        };
        assert_eq!(
            err(10010, 400),
            AuthError::Missing {
                message: "10010 e".into()
            }
        );
        assert_eq!(
            err(10020, 401),
            AuthError::Invalid {
                message: "10020 e".into()
            }
        );
        assert_eq!(
            err(20010, 403),
            AuthError::Disabled {
                message: "20010 e".into()
            }
        );
        assert!(matches!(err(99999, 500), AuthError::Refused { status: 500, .. }));
    }

    #[test]
    fn a_non_json_answer_is_explained() {
        let e = interpret("https://a/api/V2/token", 502, b"<html>Bad Gateway</html>").unwrap_err();
        assert!(matches!(e, AuthError::BadAnswer { .. }));
        assert!(e.to_string().contains("not JSON"));
        let e = interpret("u", 200, b"<html>login page</html>").unwrap_err();
        assert!(matches!(e, AuthError::BadAnswer { .. }));
    }

    #[test]
    fn warns_about_mfa_and_near_expiry() {
        let now = Utc::now();
        let info = |mfa: Option<&str>, expires| TokenInfo {
            user: "a".into(),
            token_type: "Login".into(),
            expires,
            mfa: mfa.map(str::to_string),
        };
        assert!(warnings(&info(Some("Used"), Some(now + chrono::TimeDelta::days(30))), now).is_empty());
        assert!(warnings(&info(None, None), now).is_empty());
        let w = warnings(&info(Some("NotUsed"), None), now);
        assert!(w[0].contains("multi-factor"), "{w:?}");
        let w = warnings(&info(Some("Used"), Some(now + chrono::TimeDelta::hours(2))), now);
        assert!(
            w[0].contains("expires in 1 h") || w[0].contains("expires in 2 h"),
            "{w:?}"
        );
    }
}
