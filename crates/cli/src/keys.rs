//! `crawler keys new`: makes an API key and prints the `api_keys` entry that admits it (its
//! HMAC-SHA256 digest under the server's `api_key_pepper`), so an operator never writes a
//! usable key into the configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use crawler_config::{digest_entry, Plan, Settings};
use crawler_core::Tenant;
use rand::RngCore;

/// A key's prefix: it tells a reader (and a secret scanner) what the string is.
const KEY_PREFIX: &str = "ck_";

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate an API key and print the `api_keys` entry to configure.
    New(NewKeyArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanArg {
    Free,
    Paid,
}

#[derive(Args)]
pub struct NewKeyArgs {
    /// The key's plan.
    #[arg(long, value_enum, default_value = "paid")]
    pub plan: PlanArg,
    /// The project whose webhook endpoints the key shares.
    #[arg(long, default_value = crawler_core::tenant::DEFAULT_PROJECT)]
    pub project: String,
    /// The project's environment.
    #[arg(long = "env", default_value = crawler_core::tenant::DEFAULT_ENV)]
    pub environment: String,
    /// The configuration file whose `api_key_pepper` the digest is made under (the
    /// environment's CRAWLER_API_KEY_PEPPER wins, as for the coordinator).
    #[arg(long, env = "CRAWLER_CONFIG")]
    pub config: Option<PathBuf>,
}

/// What `keys new` made: the key, its entry, and the pepper when none was configured.
#[derive(Debug)]
pub struct NewKey {
    pub key: String,
    pub entry: String,
    pub generated_pepper: Option<String>,
}

pub fn run(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::New(args) => {
            let made = new_key(&args)?;
            print!("{}", describe(&made));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Makes a key under the configured pepper, or under a new one when none is configured.
pub fn new_key(args: &NewKeyArgs) -> anyhow::Result<NewKey> {
    for (what, part) in [("project", &args.project), ("env", &args.environment)] {
        anyhow::ensure!(
            Tenant::valid_part(part),
            "--{what} `{part}`: use 1 to 64 letters, digits, `-` or `_`"
        );
    }
    // Only the pepper is read: the rest of the configuration may not be valid yet (a
    // placeholder key about to be replaced, say).
    let configured: String = Settings::figment(args.config.as_deref())
        .extract_inner("api_key_pepper")
        .context("reading api_key_pepper")?;
    let generated_pepper = configured.is_empty().then(|| random_hex(32));
    let pepper = generated_pepper.as_deref().unwrap_or(&configured);
    let key = format!("{KEY_PREFIX}{}", random_hex(24));
    let plan = match args.plan {
        PlanArg::Free => Plan::Free,
        PlanArg::Paid => Plan::Paid,
    };
    let tenant = Tenant::new(&args.project, &args.environment);
    let entry = digest_entry(pepper, &key, plan, &tenant);
    Ok(NewKey {
        key,
        entry,
        generated_pepper,
    })
}

fn describe(made: &NewKey) -> String {
    let mut text = format!(
        "API key (give it to its user; it is not stored anywhere and is shown only once):\n  \
         {}\n\nAdd this entry to api_keys (CRAWLER_API_KEYS, comma-separated entries):\n  {}\n",
        made.key, made.entry
    );
    if let Some(pepper) = &made.generated_pepper {
        text.push_str(&format!(
            "\nNo api_key_pepper is configured, so one was generated; the entry above matches \
             only under it. Set it where secrets go (CRAWLER_API_KEY_PEPPER), and make the \
             next keys with it set:\n  CRAWLER_API_KEY_PEPPER={pepper}\n"
        ));
    }
    text
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_config::ApiKeys;

    fn args(plan: PlanArg, project: &str) -> NewKeyArgs {
        NewKeyArgs {
            plan,
            project: project.into(),
            environment: "live".into(),
            config: None,
        }
    }

    #[test]
    fn a_new_key_is_admitted_by_its_entry_under_the_generated_pepper() {
        let made = new_key(&args(PlanArg::Free, "shop")).unwrap();
        assert!(made.key.starts_with(KEY_PREFIX));
        assert!(!made.entry.contains(&made.key));
        let pepper = made
            .generated_pepper
            .clone()
            .expect("no pepper configured here");
        let keys = ApiKeys::parse(&made.entry).unwrap();
        let known = keys
            .lookup(&made.key, &pepper)
            .expect("the key is admitted");
        assert_eq!(known.plan, Plan::Free);
        assert_eq!(known.tenant, Tenant::new("shop", "live"));
        assert!(keys.lookup(&made.key, "another pepper").is_none());
        let printed = describe(&made);
        assert!(printed.contains(&made.key) && printed.contains(&pepper));
    }

    #[test]
    fn two_keys_differ() {
        let a = new_key(&args(PlanArg::Paid, "default")).unwrap();
        let b = new_key(&args(PlanArg::Paid, "default")).unwrap();
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn a_bad_project_is_refused_by_name() {
        let error = new_key(&args(PlanArg::Paid, "my shop")).unwrap_err();
        assert!(error.to_string().contains("--project"), "{error}");
    }
}
