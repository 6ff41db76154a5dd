//! The AWS wire formats fedgate speaks, with no I/O and no business logic.
//!
//! - [`QueryRequest`]: the AWS Query protocol request (`Action=…&Version=…&…`) decoded from the
//!   URL query string and an `application/x-www-form-urlencoded` body, within [`QueryLimits`];
//!   list and structure-list members (`Tags.member.N.Key`) read back in index order.
//! - [`XmlWriter`], [`success_response`], [`error_response`]: the XML the Query protocol answers
//!   with, escaped so that no value can change the document's structure.
//! - [`AwsError`]: an AWS error code, message and HTTP status, the one value every Query-protocol
//!   failure becomes before it is written with [`error_response`].
//! - [`sigv4`]: AWS Signature Version 4 verification in two steps (parse, then verify with the
//!   secret the caller looked up), for the `Authorization` header and presigned query forms.
//!
//! Time is always passed in: nothing here reads the clock.

mod encoding;
mod error;
mod query;
pub mod sigv4;
mod xml;

pub use encoding::percent_encode;
pub use error::AwsError;
pub use query::{MAX_LIST_MEMBERS, MAX_PARAMS, MAX_REQUEST_BYTES, QueryLimits, QueryRequest};
pub use xml::{XmlWriter, error_response, iso8601, success_response};

/// The AWS services whose Query protocol fedgate answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// AWS Identity and Access Management, API version 2010-05-08.
    Iam,
    /// AWS Security Token Service, API version 2011-06-15.
    Sts,
}

/// The region AWS signs IAM (a global service) for in the `aws` partition.
pub const IAM_SIGNING_REGION: &str = "us-east-1";

impl Service {
    /// The XML namespace of the service's responses (`xmlns` of the root element).
    #[must_use]
    pub const fn namespace(self) -> &'static str {
        match self {
            Self::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Self::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    /// The API version clients send as the `Version` parameter.
    #[must_use]
    pub const fn version(self) -> &'static str {
        match self {
            Self::Iam => "2010-05-08",
            Self::Sts => "2011-06-15",
        }
    }

    /// The service name in a SigV4 credential scope (`AKID/20260101/us-east-1/iam/aws4_request`).
    #[must_use]
    pub const fn signing_name(self) -> &'static str {
        match self {
            Self::Iam => "iam",
            Self::Sts => "sts",
        }
    }

    /// The regions a request to this service may be signed for at an endpoint that plays
    /// `region`: STS is regional (only `region`, as a regional STS endpoint); IAM is global and
    /// AWS signs it for `us-east-1`, which is accepted besides `region` (SDKs pointed at a
    /// custom endpoint sign with their configured region).
    #[must_use]
    pub fn signing_regions(self, region: &str) -> Vec<&str> {
        match self {
            Self::Iam if region != IAM_SIGNING_REGION => vec![region, IAM_SIGNING_REGION],
            Self::Iam | Self::Sts => vec![region],
        }
    }

    /// The service whose SigV4 signing name is `name` (`"iam"` or `"sts"`), if any.
    #[must_use]
    pub fn from_signing_name(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Self::Iam),
            "sts" => Some(Self::Sts),
            _ => None,
        }
    }
}
