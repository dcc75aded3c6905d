//! The payout statuses and their order of progress, as the status-merging properties
//! (core/tests/properties.rs) and the status fuzz target (fuzz/fuzz_targets/status_merge.rs)
//! check them: written here once, independently of the core's own ranking.

use kirim::PayoutStatus;

/// Every payout status.
pub const ALL: [PayoutStatus; 8] = [
    PayoutStatus::Pending,
    PayoutStatus::Processing,
    PayoutStatus::Delayed,
    PayoutStatus::Succeeded,
    PayoutStatus::Failed,
    PayoutStatus::Cancelled,
    PayoutStatus::Reversed,
    PayoutStatus::Unknown,
];

/// Unknown < Pending = Processing = Delayed < Succeeded = Failed = Cancelled < Reversed.
/// (Pending, Processing and Delayed are peers: the latest wins, so a top-up hold shows.)
pub fn rank(s: PayoutStatus) -> u8 {
    match s {
        PayoutStatus::Unknown => 0,
        PayoutStatus::Pending | PayoutStatus::Processing | PayoutStatus::Delayed => 1,
        PayoutStatus::Succeeded | PayoutStatus::Failed | PayoutStatus::Cancelled => 2,
        PayoutStatus::Reversed => 3,
    }
}
