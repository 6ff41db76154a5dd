//! Session tokens: round trip, tampering (every byte), wrong key, expiry, garbage, size cap;
//! and `GetCallerIdentity` for a session.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration test: a failed step aborts the test with its message"
)]

mod common;

use base64::Engine as _;
use common::*;
use fedgate_sts::{
    CallerIdentity, MAX_SESSION_TOKEN_CHARS, SESSION_TOKEN_PREFIX, SessionTokenKey, StsError,
    get_caller_identity_result_xml, open_session_token, to_aws,
};
use time::Duration;

fn invalid(result: Result<fedgate_sts::SessionClaims, StsError>) -> &'static str {
    match result {
        Ok(claims) => panic!("accepted: {claims:?}"),
        Err(error) => {
            assert_eq!(
                to_aws(&error),
                (
                    "InvalidClientTokenId",
                    403,
                    "The security token included in the request is invalid.".to_owned()
                )
            );
            error.cause_code()
        }
    }
}

#[test]
fn round_trips_the_session() {
    let session = session_via_a();
    let token = session.credentials().session_token.expose();
    let claims = open_session_token(token, &token_key(), NOW + Duration::minutes(59)).unwrap();
    assert_eq!(claims.access_key_id(), session.credentials().access_key_id);
    assert_eq!(
        claims.secret_access_key(),
        &session.credentials().secret_access_key
    );
    assert_eq!(claims.expiration(), session.credentials().expiration);
    assert_eq!(claims.issued_at(), NOW);
    assert_eq!(claims.role_arn(), ROLE_ARN);
    assert_eq!(claims.role_id(), ROLE_ID);
    assert_eq!(claims.role_name(), "ConnectSaml");
    assert_eq!(claims.session_name(), "alice");
    assert_eq!(claims.account_id(), ACCOUNT);
    assert_eq!(claims.source_identity(), None);
    assert!(claims.session_policies().is_empty());
    assert!(claims.tags().is_empty());
    assert_eq!(claims.assumed_role_arn(), session.assumed_role_user().arn);
    claims
        .check_access_key_id(&session.credentials().access_key_id)
        .unwrap();
    let error = claims
        .check_access_key_id("ASIAAAAAAAAAAAAAAAAA")
        .unwrap_err();
    assert_eq!(error.code(), "InvalidClientTokenId");
    assert!(!format!("{claims:?}").contains(session.credentials().secret_access_key.expose()));
}

#[test]
fn refuses_every_single_byte_change() {
    let session = session_via_a();
    let token = session.credentials().session_token.expose();
    let key = token_key();
    for index in 0..token.len() {
        for flip in [0x01_u8, 0x20] {
            let mut bytes = token.clone().into_bytes();
            bytes[index] ^= flip;
            let Ok(changed) = String::from_utf8(bytes) else {
                continue;
            };
            let _cause = invalid(open_session_token(&changed, &key, NOW));
        }
    }
    // Below base64: flip each bit position of each sealed byte, re-encode.
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sealed = engine
        .decode(token.strip_prefix(SESSION_TOKEN_PREFIX).unwrap())
        .unwrap();
    for index in 0..sealed.len() {
        let mut changed = sealed.clone();
        changed[index] ^= 1 << (index % 8);
        let changed = format!("{SESSION_TOKEN_PREFIX}{}", engine.encode(&changed));
        assert_eq!(
            invalid(open_session_token(&changed, &key, NOW)),
            "token_unauthentic"
        );
    }
    // Every truncation.
    for end in 0..token.len() {
        let _cause = invalid(open_session_token(&token[..end], &key, NOW));
    }
}

#[test]
fn refuses_another_key() {
    let session = session_via_a();
    let other = SessionTokenKey::new(&[8; 32]).unwrap();
    assert_eq!(
        invalid(open_session_token(
            session.credentials().session_token.expose(),
            &other,
            NOW
        )),
        "token_unauthentic"
    );
}

#[test]
fn refuses_an_expired_token() {
    let session = session_via_a();
    let expiration = session.credentials().expiration;
    let token = session.credentials().session_token.expose();
    for now in [expiration, expiration + Duration::days(1)] {
        let error = open_session_token(token, &token_key(), now).unwrap_err();
        assert_eq!(
            to_aws(&error),
            (
                "ExpiredToken",
                403,
                "The security token included in the request is expired".to_owned()
            )
        );
    }
    open_session_token(token, &token_key(), expiration - Duration::seconds(1)).unwrap();
}

#[test]
fn refuses_garbage_and_oversized_tokens() {
    let key = token_key();
    for garbage in [
        "",
        "fgst1_",
        "fgst1_AAAA",
        "fgst1_!!!!",
        "FwoGZXIvYXdzEBYaDHhBTEXAMPLE",
        &format!("{SESSION_TOKEN_PREFIX}{}", "A".repeat(64)),
    ] {
        let _cause = invalid(open_session_token(garbage, &key, NOW));
    }
    let huge = format!(
        "{SESSION_TOKEN_PREFIX}{}",
        "A".repeat(MAX_SESSION_TOKEN_CHARS)
    );
    assert_eq!(
        invalid(open_session_token(&huge, &key, NOW)),
        "token_too_large"
    );
}

#[test]
fn never_shows_the_key_in_debug() {
    assert_eq!(format!("{:?}", token_key()), "SessionTokenKey([REDACTED])");
}

#[test]
fn answers_get_caller_identity_for_a_session_and_a_user() {
    let session = session_via_a();
    let claims = open_session_token(
        session.credentials().session_token.expose(),
        &token_key(),
        NOW,
    )
    .unwrap();
    let identity = CallerIdentity::for_session(&claims);
    assert_eq!(identity.user_id, format!("{ROLE_ID}:alice"));
    assert_eq!(identity.account, ACCOUNT);
    assert_eq!(
        identity.arn,
        "arn:aws:sts::123456789012:assumed-role/ConnectSaml/alice"
    );
    assert_eq!(
        get_caller_identity_result_xml(&identity),
        format!(
            "<UserId>{ROLE_ID}:alice</UserId>\
             <Account>123456789012</Account>\
             <Arn>arn:aws:sts::123456789012:assumed-role/ConnectSaml/alice</Arn>\
             "
        )
    );
    let user = CallerIdentity::for_long_term_key(
        "AIDAJQABLZS4A3QDU576Q",
        ACCOUNT,
        "arn:aws:iam::123456789012:user/admin",
    );
    assert!(
        get_caller_identity_result_xml(&user)
            .contains("<Arn>arn:aws:iam::123456789012:user/admin</Arn>")
    );
}
