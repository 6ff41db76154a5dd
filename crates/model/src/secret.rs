//! A value that must never reach a log: secret keys, session tokens, raw assertions.

use std::fmt;

/// Wraps a secret so that `Debug` prints `Secret([redacted])`. Read it with
/// [`Secret::expose`], a name that stands out in review.
///
/// The one `Secret` of fedgate (`fedgate_store::Secret` and `fedgate_sts::Secret` are this
/// type, re-exported).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value. Call sites are where a secret leaves its wrapper: keep them few.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lower-case like the other redacting `Debug`s of the store (MasterKey, SecretBox).
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(
            format!("{:#?}", Some(&secret)),
            "Some(\n    Secret([redacted]),\n)"
        );
        assert_eq!(secret.expose(), "wJalrXUtnFEMI/K7MDENG");
        assert_eq!(Secret::from(7).into_inner(), 7);
    }
}
