//! Command line of the KBase Spark SQL kernel: `run`, `install` and `doctor`.
//! Parsing and dispatch only; the work is done by the library's layers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kbase_spark_sql_kernel::config::Config;
use kbase_spark_sql_kernel::doctor;
use kbase_spark_sql_kernel::install::{self, InstallOptions, Scope};

#[derive(Parser)]
#[command(
    name = "kbase-spark-sql-kernel",
    version,
    about = "KBase Spark SQL: a Jupyter kernel for Spark SQL"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the kernel on a Jupyter connection file.
    Run {
        #[arg(short = 'f', long = "connection-file")]
        connection_file: PathBuf,
    },
    /// Install the kernelspec where Jupyter finds it.
    Install(InstallArgs),
    /// Check the configuration the way the kernel would use it.
    Doctor,
}

#[derive(Args)]
struct InstallArgs {
    /// Install for the current user (the default).
    #[arg(long, conflicts_with_all = ["sys_prefix", "prefix"])]
    user: bool,
    /// Install into the active Python environment.
    #[arg(long, conflicts_with = "prefix")]
    sys_prefix: bool,
    /// Install under PREFIX/share/jupyter/kernels.
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
    /// Kernelspec directory name.
    #[arg(long, default_value = install::KERNEL_NAME)]
    name: String,
    /// Name shown in the launcher.
    #[arg(long, default_value = install::DISPLAY_NAME)]
    display_name: String,
    /// Environment variable for the kernel, KEY=VALUE (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Also make this the Jupyter server's default kernel.
    #[arg(long)]
    make_default: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Install(args) => match install_kernelspec(args) {
            Ok(dir) => {
                println!(
                    "Installed the {} kernelspec in {}",
                    install::DISPLAY_NAME,
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Run { connection_file } => {
            if !kbase_spark_sql_kernel::memory::fix_malloc_threshold() {
                tracing::debug!("malloc's mmap threshold is left as it is");
            }
            let config = Config::from_env();
            if let Err(e) = &config {
                tracing::error!("{e}");
            }
            match runtime().map(|rt| rt.block_on(kbase_spark_sql_kernel::run_kernel(&connection_file, config))) {
                Ok(Ok(())) => ExitCode::SUCCESS,
                Ok(Err(e)) => fail(&e),
                Err(e) => fail(&e),
            }
        }
        Command::Doctor => {
            let ok = match runtime() {
                Ok(rt) => rt.block_on(doctor::run(&mut std::io::stdout())),
                Err(e) => return fail(&e),
            };
            if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
    }
}

fn install_kernelspec(args: InstallArgs) -> Result<PathBuf, install::InstallError> {
    let scope = match (args.prefix, args.sys_prefix) {
        (Some(p), _) => Scope::Prefix(p),
        (None, true) => Scope::SysPrefix,
        (None, false) => Scope::User,
    };
    let env = args
        .env
        .iter()
        .map(|e| install::parse_env(e))
        .collect::<Result<Vec<_>, _>>()?;
    install::install(&InstallOptions {
        scope,
        name: args.name,
        display_name: args.display_name,
        env,
        make_default: args.make_default,
    })
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// Logs go to stderr (Jupyter shows them in the server log); `RUST_LOG` sets the level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("kbase_spark_sql_kernel=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("kbase-spark-sql-kernel: {e}");
    ExitCode::FAILURE
}
