//! The core's one error crosses as itself: `kirim::Error` is the exception (Kotlin
//! `KirimException`, Swift `KirimError`) and `kirim::error::ErrorData` the plain record
//! (`ErrorInfo`) that results carry instead of failing. Only the split of a handled callback
//! into the handling records' fields lives here.

/// A callback verified and answered by the core (`handle_callback`, `handle_notification`),
/// as the handling records carry it: the content when genuine, else the error; and the answer.
pub(crate) fn split_handled<T>(
    handled: kirim::providers::common::Handled<T>,
) -> (
    Option<T>,
    Option<kirim::error::ErrorData>,
    kirim::Acknowledgement,
) {
    let (content, error) = match handled.result {
        Ok(content) => (Some(content), None),
        Err(error) => (None, Some(error.into_data())),
    };
    (content, error, handled.acknowledgement)
}
