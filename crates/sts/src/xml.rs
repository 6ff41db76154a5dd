//! The contents of STS `…Result` elements. The server wraps them in
//! `<…Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><…Result>` with
//! `ResponseMetadata` (`fedgate_aws_wire::success_response`), as IAM's handlers do.

use fedgate_aws_wire::{XmlWriter, iso8601};

use crate::{CallerIdentity, RoleSession};

/// The content of `<AssumeRoleWithSAMLResult>` for `session`, in the order of AWS's published
/// example; `SourceIdentity` only when present. Contains the secret key and session token:
/// never log it.
#[must_use]
pub fn assume_role_with_saml_result_xml(session: &RoleSession) -> String {
    let credentials = session.credentials();
    let user = session.assumed_role_user();
    let mut w = XmlWriter::new();
    w.element("Audience", session.audience())
        .start("AssumedRoleUser")
        .element("AssumedRoleId", &user.assumed_role_id)
        .element("Arn", &user.arn)
        .end()
        .start("Credentials")
        .element("AccessKeyId", &credentials.access_key_id)
        .element("SecretAccessKey", credentials.secret_access_key.expose())
        .element("SessionToken", credentials.session_token.expose())
        .element("Expiration", &iso8601(credentials.expiration))
        .end()
        .element("Issuer", session.issuer())
        .element("NameQualifier", session.name_qualifier())
        .element(
            "PackedPolicySize",
            &session.packed_policy_size().to_string(),
        )
        .optional("SourceIdentity", session.source_identity())
        .element("Subject", session.subject())
        .element("SubjectType", session.subject_type());
    w.finish()
}

/// The content of `<GetCallerIdentityResult>`: `UserId`, `Account`, `Arn`.
#[must_use]
pub fn get_caller_identity_result_xml(identity: &CallerIdentity) -> String {
    let mut w = XmlWriter::new();
    w.element("UserId", &identity.user_id)
        .element("Account", &identity.account)
        .element("Arn", &identity.arn);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_writes_caller_identity() {
        let identity = CallerIdentity::for_long_term_key(
            "AIDA<x>&",
            "123456789012",
            "arn:aws:iam::123456789012:user/alice",
        );
        assert_eq!(
            get_caller_identity_result_xml(&identity),
            "<UserId>AIDA&lt;x&gt;&amp;</UserId>\
             <Account>123456789012</Account>\
             <Arn>arn:aws:iam::123456789012:user/alice</Arn>"
        );
    }
}
