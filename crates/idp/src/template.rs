//! Attribute templates: fixed text with `${user.username}`, `${user.email}`,
//! `${user.display_name}`, `${user.groups}` and `${user.<attribute>}` placeholders.
//!
//! Parsed once when the configuration is checked; a template that is exactly
//! `${user.groups}` gives one value per group, anywhere else the groups are joined with `,`.

use crate::config::UserConfig;

/// Longest template.
const MAX_TEMPLATE_CHARS: usize = 1024;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Username,
    Email,
    DisplayName,
    Groups,
    Attribute(String),
}

impl Template {
    /// Parses `text`.
    ///
    /// # Errors
    /// An unclosed `${`, an empty or unknown placeholder, or a template over 1024 characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > MAX_TEMPLATE_CHARS {
            return Err(format!(
                "a template is at most {MAX_TEMPLATE_CHARS} characters"
            ));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let (before, after) = rest.split_at(start);
            if !before.is_empty() {
                parts.push(Part::Text(before.to_owned()));
            }
            let after = after.get(2..).unwrap_or_default();
            let end = after
                .find('}')
                .ok_or_else(|| format!("template {text:?} has an unclosed ${{"))?;
            let name = after.get(..end).unwrap_or_default();
            parts.push(match name {
                "user.username" => Part::Username,
                "user.email" => Part::Email,
                "user.display_name" => Part::DisplayName,
                "user.groups" => Part::Groups,
                other => match other.strip_prefix("user.") {
                    Some(attribute) if !attribute.is_empty() => {
                        Part::Attribute(attribute.to_owned())
                    }
                    _ => {
                        return Err(format!(
                            "template {text:?}: unknown placeholder ${{{other}}} (use ${{user.username}}, ${{user.email}}, ${{user.groups}} or ${{user.<attribute>}})"
                        ));
                    }
                },
            });
            rest = after.get(end + 1..).unwrap_or_default();
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The values for `user`: none when a placeholder has no value for this user (no e-mail
    /// address, an attribute it lacks), one per group for exactly `${user.groups}`.
    #[must_use]
    pub fn render(&self, user: &UserConfig) -> Vec<String> {
        if let [Part::Groups] = self.parts.as_slice() {
            return user.groups.clone();
        }
        let mut out = String::new();
        for part in &self.parts {
            let value = match part {
                Part::Text(text) => Some(text.as_str()),
                Part::Username => Some(user.username.as_str()),
                Part::Email => user.email.as_deref(),
                Part::DisplayName => user.display_name.as_deref(),
                Part::Attribute(name) => user.attributes.get(name).map(String::as_str),
                Part::Groups => {
                    out.push_str(&user.groups.join(","));
                    continue;
                }
            };
            match value {
                Some(value) => out.push_str(value),
                None => return Vec::new(),
            }
        }
        vec![out]
    }

    /// The single value for `user`, when there is exactly one.
    #[must_use]
    pub fn render_one(&self, user: &UserConfig) -> Option<String> {
        let mut values = self.render(user);
        (values.len() == 1).then(|| values.remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserConfig {
        UserConfig {
            username: "alice".into(),
            password_hash: String::new(),
            email: Some("alice@example.com".into()),
            display_name: None,
            groups: vec!["agents".into(), "supervisors".into()],
            attributes: [("department".to_owned(), "support".to_owned())].into(),
        }
    }

    #[test]
    fn placeholders_render_from_the_user() {
        let render = |text: &str| Template::parse(text).unwrap().render(&alice());
        assert_eq!(render("${user.username}"), ["alice"]);
        assert_eq!(
            render("mailto:${user.email}!"),
            ["mailto:alice@example.com!"]
        );
        assert_eq!(render("${user.groups}"), ["agents", "supervisors"]);
        assert_eq!(render("g=${user.groups}"), ["g=agents,supervisors"]);
        assert_eq!(
            render("${user.department}/${user.username}"),
            ["support/alice"]
        );
        assert_eq!(render("fixed"), ["fixed"]);
        assert!(
            render("${user.display_name}").is_empty(),
            "no value, no attribute value"
        );
        assert!(render("${user.missing}").is_empty());
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in ["${user.username", "${}", "${env.HOME}", "${user.}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        assert!(Template::parse(&"x".repeat(1025)).is_err());
    }
}
