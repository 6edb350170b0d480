//! The command line, exactly as DESIGN.md's CLI contract. Every setting can
//! come from its environment variable; a flag overrides it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Moth: a self-hosted error tracker for the official Sentry SDKs.
#[derive(Debug, Parser)]
#[command(name = "moth", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Directory for the embedded PostgreSQL cluster and the generated secret key.
    #[arg(
        long,
        env = "MOTH_DATA_DIR",
        default_value = "./moth-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Use this PostgreSQL server instead of the embedded one
    /// (e.g. postgres://user:pass@host/moth).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Address to listen on.
    #[arg(
        long,
        env = "MOTH_BIND",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind: String,

    /// Public URL of this Moth, used in DSNs and links in alerts
    /// [default: http://<bind>].
    #[arg(long, env = "MOTH_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// Key that signs sessions [default: generated once, kept in the data dir].
    #[arg(long, env = "MOTH_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Organization slug used in API paths.
    #[arg(long, env = "MOTH_ORG", default_value = "moth", global = true)]
    pub org: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: ingest, web UI, JSON API and the alerts worker.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage alert destinations (Slack, Discord, Mattermost, Teams, webhooks).
    #[command(subcommand)]
    Alert(AlertCommand),
}

/// Ingest tuning (sizes in bytes). The defaults suit most installations.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Largest request body as sent (compressed).
    #[arg(long, env = "MOTH_MAX_BODY_BYTES", default_value_t = 20 << 20)]
    pub max_body_bytes: usize,
    /// Largest envelope after decompression.
    #[arg(long, env = "MOTH_MAX_ENVELOPE_BYTES", default_value_t = 40 << 20)]
    pub max_envelope_bytes: usize,
    /// Largest single event, decompressed.
    #[arg(long, env = "MOTH_MAX_EVENT_BYTES", default_value_t = 1 << 20)]
    pub max_event_bytes: usize,
    /// Largest single attachment.
    #[arg(long, env = "MOTH_MAX_ATTACHMENT_BYTES", default_value_t = 20 << 20)]
    pub max_attachment_bytes: usize,
    /// Request bodies held in memory at once; beyond it ingest answers 429.
    #[arg(long, env = "MOTH_MEMORY_BUDGET_BYTES", default_value_t = 128 << 20)]
    pub memory_budget_bytes: usize,
    /// Seconds allowed to receive one request body (slow uploads are cut off).
    #[arg(long, env = "MOTH_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Ingest requests worked on at once (reading, parsing, waiting to be
    /// written); beyond it ingest answers 429 at once.
    #[arg(long, env = "MOTH_QUEUE_CAPACITY", default_value_t = 512)]
    pub queue_capacity: usize,
    /// Writer tasks storing events, each one transaction at a time.
    #[arg(long, env = "MOTH_INGEST_WRITERS", default_value_t = 2)]
    pub ingest_writers: usize,
    /// Behind a reverse proxy: take the client address (sign-in throttling,
    /// audit log) from the last X-Forwarded-For entry instead of the peer.
    #[arg(long, env = "MOTH_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a random password is
    /// generated and printed.
    Create {
        /// The user's email address (their login).
        #[arg(long)]
        email: String,
        /// Make the user an administrator (sees and manages everything).
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints its DSN as the last line of stdout.
    Create {
        /// Project name; its slug is derived from it ("My API" → my-api).
        name: String,
        /// SDK platform (python, javascript, node, rust, go, java, ...).
        #[arg(long)]
        platform: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as a user; prints it as the last line of
    /// stdout (it is shown only once).
    Create {
        /// Email of the user the token acts as.
        #[arg(long)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Add an alert destination to a project. Prints its id on the first
    /// line (and, for `--kind webhook`, the signing secret).
    Add {
        /// Slug of the project whose alerts go there.
        #[arg(long)]
        project: String,
        /// Message format: the chat's incoming webhook, or a generic signed
        /// JSON webhook.
        #[arg(long, value_parser = ["slack", "discord", "mattermost", "teams", "webhook"])]
        kind: String,
        /// The incoming webhook URL (http:// or https://).
        #[arg(long)]
        url: String,
        /// A name to recognise it by [default: the kind and the URL's host].
        #[arg(long, default_value = "")]
        name: String,
        /// Comma-separated triggers: new, regression, unmuted (and threshold,
        /// with the two flags below).
        #[arg(long, value_delimiter = ',', default_value = "new,regression,unmuted")]
        triggers: Vec<String>,
        /// Also alert when an issue gets more than this many events ...
        #[arg(long, requires = "threshold_minutes")]
        threshold_events: Option<i32>,
        /// ... within this many minutes (at most once per issue per window).
        #[arg(long, requires = "threshold_events")]
        threshold_minutes: Option<i32>,
    },
    /// List alert destinations with their triggers, secret and last failure.
    List {
        /// Only this project's destinations.
        #[arg(long)]
        project: Option<String>,
    },
    /// Send a test message to a destination now and report how it went.
    Test {
        /// The destination's id (see `moth alert list`).
        id: i64,
    },
}
