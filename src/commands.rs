//! The CLI commands other than `serve`.

use std::io::BufRead;

use anyhow::{bail, Context, Result};
use moth_protocol::dsn::Dsn;
use moth_storage::password::hash_password;

use crate::cli::{Cli, Command, ProjectCommand, TokenCommand, UserCommand};
use crate::config::Config;
use crate::database::{OpenDatabase, Opener};

pub async fn run(cli: Cli) -> Result<()> {
    let config = Config::from_args(&cli.global)?;
    match cli.command {
        Command::Serve(args) => crate::serve::run(config, args).await,
        Command::Migrate => {
            with_database(&config, |_db| async move {
                println!("migrations applied");
                Ok(())
            })
            .await
        }
        Command::User(UserCommand::Create {
            email,
            admin,
            password_stdin,
        }) => {
            let (password, generated) = if password_stdin {
                (read_password_from_stdin()?, false)
            } else {
                (moth_storage::password::generate_password(), true)
            };
            let phc = tokio::task::spawn_blocking({
                let password = password.clone();
                move || hash_password(&password)
            })
            .await?;
            with_database(&config, |db| async move {
                let user = db.create_user(&email, &phc, admin).await?;
                let role = if user.is_admin { "admin" } else { "member" };
                println!("created user {} ({role})", user.email);
                if generated {
                    println!("generated password: {password}");
                }
                Ok(())
            })
            .await
        }
        Command::Project(ProjectCommand::Create { name, platform }) => {
            let base_url = config.base_url();
            with_database(&config, |db| async move {
                let (project, key) = db.create_project(&name, platform.as_deref()).await?;
                let dsn = Dsn::for_project(&base_url, &key.public_key, project.id as u64)
                    .context("cannot build a DSN from MOTH_BASE_URL")?;
                println!(
                    "created project {} (slug {}, id {})",
                    project.name, project.slug, project.id
                );
                println!("{dsn}");
                Ok(())
            })
            .await
        }
        Command::Alert(cmd) => {
            let base_url = config.base_url();
            with_database(&config, |db| crate::alert_commands::run(db, base_url, cmd)).await
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            with_database(&config, |db| async move {
                let user = match db.user_by_email(&email).await {
                    Ok(u) => u,
                    Err(moth_storage::StorageError::NotFound) => {
                        bail!("no user with the email {email:?}")
                    }
                    Err(e) => return Err(e.into()),
                };
                let (_, secret) = db.create_api_token(user.id, &name).await?;
                println!("created an API token for {} (shown only once):", user.email);
                println!("{secret}");
                Ok(())
            })
            .await
        }
    }
}

/// Opens the database, runs `f`, and always shuts the database down again
/// (stopping an embedded server this command had to start).
pub(crate) async fn with_database<F, Fut>(config: &Config, f: F) -> Result<()>
where
    F: FnOnce(moth_storage::Database) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let opened = OpenDatabase::open(config, Opener::Command).await?;
    let result = f(opened.db.clone()).await;
    opened.shutdown().await;
    result
}

fn read_password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("the password read from stdin is empty");
    }
    Ok(password)
}
