//! The JSON API against the real binary: contract tests per endpoint on
//! real SDK traffic, the access rules, pagination, the OpenAPI document
//! (every operation answered and its bodies valid), a schemathesis run, and
//! the acceptance path of a new user with the real Python SDK and curl.

#[path = "../common/mod.rs"]
mod common;

mod acceptance;
mod access;
mod changes;
mod contract;
mod schema;
mod support;
