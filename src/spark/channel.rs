//! The gRPC channel to Spark Connect: address, TLS, and the metadata every call carries.
//! Credentials are attached by [`CallCredentials`], which reads the token from its source on
//! each call, so a connection made hours later (or remade after a restart) never sends a stale one.

use std::str::FromStr;
use std::time::Duration;

use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

/// The HTTP/2 flow-control window of one call: how much the server may send ahead.
const STREAM_WINDOW: u32 = 8 * 1024 * 1024;

use super::error::{SparkError, TOKEN_ERROR_KEY};
use super::proto::spark_connect_service_client::SparkConnectServiceClient;
use super::url::ConnectUrl;
use crate::secret::Secret;
use crate::token::TokenSource;

pub(crate) type Client = SparkConnectServiceClient<InterceptedService<Channel, CallCredentials>>;

/// Adds the credentials and the URL's extra headers to each outgoing call.
#[derive(Clone)]
pub(crate) struct CallCredentials {
    kbase: TokenSource,
    /// The `token` parameter of an `sc://` URL, sent as the bearer when there is no KBase token.
    url_token: Option<Secret>,
    headers: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
}

impl Interceptor for CallCredentials {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let kbase = self.kbase.read().map_err(|e| {
            let mut status = tonic::Status::failed_precondition(e.to_string());
            status
                .metadata_mut()
                .insert(TOKEN_ERROR_KEY, AsciiMetadataValue::from_static("1"));
            status
        })?;
        self.attach(request.metadata_mut(), kbase)?;
        Ok(request)
    }
}

impl CallCredentials {
    /// Puts the headers and the tokens, `kbase` first, on a call's metadata.
    fn attach(&self, md: &mut tonic::metadata::MetadataMap, kbase: Option<Secret>) -> Result<(), tonic::Status> {
        for (k, v) in &self.headers {
            md.insert(k.clone(), v.clone());
        }
        if let Some(token) = &kbase {
            md.insert("x-kbase-token", secret_value(token, "")?);
        }
        if let Some(token) = kbase.as_ref().or(self.url_token.as_ref()) {
            md.insert("authorization", secret_value(token, "Bearer ")?);
        }
        Ok(())
    }
}

fn secret_value(token: &Secret, prefix: &str) -> Result<AsciiMetadataValue, tonic::Status> {
    let mut value = AsciiMetadataValue::from_str(&format!("{prefix}{}", token.expose()))
        .map_err(|_| tonic::Status::unauthenticated("the token contains characters that cannot be sent in a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Builds a client for `url`. The connection itself is made lazily, on the first call,
/// and remade by the channel after it breaks.
pub(crate) fn connect(url: &ConnectUrl, kbase: TokenSource) -> Result<Client, SparkError> {
    let scheme = if url.use_ssl { "https" } else { "http" };
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{host}:{}", url.port))
        .map_err(|e| SparkError::Setup(format!("bad address {url}: {e}")))?
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        // Room for two of the server's 4 MiB result batches in flight, so the server keeps
        // sending while the kernel writes (an export), within a fixed bound.
        .initial_stream_window_size(Some(STREAM_WINDOW))
        .initial_connection_window_size(Some(2 * STREAM_WINDOW))
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true);
    if let Some(agent) = &url.user_agent {
        endpoint = endpoint
            .user_agent(agent.as_str())
            .map_err(|_| SparkError::Setup("user_agent is not a valid header value".into()))?;
    }
    if url.use_ssl {
        endpoint = endpoint
            .tls_config(ClientTlsConfig::new().with_native_roots().domain_name(url.host.clone()))
            .map_err(|e| SparkError::Setup(format!("TLS: {e}")))?;
    }
    let headers = url
        .headers
        .iter()
        .map(|(k, v)| {
            let key = AsciiMetadataKey::from_str(&k.to_ascii_lowercase())
                .map_err(|_| SparkError::Setup(format!("{k:?} is not a valid header name")))?;
            let value = AsciiMetadataValue::from_str(v)
                .map_err(|_| SparkError::Setup(format!("the value of header {k:?} is not valid")))?;
            Ok((key, value))
        })
        .collect::<Result<Vec<_>, SparkError>>()?;
    let credentials = CallCredentials {
        kbase,
        url_token: url.token.clone(),
        headers,
    };
    let channel = endpoint.connect_lazy();
    Ok(SparkConnectServiceClient::with_interceptor(channel, credentials)
        .max_decoding_message_size(url.max_message_size)
        .max_encoding_message_size(url.max_message_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_headers_carry_the_kbase_token_and_are_sensitive() {
        let creds = CallCredentials {
            kbase: TokenSource::None,
            url_token: None,
            headers: vec![(
                AsciiMetadataKey::from_static("x-extra"),
                AsciiMetadataValue::from_static("1"),
            )],
        };
        let mut md = tonic::metadata::MetadataMap::new();
        creds.attach(&mut md, Some(Secret::new("tok-123"))).unwrap();
        assert_eq!(md.get("x-kbase-token").unwrap(), "tok-123");
        assert_eq!(md.get("authorization").unwrap(), "Bearer tok-123");
        assert!(md.get("authorization").unwrap().is_sensitive());
        assert_eq!(md.get("x-extra").unwrap(), "1");
    }

    #[test]
    fn without_a_kbase_token_the_url_token_is_the_bearer() {
        let mut creds = CallCredentials {
            kbase: TokenSource::None,
            url_token: Some(Secret::new("u")),
            headers: vec![],
        };
        let req = creds.call(tonic::Request::new(())).unwrap();
        assert!(req.metadata().get("x-kbase-token").is_none());
        assert_eq!(req.metadata().get("authorization").unwrap(), "Bearer u");
    }

    #[test]
    fn a_token_that_cannot_be_a_header_fails_without_showing_it() {
        let creds = CallCredentials {
            kbase: TokenSource::None,
            url_token: None,
            headers: vec![],
        };
        let err = creds
            .attach(
                &mut tonic::metadata::MetadataMap::new(),
                Some(Secret::new("bad\ntoken-xyz")),
            )
            .unwrap_err();
        assert!(!err.message().contains("token-xyz"));
    }
}
