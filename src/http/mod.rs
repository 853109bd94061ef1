//! HTTP as every stage of a publish uses it: one client ([`client`]), one retry driver that
//! retries by time ([`retry`]), the message in an error body ([`body`]), and a URL that never
//! shows its credentials ([`url::SafeUrl`]). `auth/`, `attest/` and `index/` build on this;
//! none of them on each other for it.

pub mod body;
pub mod client;
pub mod retry;
pub mod url;

pub use self::retry::{Failure, RetryPolicy, retry};
pub use self::url::SafeUrl;
