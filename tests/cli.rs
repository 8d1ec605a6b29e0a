//! The command line as deployments use it: `install` writes a kernelspec that follows the
//! contract, and `run` and `doctor` fail with clear messages on bad input.

// A test that cannot set up its files should fail loudly.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kbase-spark-sql-kernel");

/// A directory of its own for one test, removed when the test ends, whatever its outcome.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kbase-spark-sql-test-{name}-"))
        .tempdir()
        .unwrap()
}

/// The binary with none of the kernel's settings inherited from the test environment.
fn kernel() -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "SPARK_REMOTE",
        "KBASE_AUTH_TOKEN",
        "KBASE_SPARK_CONF",
        "KBASE_SPARK_PORT",
        "KBASE_AUTH_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn install_with_a_prefix_writes_the_kernelspec_and_makes_it_the_default() {
    let prefix_dir = temp_dir("install");
    let prefix = prefix_dir.path();
    // A server config that the prefix already has keeps its other settings.
    let config = prefix.join("etc/jupyter/jupyter_server_config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        r#"{"ServerApp": {"shutdown_no_activity_timeout": 600}, "MappingKernelManager": {"cull_idle_timeout": 3600}}"#,
    )
    .unwrap();
    let out = kernel()
        .args(["install", "--prefix"])
        .arg(prefix)
        .args([
            "--display-name",
            "KBase Spark SQL (test)",
            "--env",
            "SPARK_REMOTE=sc://h:1/;a=b",
        ])
        .args(["--env", "KBASE_SPARK_MAX_ROWS=50", "--make-default"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let dir = prefix.join("share/jupyter/kernels/kbase-spark-sql");
    let spec: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("kernel.json")).unwrap()).unwrap();
    let binary = std::fs::canonicalize(BIN).unwrap();
    assert_eq!(
        spec["argv"],
        serde_json::json!([
            binary.display().to_string(),
            "run",
            "--connection-file",
            "{connection_file}"
        ])
    );
    assert_eq!(spec["display_name"], "KBase Spark SQL (test)");
    assert_eq!(spec["language"], "sql");
    assert_eq!(spec["interrupt_mode"], "message");
    assert_eq!(spec["env"]["SPARK_REMOTE"], "sc://h:1/;a=b");
    assert_eq!(spec["env"]["KBASE_SPARK_MAX_ROWS"], "50");
    for logo in ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] {
        assert!(dir.join(logo).is_file(), "{logo} missing");
    }
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(config).unwrap()).unwrap();
    assert_eq!(
        config,
        serde_json::json!({
            "ServerApp": {"shutdown_no_activity_timeout": 600},
            "MappingKernelManager": {"cull_idle_timeout": 3600, "default_kernel_name": "kbase-spark-sql"},
        })
    );
}

#[test]
fn make_default_refuses_a_server_config_it_cannot_read() {
    let prefix_dir = temp_dir("badconfig");
    let prefix = prefix_dir.path();
    let config = prefix.join("etc/jupyter/jupyter_server_config.json");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "c.ServerApp.port = 8888").unwrap();
    let out = kernel()
        .args(["install", "--prefix"])
        .arg(prefix)
        .arg("--make-default")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("is not a JSON object of Jupyter settings"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "c.ServerApp.port = 8888");
}

#[test]
fn install_for_the_user_honours_the_jupyter_data_dir_and_name() {
    let data_dir = temp_dir("user");
    let data = data_dir.path();
    let out = kernel()
        .args(["install", "--user", "--name", "spark-sql-2"])
        .env("JUPYTER_DATA_DIR", data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(data.join("kernels/spark-sql-2/kernel.json").is_file());
}

#[test]
fn install_rejects_bad_arguments() {
    let out = kernel()
        .args(["install", "--prefix", "/tmp/x", "--env", "NOEQUALS"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("KEY=VALUE"), "{}", text(&out));
    let out = kernel()
        .args(["install", "--prefix", "/tmp/x", "--name", "../evil"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = kernel().args(["install", "--user", "--sys-prefix"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn run_explains_a_missing_or_broken_connection_file() {
    let out = kernel()
        .args(["run", "--connection-file", "/nonexistent/kernel.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("cannot read the connection file"), "{}", text(&out));

    let dir_dir = temp_dir("conn");
    let dir = dir_dir.path();
    let file = dir.join("kernel.json");
    std::fs::write(&file, "{not json").unwrap();
    let out = kernel().arg("run").arg("-f").arg(&file).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("is not valid"), "{}", text(&out));
}

#[test]
fn doctor_fails_without_a_server_to_use() {
    let out = kernel().arg("doctor").output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("KBASE_AUTH_TOKEN is not set"), "{}", text(&out));
}

#[test]
fn doctor_fails_clearly_when_the_server_is_down() {
    // A port that nothing listens on: bind one, note it, and let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = kernel()
        .arg("doctor")
        .env(
            "SPARK_REMOTE",
            format!("sc://127.0.0.1:{port}/;x-secret-header=hidden-value"),
        )
        .output()
        .unwrap();
    let shown = text(&out);
    assert!(!out.status.success());
    assert!(shown.contains("Cannot reach the Spark Connect server"), "{shown}");
    assert!(shown.contains(&format!("sc://127.0.0.1:{port}")), "{shown}");
    assert!(!shown.contains("hidden-value"), "{shown}");
}
