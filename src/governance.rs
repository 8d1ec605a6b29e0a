//! BERDL's namespaces: a user may create databases only under the prefixes BERDL's
//! governance service assigns (`u_{user}__` for their own, `{tenant}_` for each tenant they
//! belong to). With `GOVERNANCE_API_URL` set, the kernel asks the service once per session,
//! in the background and with the user's token as BERDL's own helpers do
//! (`GET /workspaces/me/namespace-prefix`, `GET /workspaces/me/groups`), so that
//! `CREATE DATABASE ` completes with the prefixes and `%help` and `doctor` list them. A
//! service that is down, slow or answers something else changes nothing but one warning in
//! the log. A database name the server refuses for its prefix is explained in SQL terms.

use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;

use crate::config::Config;
use crate::render::help::Entry;
use crate::secret::Secret;

const TIMEOUT: Duration = Duration::from_secs(10);
/// Tenants asked about, at most.
const MAX_TENANTS: usize = 50;

/// The prefixes learned this session, once known.
static PREFIXES: OnceLock<Vec<&'static str>> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
pub(crate) enum GovernanceError {
    #[error("cannot reach the governance service at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the governance service at {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("the governance service at {url} answered something that is not its JSON ({detail})")]
    BadAnswer { url: String, detail: String },
}

#[derive(Deserialize)]
struct PrefixAnswer {
    user_namespace_prefix: String,
    #[serde(default)]
    tenant_namespace_prefix: Option<String>,
}

#[derive(Deserialize)]
struct GroupsAnswer {
    groups: Vec<String>,
}

/// Starts learning the user's prefixes in the background, when the service is configured.
pub(crate) fn learn_in_background(config: &Config) {
    let Some(base) = config.governance_url.clone() else {
        return;
    };
    let Ok(Some(token)) = config.tokens.read() else {
        return;
    };
    tokio::spawn(async move {
        match fetch(&base, &token).await {
            Ok(prefixes) => {
                tracing::info!(prefixes = ?prefixes, "database prefixes from the governance service");
                remember(prefixes);
            }
            Err(e) => tracing::warn!("database prefixes unknown: {e}"),
        }
    });
}

fn remember(prefixes: Vec<String>) {
    let _ = PREFIXES.set(prefixes.into_iter().map(|p| &*Box::leak(p.into_boxed_str())).collect());
}

/// The prefixes learned, empty until (unless) they are known.
pub(crate) fn known() -> &'static [&'static str] {
    PREFIXES.get().map_or(&[], Vec::as_slice)
}

/// Asks the service for the user's own prefix and those of the user's tenants.
pub(crate) async fn fetch(base: &str, token: &Secret) -> Result<Vec<String>, GovernanceError> {
    let base = base.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("kbase-spark-sql-kernel/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| GovernanceError::Unreachable {
            url: base.to_string(),
            detail: e.to_string(),
        })?;
    let own: PrefixAnswer = get(&client, &format!("{base}/workspaces/me/namespace-prefix"), token).await?;
    let mut prefixes = vec![own.user_namespace_prefix];
    let groups: GroupsAnswer = get(&client, &format!("{base}/workspaces/me/groups"), token).await?;
    let mut tenants: Vec<String> = Vec::new();
    for group in groups.groups {
        // A tenant's read-only group is `{tenant}ro`; its prefix is the tenant's.
        let tenant = group.strip_suffix("ro").unwrap_or(&group).to_string();
        if !tenant.is_empty() && !tenants.contains(&tenant) {
            tenants.push(tenant);
        }
    }
    for tenant in tenants.into_iter().take(MAX_TENANTS) {
        let url = reqwest::Url::parse_with_params(
            &format!("{base}/workspaces/me/namespace-prefix"),
            &[("tenant", tenant.as_str())],
        )
        .map_err(|e| GovernanceError::BadAnswer {
            url: base.to_string(),
            detail: e.to_string(),
        })?;
        // A tenant the service will not answer for is left out, not a failure.
        if let Ok(answer) = get::<PrefixAnswer>(&client, url.as_str(), token).await
            && let Some(p) = answer.tenant_namespace_prefix
        {
            prefixes.push(p);
        }
    }
    prefixes.retain(|p| !p.trim().is_empty());
    prefixes.dedup();
    Ok(prefixes)
}

async fn get<T: for<'de> Deserialize<'de>>(
    client: &reqwest::Client,
    url: &str,
    token: &Secret,
) -> Result<T, GovernanceError> {
    // The URL shown never carries its query (a tenant's name is not a secret, but keep it short).
    let shown = url.split('?').next().unwrap_or(url).to_string();
    let mut header = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        GovernanceError::BadAnswer {
            url: shown.clone(),
            detail: "the token cannot be sent in a header".into(),
        }
    })?;
    header.set_sensitive(true);
    let response = client
        .get(url)
        .header(reqwest::header::AUTHORIZATION, header)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| GovernanceError::Unreachable {
            url: shown.clone(),
            detail: if e.is_timeout() {
                "no answer in time".into()
            } else {
                "connection refused or host not found".into()
            },
        })?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(GovernanceError::Status { url: shown, status });
    }
    let body = response.bytes().await.map_err(|_| GovernanceError::Unreachable {
        url: shown.clone(),
        detail: "the answer broke off".into(),
    })?;
    serde_json::from_slice(&body).map_err(|_| GovernanceError::BadAnswer {
        url: shown,
        detail: "not the JSON it sends".into(),
    })
}

/// The prefixes a `CREATE DATABASE`/`SCHEMA` being typed can take: the code point where the
/// name starts (in `code`, cursor at `cursor`) and the prefixes that fit what is typed.
pub(crate) fn complete_create(code: &str, cursor: usize) -> Option<(usize, Vec<String>)> {
    let prefixes = known();
    if prefixes.is_empty() {
        return None;
    }
    let before: String = code.chars().take(cursor).collect();
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let typed = &before[start..];
    let words: Vec<String> = before[..start]
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let n = words.len();
    let after_create = n >= 2 && words[n - 2] == "CREATE" && matches!(words[n - 1].as_str(), "DATABASE" | "SCHEMA");
    let after_if_not_exists = n >= 5
        && words[n - 5] == "CREATE"
        && matches!(words[n - 4].as_str(), "DATABASE" | "SCHEMA")
        && words[n - 3] == "IF"
        && words[n - 2] == "NOT"
        && words[n - 1] == "EXISTS";
    if !(after_create || after_if_not_exists) || !before[..start].ends_with(char::is_whitespace) {
        return None;
    }
    let lower = typed.to_lowercase();
    let fits: Vec<String> = prefixes
        .iter()
        .filter(|p| p.to_lowercase().starts_with(&lower) && p.len() > typed.len())
        .map(|p| (*p).to_string())
        .collect();
    (!fits.is_empty()).then(|| (before[..start].chars().count(), fits))
}

/// The prefixes as `%help` lists them.
pub(crate) fn help_entries() -> Vec<Entry> {
    known()
        .iter()
        .map(|p| Entry {
            usage: p,
            what: "a prefix your databases may start with on BERDL",
            example: "",
        })
        .collect()
}

/// A database name the server refused for its prefix (BERDL's namespace check, whose
/// message names a Python helper), told in SQL terms with the prefixes allowed.
pub(crate) fn refused_name(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix("Database name '")?;
    let (name, rest) = rest.split_once('\'')?;
    if !rest.trim_start().starts_with("is not allowed") {
        return None;
    }
    let from_server: Vec<String> = rest
        .split_once("prefixes: [")
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(list, _)| {
            list.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let prefixes = if from_server.is_empty() {
        known().iter().map(|p| (*p).to_string()).collect()
    } else {
        from_server
    };
    let bare = name.rsplit('.').next().unwrap_or(name);
    Some(match prefixes.first() {
        Some(first) => format!(
            "The server does not allow a database named `{name}`: on BERDL a database's name must start with \
             one of your prefixes, {} (or be `default`). For example: CREATE DATABASE IF NOT EXISTS {first}{bare};",
            prefixes.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
        ),
        None => format!(
            "The server does not allow a database named `{name}`: on BERDL a database's name must start with \
             one of the prefixes BERDL gives you (such as `u_<your user name>__`), or be `default`."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_told_in_sql_terms() {
        let server = "Database name 'scratch' is not allowed. Unqualified Delta/Hive database names must start with \
                      one of the following prefixes: [u_alice__, kbase_]. Catalog-qualified Iceberg namespaces must \
                      use one of the following catalogs: []. Use create_namespace_if_not_exists() to create databases \
                      with the correct prefix.";
        let told = refused_name(server).unwrap();
        assert!(told.contains("`u_alice__`, `kbase_`"), "{told}");
        assert!(
            told.contains("CREATE DATABASE IF NOT EXISTS u_alice__scratch;"),
            "{told}"
        );
        assert!(!told.contains("create_namespace_if_not_exists"), "{told}");
        assert_eq!(refused_name("Permission denied for user bob"), None);
    }

    #[test]
    fn create_database_completes_with_the_prefixes() {
        // Nothing known: nothing offered (the test binary shares one process; set once here).
        remember(vec!["u_alice__".into(), "kbase_".into()]);
        let (start, fits) = complete_create("CREATE DATABASE ", 16).unwrap();
        assert_eq!((start, fits.len()), (16, 2));
        let code = "create schema if not exists u_";
        let (start, fits) = complete_create(code, code.chars().count()).unwrap();
        assert_eq!((start, fits), (28, vec!["u_alice__".to_string()]));
        assert_eq!(complete_create("SELECT * FROM ", 14), None);
        assert_eq!(complete_create("CREATE TABLE ", 13), None);
        assert_eq!(help_entries().len(), 2);
    }
}
