//! The Spark Connect connection string, `sc://host:port/;key=value;...`, parsed the way
//! pyspark reads it. The `Display` form is the one shown to users: a token is always `***`.

use std::fmt;

use crate::secret::Secret;

pub(crate) const DEFAULT_MAX_MESSAGE_SIZE: usize = 128 * 1024 * 1024;

/// Where and how to reach one Spark Connect server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) use_ssl: bool,
    /// Bearer token from the URL's `token` parameter.
    pub(crate) token: Option<Secret>,
    pub(crate) user_id: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) max_message_size: usize,
    /// Every other parameter, sent as gRPC metadata on each call.
    pub(crate) headers: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum UrlError {
    #[error("a Spark Connect URL starts with sc://, like sc://localhost:15002")]
    Scheme,
    #[error("the Spark Connect URL has no host")]
    NoHost,
    #[error("the port of the Spark Connect URL is not a number from 1 to 65535")]
    Port,
    #[error("a Spark Connect URL has no path: put parameters after \"/;\", like sc://host:15002/;use_ssl=true")]
    Path,
    /// The parameter is named by its position only: a malformed one may be a pasted secret.
    #[error("parameter {0} of the Spark Connect URL is not of the form key=value")]
    Param(usize),
    #[error("the Spark Connect URL parameter {key} has a bad value: {why}")]
    Value { key: String, why: &'static str },
}

impl ConnectUrl {
    /// A plain URL for `host:port`, as built from the KBase host template.
    pub(crate) fn new(host: impl Into<String>, port: u16, use_ssl: bool) -> Self {
        ConnectUrl {
            host: host.into(),
            port,
            use_ssl,
            token: None,
            user_id: None,
            user_agent: None,
            session_id: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            headers: Vec::new(),
        }
    }

    pub(crate) fn parse(url: &str) -> Result<ConnectUrl, UrlError> {
        let rest = url.trim().strip_prefix("sc://").ok_or(UrlError::Scheme)?;
        let (authority, params) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let params = match params {
            "" => "",
            p => p.strip_prefix(';').ok_or(UrlError::Path)?,
        };
        let (host, port) = split_host_port(authority)?;
        let mut out = ConnectUrl::new(host, port, false);
        for (position, param) in params.split(';').filter(|p| !p.is_empty()).enumerate() {
            let (key, value) = param.split_once('=').ok_or(UrlError::Param(position + 1))?;
            let value = percent_decode(value).ok_or_else(|| UrlError::Value {
                key: key.to_string(),
                why: "bad percent-encoding",
            })?;
            match key {
                "token" => out.token = Some(Secret::new(value)),
                "use_ssl" => {
                    out.use_ssl = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(UrlError::Value {
                                key: key.into(),
                                why: "use true or false",
                            });
                        }
                    }
                }
                "user_id" => out.user_id = Some(value),
                "user_agent" => out.user_agent = Some(value),
                "session_id" => {
                    uuid::Uuid::parse_str(&value).map_err(|_| UrlError::Value {
                        key: key.into(),
                        why: "it must be a UUID",
                    })?;
                    out.session_id = Some(value);
                }
                "grpc_max_message_size" => {
                    out.max_message_size = value.parse().map_err(|_| UrlError::Value {
                        key: key.into(),
                        why: "it must be a number of bytes",
                    })?;
                }
                _ => out.headers.push((key.to_string(), value)),
            }
        }
        // pyspark never sends a bearer token in clear text.
        if out.token.is_some() {
            out.use_ssl = true;
        }
        Ok(out)
    }
}

fn split_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // An IPv6 literal: [::1]:15002
        let (host, after) = rest.split_once(']').ok_or(UrlError::NoHost)?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    let port = match port {
        None => crate::config::DEFAULT_PORT,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or(UrlError::Port)?,
    };
    Ok((host.to_string(), port))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for ConnectUrl {
    /// The URL as a user may see it: parameters that say who or what, never a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "sc://[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "sc://{}:{}", self.host, self.port)?;
        }
        let mut sep = "/;";
        let mut param = |f: &mut fmt::Formatter<'_>, k: &str, v: &str| {
            let r = write!(f, "{sep}{k}={v}");
            sep = ";";
            r
        };
        if self.use_ssl {
            param(f, "use_ssl", "true")?;
        }
        if self.token.is_some() {
            param(f, "token", "***")?;
        }
        if let Some(u) = &self.user_id {
            param(f, "user_id", u)?;
        }
        for (k, _) in &self.headers {
            // Extra headers often carry credentials of their own: show only their names.
            param(f, k, "***")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_full_shape() {
        let u = ConnectUrl::parse(
            "sc://spark.example:443/;use_ssl=true;user_id=alice;session_id=8b8f5c2e-1d3a-4b5c-9d7e-0f1a2b3c4d5e;x-custom=a%20b",
        )
        .unwrap();
        assert_eq!((u.host.as_str(), u.port, u.use_ssl), ("spark.example", 443, true));
        assert_eq!(u.user_id.as_deref(), Some("alice"));
        assert_eq!(u.session_id.as_deref(), Some("8b8f5c2e-1d3a-4b5c-9d7e-0f1a2b3c4d5e"));
        assert_eq!(u.headers, vec![("x-custom".to_string(), "a b".to_string())]);
    }

    #[test]
    fn defaults_and_ipv6() {
        let u = ConnectUrl::parse("sc://localhost").unwrap();
        assert_eq!(
            (u.port, u.use_ssl, u.max_message_size),
            (15002, false, DEFAULT_MAX_MESSAGE_SIZE)
        );
        let u = ConnectUrl::parse("sc://[::1]:15003/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 15003));
        assert_eq!(u.to_string(), "sc://[::1]:15003");
    }

    #[test]
    fn a_token_forces_tls_and_is_never_shown() {
        let u = ConnectUrl::parse("sc://h:1/;token=abc123secret").unwrap();
        assert!(u.use_ssl);
        assert_eq!(u.token.as_ref().map(Secret::expose), Some("abc123secret"));
        let shown = format!("{u} {u:?}");
        assert!(!shown.contains("abc123secret"), "{shown}");
        assert!(shown.contains("token=***"));
    }

    #[test]
    fn rejects_what_is_not_a_url() {
        assert_eq!(ConnectUrl::parse("http://h:1"), Err(UrlError::Scheme));
        assert_eq!(ConnectUrl::parse("sc://:15002"), Err(UrlError::NoHost));
        assert_eq!(ConnectUrl::parse("sc://h:port"), Err(UrlError::Port));
        assert_eq!(ConnectUrl::parse("sc://h:1/path"), Err(UrlError::Path));
        assert!(matches!(
            ConnectUrl::parse("sc://h:1/;use_ssl=maybe"),
            Err(UrlError::Value { .. })
        ));
        assert!(matches!(
            ConnectUrl::parse("sc://h:1/;session_id=nope"),
            Err(UrlError::Value { .. })
        ));
        assert!(matches!(
            ConnectUrl::parse("sc://h:1/;use_ssl=true;novalue"),
            Err(UrlError::Param(2))
        ));
        // A malformed parameter is never echoed, however short: it may be a pasted token.
        let message = ConnectUrl::parse("sc://h:1/;abc123secret").unwrap_err().to_string();
        assert!(!message.contains("abc123"), "{message}");
    }
}
