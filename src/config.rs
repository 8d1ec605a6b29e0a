//! Every setting of the kernel, read from the environment and validated once at start.
//! The shape follows the public contract's table; the KBase token is held in a
//! [`Secret`] so that no `Debug`, log line or error message can ever print it.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::secret::Secret;
use crate::token::session_file::SessionFile;
use crate::token::{TOKEN_FILE_VAR, TokenSource};

pub(crate) const DEFAULT_AUTH_URL: &str = "https://kbase.us/services/auth/";
pub(crate) const DEFAULT_HOST_TEMPLATE: &str = "spark-connect-{username}";
pub(crate) const DEFAULT_PORT: u16 = 15002;
pub(crate) const DEFAULT_APP_NAME: &str = "KBase Spark SQL";
pub(crate) const DEFAULT_MAX_ROWS: usize = 1000;
/// How long Tab waits for the catalog before answering with what it has.
/// Well within JupyterLab's completer timeout (1 s, with the messages' way there and back),
/// so that its answer is shown, not dropped, on a busy machine.
pub(crate) const DEFAULT_CATALOG_WAIT: Duration = Duration::from_millis(300);
pub(crate) const TOKEN_VAR: &str = "KBASE_AUTH_TOKEN";
pub(crate) const CONNECT_URL_VAR: &str = "SPARK_CONNECT_URL";

/// A setting that could not be used, with the variable's name and what to do about it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} must be a port number from 1 to 65535, not {value:?}.")]
    BadPort { var: &'static str, value: String },
    #[error("{var} must be true or false, not {value:?}.")]
    BadBool { var: &'static str, value: String },
    #[error("{var} must be a whole number of at least 1, not {value:?}.")]
    BadCount { var: &'static str, value: String },
    #[error("{var} must be a number of seconds greater than 0, not {value:?}.")]
    BadSeconds { var: &'static str, value: String },
    #[error(
        "KBASE_SPARK_CONF must be a JSON object whose values are strings, \
         like {{\"spark.sql.shuffle.partitions\": \"8\"}}: {reason}."
    )]
    BadSparkConf { reason: String },
    #[error("KBASE_SPARK_HOST_TEMPLATE {template:?} gives an empty host name.")]
    EmptyHost { template: String },
    #[error("KBASE_AUTH_URL must be an http:// or https:// URL, not {value:?}.")]
    BadAuthUrl { value: String },
    #[error("{var} is set but empty.")]
    Empty { var: &'static str },
}

/// The kernel's settings. Built by [`Config::from_env`]; never changed afterwards.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) tokens: TokenSource,
    pub(crate) auth_url: String,
    pub(crate) host_template: String,
    pub(crate) port: u16,
    pub(crate) use_ssl: bool,
    pub(crate) username: Option<String>,
    pub(crate) app_name: String,
    pub(crate) spark_conf: BTreeMap<String, String>,
    pub(crate) max_rows: usize,
    pub(crate) catalog_wait: Duration,
    pub(crate) spark_remote: Option<String>,
    /// The address BERDL's hub gives the pod (`SPARK_CONNECT_URL`), used when `SPARK_REMOTE` is not set.
    pub(crate) spark_connect_url: Option<String>,
    /// BERDL's governance service, which knows the user's database prefixes.
    pub(crate) governance_url: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `get`, so tests can supply their own environment.
    pub(crate) fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        // A variable set to blanks counts as unset, the way shells and spawners often pass them.
        let var = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let port = match var("KBASE_SPARK_PORT") {
            None => DEFAULT_PORT,
            Some(v) => v.parse::<u16>().ok().filter(|p| *p > 0).ok_or(ConfigError::BadPort {
                var: "KBASE_SPARK_PORT",
                value: v,
            })?,
        };
        let use_ssl = match var("KBASE_SPARK_USE_SSL") {
            None => false,
            Some(v) => parse_bool(&v).ok_or(ConfigError::BadBool {
                var: "KBASE_SPARK_USE_SSL",
                value: v,
            })?,
        };
        let max_rows = match var("KBASE_SPARK_MAX_ROWS") {
            None => DEFAULT_MAX_ROWS,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ConfigError::BadCount {
                    var: "KBASE_SPARK_MAX_ROWS",
                    value: v,
                })?,
        };
        let catalog_wait = match var("KBASE_SPARK_CATALOG_WAIT") {
            None => DEFAULT_CATALOG_WAIT,
            Some(v) => v
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .filter(|d| !d.is_zero())
                .ok_or(ConfigError::BadSeconds {
                    var: "KBASE_SPARK_CATALOG_WAIT",
                    value: v,
                })?,
        };
        let spark_conf = match var("KBASE_SPARK_CONF") {
            None => BTreeMap::new(),
            Some(v) => parse_spark_conf(&v)?,
        };
        let host_template = var("KBASE_SPARK_HOST_TEMPLATE").unwrap_or_else(|| DEFAULT_HOST_TEMPLATE.to_string());
        let auth_url = var("KBASE_AUTH_URL").unwrap_or_else(|| DEFAULT_AUTH_URL.to_string());
        if !(auth_url.starts_with("http://") || auth_url.starts_with("https://")) {
            return Err(ConfigError::BadAuthUrl { value: auth_url });
        }

        Ok(Config {
            // The token is taken as given (less surrounding blanks): it is a credential, not text.
            // A token file, when named, wins: it is what a deployment that refreshes tokens sets.
            // Without one, BERDL's session file in the home directory is the token file
            // whenever it holds a token, with the variable's token behind it.
            tokens: match (var(TOKEN_FILE_VAR), var(TOKEN_VAR), var("HOME")) {
                (Some(file), _, _) => TokenSource::File(file.into()),
                (None, token, Some(home)) => TokenSource::Session(SessionFile::in_home(&home, token.map(Secret::new))),
                (None, Some(token), None) => TokenSource::Value(Secret::new(token)),
                (None, None, None) => TokenSource::None,
            },
            auth_url,
            host_template,
            port,
            use_ssl,
            username: var("KBASE_SPARK_USERNAME"),
            app_name: var("KBASE_SPARK_APP_NAME").unwrap_or_else(|| DEFAULT_APP_NAME.to_string()),
            spark_conf,
            max_rows,
            catalog_wait,
            spark_remote: var("SPARK_REMOTE"),
            spark_connect_url: var(CONNECT_URL_VAR),
            governance_url: var("GOVERNANCE_API_URL"),
        })
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_spark_conf(v: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let value: serde_json::Value =
        serde_json::from_str(v).map_err(|e| ConfigError::BadSparkConf { reason: e.to_string() })?;
    let serde_json::Value::Object(map) = value else {
        return Err(ConfigError::BadSparkConf {
            reason: "it is not an object".into(),
        });
    };
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            other => Err(ConfigError::BadSparkConf {
                reason: format!("the value of {k:?} is {other}, not a string"),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = config(&[]).unwrap();
        assert_eq!(c.auth_url, DEFAULT_AUTH_URL);
        assert_eq!(c.host_template, "spark-connect-{username}");
        assert_eq!(c.port, 15002);
        assert!(!c.use_ssl);
        assert_eq!(c.app_name, "KBase Spark SQL");
        assert_eq!(c.max_rows, 1000);
        assert!(c.tokens == TokenSource::None && c.spark_remote.is_none() && c.spark_conf.is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        assert!(matches!(
            config(&[("KBASE_SPARK_PORT", "http")]),
            Err(ConfigError::BadPort { .. })
        ));
        assert!(matches!(
            config(&[("KBASE_SPARK_PORT", "0")]),
            Err(ConfigError::BadPort { .. })
        ));
        assert!(matches!(
            config(&[("KBASE_SPARK_USE_SSL", "maybe")]),
            Err(ConfigError::BadBool { .. })
        ));
        assert!(matches!(
            config(&[("KBASE_SPARK_MAX_ROWS", "-1")]),
            Err(ConfigError::BadCount { .. })
        ));
        for wait in ["0", "-1", "soon", "NaN"] {
            assert!(matches!(
                config(&[("KBASE_SPARK_CATALOG_WAIT", wait)]),
                Err(ConfigError::BadSeconds { .. })
            ));
        }
        assert_eq!(
            config(&[("KBASE_SPARK_CATALOG_WAIT", "2.5")]).unwrap().catalog_wait,
            Duration::from_millis(2500)
        );
        assert!(matches!(
            config(&[("KBASE_SPARK_CONF", "[1]")]),
            Err(ConfigError::BadSparkConf { .. })
        ));
        assert!(matches!(
            config(&[("KBASE_SPARK_CONF", r#"{"a": 1}"#)]),
            Err(ConfigError::BadSparkConf { .. })
        ));
        assert!(matches!(
            config(&[("KBASE_AUTH_URL", "kbase.us")]),
            Err(ConfigError::BadAuthUrl { .. })
        ));
    }

    #[test]
    fn spark_conf_is_an_object_of_strings() {
        let c = config(&[("KBASE_SPARK_CONF", r#"{"spark.sql.ansi.enabled": "true"}"#)]).unwrap();
        assert_eq!(
            c.spark_conf.get("spark.sql.ansi.enabled").map(String::as_str),
            Some("true")
        );
    }

    #[test]
    fn the_token_never_prints() {
        let c = config(&[(TOKEN_VAR, "super-secret-token")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("super-secret-token"));
        assert_eq!(c.tokens, TokenSource::Value(Secret::new("super-secret-token")));
        let c = config(&[(TOKEN_VAR, "super-secret-token"), (TOKEN_FILE_VAR, "/run/kbase/token")]).unwrap();
        assert_eq!(c.tokens, TokenSource::File("/run/kbase/token".into()));
    }

    #[test]
    fn with_a_home_the_session_file_stands_before_the_variable() {
        let c = config(&[(TOKEN_VAR, "spawned"), ("HOME", "/home/alice")]).unwrap();
        let TokenSource::Session(file) = &c.tokens else {
            panic!("{:?}", c.tokens)
        };
        assert_eq!(file.path, std::path::Path::new("/home/alice/.berdl_kbase_session"));
        assert_eq!(file.fallback, Some(Secret::new("spawned")));
        // A named token file wins over both.
        let c = config(&[(TOKEN_VAR, "t"), ("HOME", "/home/alice"), (TOKEN_FILE_VAR, "/run/t")]).unwrap();
        assert_eq!(c.tokens, TokenSource::File("/run/t".into()));
    }

    #[test]
    fn berdls_address_and_governance_are_read() {
        let c = config(&[
            (CONNECT_URL_VAR, " sc://jupyter-alice.jupyterhub-prod:15002 "),
            ("GOVERNANCE_API_URL", "http://governance:8000"),
        ])
        .unwrap();
        assert_eq!(
            c.spark_connect_url.as_deref(),
            Some("sc://jupyter-alice.jupyterhub-prod:15002")
        );
        assert_eq!(c.governance_url.as_deref(), Some("http://governance:8000"));
    }
}
