//! The `install` subcommand: writes the kernelspec (kernel.json and logos) where Jupyter
//! looks for kernels, and optionally a jupyter_server config fragment that makes this kernel
//! the default one.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

pub const KERNEL_NAME: &str = "kbase-spark-sql";
pub const DISPLAY_NAME: &str = "KBase Spark SQL";

const LOGO_32: &[u8] = include_bytes!("../kernelspec/data/share/jupyter/kernels/kbase-spark-sql/logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("../kernelspec/data/share/jupyter/kernels/kbase-spark-sql/logo-64x64.png");
const LOGO_SVG: &[u8] = include_bytes!("../kernelspec/data/share/jupyter/kernels/kbase-spark-sql/logo-svg.svg");

/// Where the kernelspec goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The user's Jupyter data directory.
    User,
    /// The Python environment Jupyter runs in.
    SysPrefix,
    /// `PREFIX/share/jupyter/kernels`.
    Prefix(PathBuf),
}

#[derive(Debug, Clone)]
pub struct InstallOptions {
    pub scope: Scope,
    pub name: String,
    pub display_name: String,
    pub env: Vec<(String, String)>,
    pub make_default: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot find the home directory (HOME is not set)")]
    NoHome,
    #[error(
        "cannot find the Python environment for --sys-prefix: activate it (VIRTUAL_ENV or CONDA_PREFIX) or use --prefix"
    )]
    NoSysPrefix,
    #[error("cannot find this program's own path: {0}")]
    OwnPath(std::io::Error),
    #[error("--env {0:?} is not of the form KEY=VALUE")]
    BadEnv(String),
    #[error("the kernel name {0:?} may only use letters, digits, '.', '_' and '-'")]
    BadName(String),
    #[error(
        "{0} is not a JSON object of Jupyter settings: fix it, or set MappingKernelManager.default_kernel_name there by hand"
    )]
    BadConfig(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// Parses one `--env KEY=VALUE`.
pub fn parse_env(item: &str) -> Result<(String, String), InstallError> {
    match item.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(InstallError::BadEnv(item.to_string())),
    }
}

fn home() -> Result<PathBuf, InstallError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or(InstallError::NoHome)
}

/// The `sys.prefix` of the Python environment to install into: the one this binary was
/// installed into (a Python beside it, as after `pip install`), else the active virtualenv
/// or conda env, else that of the `python3` on PATH.
fn sys_prefix() -> Result<PathBuf, InstallError> {
    let beside = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .and_then(|bin| {
            ["python3", "python"]
                .iter()
                .map(|name| bin.join(name))
                .find(|python| python.is_file())
        });
    if let Some(python) = beside {
        return python_prefix(&python.into_os_string());
    }
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
    }
    python_prefix(std::ffi::OsStr::new("python3"))
}

/// Asks a Python interpreter for its `sys.prefix`.
fn python_prefix(python: &std::ffi::OsStr) -> Result<PathBuf, InstallError> {
    let out = std::process::Command::new(python)
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|_| InstallError::NoSysPrefix)?;
    let prefix = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || prefix.is_empty() {
        return Err(InstallError::NoSysPrefix);
    }
    Ok(PathBuf::from(prefix))
}

/// The kernels directory and the jupyter config directory of a scope.
fn directories(scope: &Scope) -> Result<(PathBuf, PathBuf), InstallError> {
    Ok(match scope {
        Scope::User => {
            let data = match std::env::var_os("JUPYTER_DATA_DIR").filter(|d| !d.is_empty()) {
                Some(d) => PathBuf::from(d),
                None => home()?.join(".local/share/jupyter"),
            };
            let config = match std::env::var_os("JUPYTER_CONFIG_DIR").filter(|d| !d.is_empty()) {
                Some(d) => PathBuf::from(d),
                None => home()?.join(".jupyter"),
            };
            (data.join("kernels"), config)
        }
        Scope::SysPrefix => {
            let p = sys_prefix()?;
            (p.join("share/jupyter/kernels"), p.join("etc/jupyter"))
        }
        Scope::Prefix(p) => (p.join("share/jupyter/kernels"), p.join("etc/jupyter")),
    })
}

/// The kernel.json of this kernel, run by the binary at `binary`.
pub(crate) fn kernel_json(binary: &Path, display_name: &str, env: &[(String, String)]) -> Value {
    let env: Map<String, Value> = env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({
        "argv": [binary.display().to_string(), "run", "--connection-file", "{connection_file}"],
        "display_name": display_name,
        "language": "sql",
        "interrupt_mode": "message",
        "env": env,
        "metadata": {"debugger": false},
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), InstallError> {
    let fail = |source| InstallError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, bytes).map_err(fail)
}

/// Makes `name` the Jupyter server's default kernel in the config file at `path`, keeping
/// whatever else the file says. (Jupyter Server reads `jupyter_server_config.d` fragments only
/// for enabling extensions, so the setting must go into the file itself.)
fn make_default(path: &Path, name: &str) -> Result<(), InstallError> {
    let mut config = match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(InstallError::BadConfig(path.display().to_string())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(source) => {
            return Err(InstallError::Write {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let section = config.entry("MappingKernelManager").or_insert_with(|| json!({}));
    let Value::Object(section) = section else {
        return Err(InstallError::BadConfig(path.display().to_string()));
    };
    section.insert("default_kernel_name".into(), json!(name));
    let text = serde_json::to_string_pretty(&Value::Object(config)).unwrap_or_default();
    write(path, text.as_bytes())
}

/// Installs the kernelspec; returns the directory written.
pub fn install(options: &InstallOptions) -> Result<PathBuf, InstallError> {
    let name = &options.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(InstallError::BadName(name.clone()));
    }
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(InstallError::OwnPath)?;
    let (kernels, config) = directories(&options.scope)?;
    let dir = kernels.join(name);
    let spec = kernel_json(&binary, &options.display_name, &options.env);
    let text = serde_json::to_string_pretty(&spec).unwrap_or_default();
    write(&dir.join("kernel.json"), text.as_bytes())?;
    write(&dir.join("logo-32x32.png"), LOGO_32)?;
    write(&dir.join("logo-64x64.png"), LOGO_64)?;
    write(&dir.join("logo-svg.svg"), LOGO_SVG)?;
    if options.make_default {
        make_default(&config.join("jupyter_server_config.json"), name)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_json_follows_the_contract() {
        let spec = kernel_json(
            Path::new("/opt/bin/kbase-spark-sql-kernel"),
            DISPLAY_NAME,
            &[("A".into(), "b".into())],
        );
        assert_eq!(
            spec["argv"],
            json!([
                "/opt/bin/kbase-spark-sql-kernel",
                "run",
                "--connection-file",
                "{connection_file}"
            ])
        );
        assert_eq!(spec["display_name"], "KBase Spark SQL");
        assert_eq!(spec["language"], "sql");
        assert_eq!(spec["interrupt_mode"], "message");
        assert_eq!(spec["env"]["A"], "b");
    }

    #[test]
    fn env_items_are_key_value() {
        assert_eq!(
            parse_env("SPARK_REMOTE=sc://h:1/;a=b").unwrap(),
            ("SPARK_REMOTE".into(), "sc://h:1/;a=b".into())
        );
        assert!(parse_env("novalue").is_err());
        assert!(parse_env("=x").is_err());
    }

    #[test]
    fn logos_are_pngs() {
        assert_eq!(&LOGO_32[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&LOGO_64[..8], b"\x89PNG\r\n\x1a\n");
    }
}
