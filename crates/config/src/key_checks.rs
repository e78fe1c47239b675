//! The start-up checks of the key settings: no documented placeholder outside a demo, and
//! a pepper wherever digests need one.

use crate::keys::PLACEHOLDER_KEYS;
use crate::{invalid, ConfigError, Settings};

impl Settings {
    /// Refuses a documented placeholder as a key or pepper (unless this is a demo), and
    /// digests without the pepper they were made with.
    pub(crate) fn check_keys(&self) -> Result<(), ConfigError> {
        if !self.demo {
            if let Some(placeholder) = self.api_keys.placeholder() {
                return Err(invalid(
                    "api_keys",
                    format!(
                        "`{placeholder}` is a documented placeholder, which anyone can guess: \
                         generate a key with `crawler keys new`, or set demo = true \
                         (CRAWLER_DEMO=true) for a throwaway demo"
                    ),
                ));
            }
            if PLACEHOLDER_KEYS.contains(&self.api_key_pepper.as_str()) {
                return Err(invalid(
                    "api_key_pepper",
                    "is a documented placeholder: use a long random value (`crawler keys new` \
                     prints one), or set demo = true for a throwaway demo",
                ));
            }
        }
        if self.api_keys.has_digests() && self.api_key_pepper.is_empty() {
            return Err(invalid(
                "api_key_pepper",
                "is empty, but api_keys holds sha256hmac digests, which only the pepper they \
                 were made with can match",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
// figment's `Jail` closures must return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use crate::{keys, Plan, Settings};

    #[test]
    fn placeholder_keys_and_peppers_are_refused_unless_this_is_a_demo() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRAWLER_API_KEYS", "real-key,change-me:free");
            let error = Settings::load(None).unwrap_err().to_string();
            assert!(
                error.contains("api_keys") && error.contains("change-me"),
                "{error}"
            );
            jail.set_env("CRAWLER_API_KEYS", "real-key");
            jail.set_env("CRAWLER_API_KEY_PEPPER", "change-me");
            let error = Settings::load(None).unwrap_err().to_string();
            assert!(error.contains("api_key_pepper"), "{error}");
            jail.set_env("CRAWLER_API_KEYS", "change-me");
            jail.set_env("CRAWLER_DEMO", "true");
            let s = Settings::load(None).expect("a demo may use the placeholders");
            assert!(s.api_keys.lookup("change-me", "change-me").is_some());
            Ok(())
        });
    }

    #[test]
    fn digests_need_the_pepper_they_were_made_with() {
        figment::Jail::expect_with(|jail| {
            let entry = keys::digest_entry("pep", "the-key", Plan::Free, &Default::default());
            jail.set_env("CRAWLER_API_KEYS", &entry);
            let error = Settings::load(None).unwrap_err().to_string();
            assert!(error.contains("api_key_pepper"), "{error}");
            jail.set_env("CRAWLER_API_KEY_PEPPER", "pep");
            let s = Settings::load(None).expect("loads");
            assert_eq!(
                s.api_keys.lookup("the-key", "pep").map(|k| k.plan),
                Some(Plan::Free)
            );
            Ok(())
        });
    }
}
