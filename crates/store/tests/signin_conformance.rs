//! The sign-in tables on every backend: audit log (group appends, filters, order), ended
//! sessions, and the replay guard's take-over of expired rows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use fedgate_store::{
    AuditEvent, AuditLog as _, AuditOutcome, AuditQuery, EndedSessions as _, MAX_AUDIT_BATCH,
    ReplayCache as _, Store,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-12-04 10:00:00 UTC);

fn event(n: i64, outcome: AuditOutcome, provider: Option<&str>) -> AuditEvent {
    AuditEvent {
        reference: format!("ref{n:04}"),
        time: NOW + Duration::milliseconds(n * 250),
        event: "saml_sign_in".to_owned(),
        outcome,
        error_code: (outcome == AuditOutcome::Failure).then(|| "replayed".to_owned()),
        detail: (outcome == AuditOutcome::Failure).then(|| "already used".to_owned()),
        instance_id: None,
        provider_arn: provider.map(str::to_owned),
        issuer: Some("https://idp-a.example.test/saml".to_owned()),
        subject: Some("alice".to_owned()),
        session_name: Some("alice".to_owned()),
        role_arn: None,
        client: Some("127.0.0.1".to_owned()),
    }
}

async fn audit_appends_in_groups_and_lists_in_order(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let a = "arn:aws:iam::000000000000:saml-provider/A";
    let b = "arn:aws:iam::000000000000:saml-provider/B";
    let batch: Vec<_> = (0..5)
        .map(|n| {
            let outcome = if n % 2 == 0 {
                AuditOutcome::Success
            } else {
                AuditOutcome::Failure
            };
            event(n, outcome, Some(if n < 3 { a } else { b }))
        })
        .collect();
    store.append_audit(&batch).await.unwrap();
    store.append_audit(&[]).await.unwrap();
    store
        .append_audit(&[event(9, AuditOutcome::Success, None)])
        .await
        .unwrap();
    let all = store
        .list_audit(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let references: Vec<_> = all.iter().map(|e| e.reference.as_str()).collect();
    assert_eq!(
        references,
        [
            "ref0000", "ref0001", "ref0002", "ref0003", "ref0004", "ref0009"
        ]
    );
    assert_eq!(
        all[1], batch[1],
        "every field round-trips, microseconds included"
    );
    let failures_of_a = store
        .list_audit(&AuditQuery {
            outcome: Some(AuditOutcome::Failure),
            provider_arn: Some(a.to_owned()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(failures_of_a.len(), 1);
    assert_eq!(failures_of_a[0].reference, "ref0001");
    let newest_two = store
        .list_audit(&AuditQuery {
            since: Some(NOW),
            limit: 2,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let references: Vec<_> = newest_two.iter().map(|e| e.reference.as_str()).collect();
    assert_eq!(
        references,
        ["ref0004", "ref0009"],
        "the newest, oldest first"
    );
    let too_many: Vec<_> = (0..=i64::try_from(MAX_AUDIT_BATCH).unwrap())
        .map(|n| event(100 + n, AuditOutcome::Success, None))
        .collect();
    assert!(store.append_audit(&too_many).await.is_err());
    let full: Vec<_> = too_many.into_iter().take(MAX_AUDIT_BATCH).collect();
    store.append_audit(&full).await.unwrap();
}

async fn ended_sessions_are_shared(url: String) {
    let store = Store::connect(&url).await.unwrap();
    assert!(!store.session_ended("s1").await.unwrap());
    store
        .end_session("s1", NOW + Duration::hours(1), NOW)
        .await
        .unwrap();
    store
        .end_session("s1", NOW + Duration::hours(1), NOW)
        .await
        .unwrap();
    let other_node = Store::connect(&url).await.unwrap();
    assert!(other_node.session_ended("s1").await.unwrap());
    // Expired entries are purged by the next sign-out.
    other_node
        .end_session("s2", NOW + Duration::hours(3), NOW + Duration::hours(2))
        .await
        .unwrap();
    assert!(!other_node.session_ended("s1").await.unwrap());
    assert!(other_node.session_ended("s2").await.unwrap());
}

async fn replay_guard_takes_over_expired_rows_only(url: String) {
    let store = Store::connect(&url).await.unwrap();
    let p = "arn:aws:iam::000000000000:saml-provider/A";
    let until = NOW + Duration::minutes(5);
    assert!(store.record_assertion(p, "_a1", until, NOW).await.unwrap());
    assert!(!store.record_assertion(p, "_a1", until, NOW).await.unwrap());
    // the same ID through another provider is another assertion
    assert!(
        store
            .record_assertion(
                "arn:aws:iam::000000000000:saml-provider/B",
                "_a1",
                until,
                NOW
            )
            .await
            .unwrap()
    );
    // once expired, the ID may be recorded again (and is then live again)
    let later = until + Duration::seconds(1);
    assert!(
        store
            .record_assertion(p, "_a1", later + Duration::minutes(5), later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_assertion(p, "_a1", later, later)
            .await
            .unwrap()
    );
}

fedgate_store::conformance_tests!(
    audit_appends_in_groups_and_lists_in_order,
    ended_sessions_are_shared,
    replay_guard_takes_over_expired_rows_only,
);
