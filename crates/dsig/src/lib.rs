//! XML-DSig verification and signing.
