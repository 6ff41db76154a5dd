-- fedgate schema: one revision for all IAM data.
--
-- Every transaction that changes a SAML provider, a role (its trust policy, tags, inline
-- policies, attachments) or a managed policy replaces `revision` with a fresh random value, in
-- that transaction, as its last statement. A node that reads the value it read before knows that
-- nothing it cached from those tables changed, on any node: the sign-in path reads this one row
-- per request while its caches are warm (fedgate-iam's Snapshot).
CREATE TABLE iam_revision (
    id BIGINT PRIMARY KEY NOT NULL,
    revision BIGINT NOT NULL
);

INSERT INTO iam_revision (id, revision) VALUES (1, 0);
