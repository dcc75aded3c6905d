//! What the property tests share: their proptest configuration, and the payout statuses with
//! their progress rank (`statuses`, also the fuzz crate's: fuzz/src/lib.rs includes that file).

// Each test crate uses only part of this module.
#![allow(dead_code)]

pub mod statuses;

use proptest::test_runner::{Config, FileFailurePersistence};

/// `cases` cases; a failing case is saved in `regressions` (a path beside the test file: the
/// default looks for a lib.rs above it, which an integration test does not have, and warns on
/// every run).
pub fn proptest_config(cases: u32, regressions: &'static str) -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::with_cases(cases)
    }
}
