//! Turns the configuration into a live session, the way a KBase user's kernel finds its
//! server: validate the token with Auth2 to learn the user, put the user's name into the
//! host template (or take `SPARK_REMOTE`), check that the server answers, and apply the
//! session's starting settings. One function walks these named steps, for the kernel and
//! for `doctor`, which reports each.

use std::collections::BTreeMap;

use super::error::SparkError;
use super::identity::Identity;
use super::identity::{CheckError, validate_current};
use super::session::SparkSession;
use super::url::{ConnectUrl, UrlError};
use crate::auth::{self, AuthError, TokenInfo};
use crate::config::{Config, ConfigError};
use crate::secret::Secret;
use crate::token::{TokenError, TokenSource};

#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error("SPARK_REMOTE is not a valid Spark Connect URL: {0}.")]
    BadRemote(UrlError),
    #[error(
        "SPARK_CONNECT_URL is not a valid Spark Connect URL: {0}. It is set by the hub: check the \
         hub's configuration, or set SPARK_REMOTE to your server's address instead."
    )]
    BadConnectUrl(UrlError),
    #[error(
        "KBASE_AUTH_TOKEN is not set, so the kernel cannot find your Spark Connect server. Set it to your \
         KBase token (the hub normally does this) and restart the kernel; for a server without KBase \
         authentication, set SPARK_REMOTE (such as sc://localhost:15002) instead."
    )]
    NotConfigured,
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Spark(#[from] SparkError),
    #[error("{0}")]
    Token(#[from] TokenError),
}

impl OpenError {
    pub(crate) fn name(&self) -> String {
        match self {
            OpenError::NotConfigured => "KBaseTokenMissing".into(),
            OpenError::Auth(e) => e.name().into(),
            OpenError::Spark(e) => e.name(),
            OpenError::Token(_) => "KBaseTokenUnavailable".into(),
            OpenError::BadRemote(_) | OpenError::BadConnectUrl(_) | OpenError::Config(_) => {
                "KernelConfigurationError".into()
            }
        }
    }
}

/// A session ready for cells, with what the user should be told about their token.
pub(crate) struct Opened {
    pub(crate) session: SparkSession,
    pub(crate) warnings: Vec<String>,
}

/// Validates the KBase token, if one is configured, as it is now (a session file's token
/// that Auth2 refuses gives way to the variable's).
pub(crate) async fn check_token(config: &Config) -> Result<Option<(TokenInfo, Secret)>, OpenError> {
    validate_current(&config.tokens, &config.auth_url)
        .await
        .map_err(|e| match e {
            CheckError::Token(e) => OpenError::Token(e),
            CheckError::Auth(e) => OpenError::Auth(e),
        })
}

/// Which setting gave the server's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressSource {
    SparkRemote,
    SparkConnectUrl,
    HostTemplate,
}

impl AddressSource {
    /// The setting, as `doctor` names it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            AddressSource::SparkRemote => "from SPARK_REMOTE",
            AddressSource::SparkConnectUrl => "from SPARK_CONNECT_URL (set by BERDL's hub)",
            AddressSource::HostTemplate => "from KBASE_SPARK_HOST_TEMPLATE and the token's user",
        }
    }
}

/// The server to use and the token to send, from the configuration and the token's owner.
#[cfg(test)]
pub(crate) fn resolve_target(
    config: &Config,
    token: Option<&TokenInfo>,
) -> Result<(ConnectUrl, TokenSource), OpenError> {
    resolve_address(config, token).map(|(url, tokens, _)| (url, tokens))
}

/// [`resolve_target`], with the setting that gave the address: `SPARK_REMOTE`, else
/// `SPARK_CONNECT_URL`, else the host template.
pub(crate) fn resolve_address(
    config: &Config,
    token: Option<&TokenInfo>,
) -> Result<(ConnectUrl, TokenSource, AddressSource), OpenError> {
    let tokens = config.tokens.clone();
    let username = config.username.clone().or_else(|| token.map(|t| t.user.clone()));
    let mut source = AddressSource::HostTemplate;
    let mut url = match (&config.spark_remote, &config.spark_connect_url, &username) {
        (Some(remote), _, _) => {
            source = AddressSource::SparkRemote;
            ConnectUrl::parse(remote).map_err(OpenError::BadRemote)?
        }
        (None, Some(given), _) => {
            source = AddressSource::SparkConnectUrl;
            ConnectUrl::parse(given).map_err(OpenError::BadConnectUrl)?
        }
        (None, None, Some(user)) => {
            let host = config.host_template.replace("{username}", user);
            let host = host.trim();
            if host.is_empty() {
                return Err(ConfigError::EmptyHost {
                    template: config.host_template.clone(),
                }
                .into());
            }
            ConnectUrl::new(host, config.port, config.use_ssl)
        }
        (None, None, None) => return Err(OpenError::NotConfigured),
    };
    if url.user_id.is_none() {
        url.user_id = username;
    }
    if url.user_agent.is_none() {
        url.user_agent = Some(config.app_name.clone());
    }
    Ok((url, tokens, source))
}

/// The local account name, found the way pyspark finds it, for the session's `user_id`
/// when neither the URL nor the KBase token names the user.
pub(crate) fn local_user() -> String {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "kbase".into())
}

/// The steps of opening a session, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Validate the KBase token with Auth2, when there is one.
    Token,
    /// Work out the server's address.
    Url,
    /// Set up the connection (TLS, credentials).
    Client,
    /// Ask the server its Spark version.
    Reachable,
    /// Apply `KBASE_SPARK_CONF`.
    Settings,
}

impl Step {
    /// The step as `doctor` names it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Step::Token => "KBase token",
            Step::Url => "Spark Connect URL",
            Step::Client => "Spark Connect client",
            Step::Reachable => "server reachable",
            Step::Settings => "Spark settings",
        }
    }
}

/// What a step found, as it ends.
pub(crate) enum Found<'a> {
    Token(Option<&'a TokenInfo>),
    Url(&'a ConnectUrl, AddressSource),
    Client,
    Version(&'a str),
    Settings(&'a BTreeMap<String, String>),
}

/// The step that failed, and why.
#[derive(Debug)]
pub(crate) struct StepFailed {
    pub(crate) step: Step,
    pub(crate) error: OpenError,
}

/// Builds the session, step by step: the token, the address, the client, proof that the
/// server answers, and `KBASE_SPARK_CONF`. `on_step` hears what each step found.
pub(crate) async fn open_session_reporting(
    config: &Config,
    on_step: &mut (dyn FnMut(Found<'_>) + Send),
) -> Result<Opened, StepFailed> {
    let failed = |step: Step| move |e: OpenError| StepFailed { step, error: e };
    let checked = check_token(config).await.map_err(failed(Step::Token))?;
    let token = checked.as_ref().map(|(info, _)| info.clone());
    on_step(Found::Token(token.as_ref()));
    let (url, tokens, source) = resolve_address(config, token.as_ref()).map_err(failed(Step::Url))?;
    on_step(Found::Url(&url, source));
    let mut session =
        SparkSession::new(&url, tokens, &local_user(), &config.app_name).map_err(|e| failed(Step::Client)(e.into()))?;
    if let Some((info, validated)) = &checked {
        session = session.guarded_by(Identity::new(
            config.tokens.clone(),
            &config.auth_url,
            &info.user,
            validated,
        ));
    }
    on_step(Found::Client);
    // Both calls at once: a session's first result waits for them.
    let settings = with_defaults(&config.spark_conf);
    let (version, set) = tokio::join!(session.spark_version(), session.set_conf(&settings));
    let version = version.map_err(|e| failed(Step::Reachable)(e.into()))?;
    on_step(Found::Version(&version));
    set.map_err(|e| failed(Step::Settings)(e.into()))?;
    on_step(Found::Settings(&config.spark_conf));
    let warnings = token
        .map(|t| auth::warnings(&t, chrono::Utc::now()))
        .unwrap_or_default();
    Ok(Opened { session, warnings })
}

/// Spark SQL scripting (`BEGIN … END` blocks) is a preview in Spark 4.0, off unless
/// `spark.sql.scripting.enabled` is set; it only lets the parser accept blocks, so the kernel
/// turns it on for its session, as Databricks runs blocks. `KBASE_SPARK_CONF` may turn it off.
pub(crate) const SCRIPTING: &str = "spark.sql.scripting.enabled";

/// The settings applied to a new session: `KBASE_SPARK_CONF`, and scripting on unless it says.
fn with_defaults(settings: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut all = settings.clone();
    all.entry(SCRIPTING.to_string()).or_insert_with(|| "true".to_string());
    all
}

/// Builds the session as [`open_session_reporting`] does, for the kernel.
pub(crate) async fn open_session(config: &Config) -> Result<Opened, OpenError> {
    open_session_reporting(config, &mut |_| {})
        .await
        .map_err(|failed| failed.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripting_is_on_unless_the_deployment_says_otherwise() {
        let on = with_defaults(&BTreeMap::new());
        assert_eq!(on.get(SCRIPTING).map(String::as_str), Some("true"));
        let off = with_defaults(&BTreeMap::from([(SCRIPTING.to_string(), "false".to_string())]));
        assert_eq!(off.get(SCRIPTING).map(String::as_str), Some("false"));
    }

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())).unwrap()
    }

    fn alice() -> TokenInfo {
        TokenInfo {
            user: "alice".into(),
            token_type: "Login".into(),
            expires: None,
            mfa: Some("Used".into()),
        }
    }

    #[test]
    fn the_host_template_gets_the_tokens_user() {
        let c = config(&[
            ("KBASE_AUTH_TOKEN", "t"),
            ("KBASE_SPARK_HOST_TEMPLATE", "spark-connect-{username}.ns.svc"),
        ]);
        let (url, tokens) = resolve_target(&c, Some(&alice())).unwrap();
        assert_eq!(url.to_string(), "sc://spark-connect-alice.ns.svc:15002/;user_id=alice");
        assert_eq!(url.user_id.as_deref(), Some("alice"));
        assert_eq!(url.user_agent.as_deref(), Some("KBase Spark SQL"));
        assert!(matches!(tokens, TokenSource::Value(_)));
    }

    #[test]
    fn the_username_setting_overrides_the_tokens_user() {
        let c = config(&[
            ("KBASE_AUTH_TOKEN", "t"),
            ("KBASE_SPARK_USERNAME", "bob"),
            ("KBASE_SPARK_PORT", "443"),
            ("KBASE_SPARK_USE_SSL", "true"),
        ]);
        let (url, _) = resolve_target(&c, Some(&alice())).unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.use_ssl),
            ("spark-connect-bob", 443, true)
        );
    }

    #[test]
    fn spark_remote_replaces_the_template_and_still_names_the_user() {
        let c = config(&[("KBASE_AUTH_TOKEN", "t"), ("SPARK_REMOTE", "sc://localhost:15002")]);
        let (url, tokens) = resolve_target(&c, Some(&alice())).unwrap();
        assert_eq!(
            (url.host.as_str(), url.user_id.as_deref()),
            ("localhost", Some("alice"))
        );
        assert!(matches!(tokens, TokenSource::Value(_)));
        let c = config(&[("SPARK_REMOTE", "sc://localhost:15002")]);
        let (_, tokens) = resolve_target(&c, None).unwrap();
        assert!(matches!(tokens, TokenSource::None));
    }

    #[test]
    fn nothing_configured_or_an_empty_host_is_explained() {
        assert!(matches!(
            resolve_target(&config(&[]), None),
            Err(OpenError::NotConfigured)
        ));
        let c = config(&[("KBASE_AUTH_TOKEN", "t"), ("KBASE_SPARK_HOST_TEMPLATE", "{username}")]);
        let empty = TokenInfo {
            user: " ".into(),
            ..alice()
        };
        assert!(matches!(
            resolve_target(&c, Some(&empty)),
            Err(OpenError::Config(ConfigError::EmptyHost { .. }))
        ));
        let c = config(&[("SPARK_REMOTE", "http://nope")]);
        assert!(matches!(resolve_target(&c, None), Err(OpenError::BadRemote(_))));
    }

    #[test]
    fn spark_connect_url_stands_between_spark_remote_and_the_template() {
        let c = config(&[
            ("KBASE_AUTH_TOKEN", "t"),
            ("SPARK_CONNECT_URL", "sc://jupyter-alice.jupyterhub-prod:15002"),
        ]);
        let (url, tokens, source) = resolve_address(&c, Some(&alice())).unwrap();
        assert_eq!(source, AddressSource::SparkConnectUrl);
        assert_eq!(
            url.to_string(),
            "sc://jupyter-alice.jupyterhub-prod:15002/;user_id=alice"
        );
        assert!(matches!(tokens, TokenSource::Value(_)));
        let c = config(&[
            ("KBASE_AUTH_TOKEN", "t"),
            ("SPARK_CONNECT_URL", "sc://jupyter-alice.jupyterhub-prod:15002"),
            ("SPARK_REMOTE", "sc://localhost:15003"),
        ]);
        let (url, _, source) = resolve_address(&c, Some(&alice())).unwrap();
        assert_eq!((url.port, source), (15003, AddressSource::SparkRemote));
        let c = config(&[("KBASE_AUTH_TOKEN", "t")]);
        let (_, _, source) = resolve_address(&c, Some(&alice())).unwrap();
        assert_eq!(source, AddressSource::HostTemplate);
    }

    #[test]
    fn a_malformed_spark_connect_url_is_named_and_never_echoed() {
        for bad in [
            "http://jupyter-alice:15002",
            "sc://h:1/;secret-token-xyz",
            "sc://h:port",
        ] {
            let c = config(&[("KBASE_AUTH_TOKEN", "t"), ("SPARK_CONNECT_URL", bad)]);
            let e = resolve_address(&c, Some(&alice())).unwrap_err();
            assert!(matches!(e, OpenError::BadConnectUrl(_)), "{e:?}");
            assert_eq!(e.name(), "KernelConfigurationError");
            let message = e.to_string();
            assert!(message.starts_with("SPARK_CONNECT_URL is not a valid"), "{message}");
            assert!(!message.contains("secret-token"), "{message}");
        }
    }
}
