//! Where a `RelayState` may send the person: never an open redirect.

/// The allowed destinations of a RelayState.
#[derive(Debug, Clone)]
pub struct RedirectRules {
    /// This service's public URL, without a trailing slash.
    pub base_url: String,
    /// Extra URL prefixes (`--allowed-redirect`).
    pub allowed_prefixes: Vec<String>,
}

/// Most characters of a RelayState considered (SAML bindings cap it at 80 bytes; IdPs send
/// longer deep links, so be generous but bounded).
const MAX_RELAY_STATE_CHARS: usize = 2048;

/// Whether `url` starts with `prefix` at a boundary: the prefix ends with `/`, or what follows
/// it is the end, `/`, `?` or `#` (so `https://good.example` never matches
/// `https://good.example.evil.test`).
fn under(url: &str, prefix: &str) -> bool {
    let Some(rest) = url.strip_prefix(prefix) else {
        return false;
    };
    prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#'])
}

impl RedirectRules {
    /// The absolute URL to send the person to for `relay_state`, or `None` (console home).
    ///
    /// Accepted: a path on this service (`/connect/federate/…`); a URL under the base URL; a
    /// URL under an allowed prefix; AWS's Connect federate URL
    /// (`https://<region>.console.aws.amazon.com/connect/federate/<instance-id>?destination=…`),
    /// mapped onto this service so an IdP application configured for AWS works by changing
    /// only its ACS URL.
    pub fn target(&self, relay_state: &str) -> Option<String> {
        let relay = relay_state.trim();
        if relay.is_empty()
            || relay.chars().count() > MAX_RELAY_STATE_CHARS
            || relay.chars().any(|c| c.is_control() || c == '\\')
        {
            return None;
        }
        if relay.starts_with('/') {
            // `//host` is scheme-relative: another site.
            return (!relay.starts_with("//")).then(|| format!("{}{relay}", self.base_url));
        }
        if under(relay, &self.base_url) {
            return Some(relay.to_owned());
        }
        if self
            .allowed_prefixes
            .iter()
            .any(|prefix| !prefix.is_empty() && under(relay, prefix))
        {
            return Some(relay.to_owned());
        }
        self.aws_federate(relay)
    }

    /// AWS's Connect federate URL mapped onto this service.
    fn aws_federate(&self, relay: &str) -> Option<String> {
        let rest = relay.strip_prefix("https://")?;
        let (host, path_and_query) = rest.split_at(rest.find('/')?);
        let aws_console = host == "console.aws.amazon.com"
            || host == "console.amazonaws-us-gov.com"
            || host
                .strip_suffix(".console.aws.amazon.com")
                .is_some_and(|region| {
                    !region.is_empty()
                        && region
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                });
        if !aws_console {
            return None;
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let instance_id = path.strip_prefix("/connect/federate/")?;
        if instance_id.is_empty()
            || !instance_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return None;
        }
        Some(match query {
            Some(query) => format!("{}/connect/federate/{instance_id}?{query}", self.base_url),
            None => format!("{}/connect/federate/{instance_id}", self.base_url),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RedirectRules {
        RedirectRules {
            base_url: "https://fedgate.example.com".to_owned(),
            allowed_prefixes: vec!["https://wiki.example.com/agents".to_owned()],
        }
    }

    #[test]
    fn keeps_paths_and_urls_of_this_service() {
        let rules = rules();
        assert_eq!(
            rules
                .target("/connect/federate/abc?destination=%2Fccp-v2")
                .as_deref(),
            Some("https://fedgate.example.com/connect/federate/abc?destination=%2Fccp-v2")
        );
        assert_eq!(
            rules
                .target("https://fedgate.example.com/console")
                .as_deref(),
            Some("https://fedgate.example.com/console")
        );
    }

    #[test]
    fn maps_aws_connect_federate_urls_onto_this_service() {
        let rules = rules();
        assert_eq!(
            rules
                .target("https://eu-west-2.console.aws.amazon.com/connect/federate/178c75e4-b3de-4839-a6aa-e321ab3f3770?destination=%2Fccp-v2")
                .as_deref(),
            Some("https://fedgate.example.com/connect/federate/178c75e4-b3de-4839-a6aa-e321ab3f3770?destination=%2Fccp-v2")
        );
        assert_eq!(
            rules
                .target("https://console.amazonaws-us-gov.com/connect/federate/abc")
                .as_deref(),
            Some("https://fedgate.example.com/connect/federate/abc")
        );
    }

    #[test]
    fn refuses_other_sites() {
        let rules = rules();
        for relay in [
            "https://evil.test/",
            "//evil.test/path",
            "https://fedgate.example.com.evil.test/",
            "https://fedgate.example.comx",
            "https://wiki.example.com/agentsx",
            "https://evil.console.aws.amazon.com.evil.test/connect/federate/abc",
            "https://us-east-1.console.aws.amazon.com/iam/home",
            "https://us-east-1.console.aws.amazon.com/connect/federate/../../x",
            "javascript:alert(1)",
            "/\\evil.test",
            "/ok\r\nSet-Cookie: x=y",
            "",
        ] {
            assert_eq!(rules.target(relay), None, "{relay:?}");
        }
        assert_eq!(
            rules
                .target("https://wiki.example.com/agents/howto")
                .as_deref(),
            Some("https://wiki.example.com/agents/howto")
        );
    }
}
