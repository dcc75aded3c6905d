//! Callbacks verified and answered by the core (`handle_callback`, `handle_notification`: verify,
//! then acknowledge, once per provider in the core), as records: the content when genuine, else
//! the error as data (`ErrorInfo`), and in both cases the exact response to send back.

use kirim::error::ErrorData;
use kirim::event::PayoutEvent;
use kirim::http::Acknowledgement;
use kirim::providers::common::Handled;

/// A Pivot callback handled in one step: its events when genuine, else the error; and in both
/// cases the exact response to send back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CallbackHandling {
    /// The verified events; absent when `error` is set.
    pub events: Option<Vec<PayoutEvent>>,
    /// Why the callback was refused, if it was.
    pub error: Option<ErrorData>,
    /// The response to send back.
    pub acknowledgement: Acknowledgement,
}

/// A gateway notification or a Paper.id callback handled in one step: its event when genuine,
/// else the error; and in both cases the exact response to send back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventHandling {
    /// The verified event; absent when `error` is set.
    pub event: Option<PayoutEvent>,
    /// Why it was refused, if it was.
    pub error: Option<ErrorData>,
    /// The response to send back.
    pub acknowledgement: Acknowledgement,
}

impl From<Handled<Vec<PayoutEvent>>> for CallbackHandling {
    fn from(handled: Handled<Vec<PayoutEvent>>) -> Self {
        let error = handled.result.as_ref().err().map(|e| (**e).clone());
        CallbackHandling {
            events: handled.result.ok(),
            error,
            acknowledgement: handled.acknowledgement,
        }
    }
}

impl From<Handled<PayoutEvent>> for EventHandling {
    fn from(handled: Handled<PayoutEvent>) -> Self {
        let error = handled.result.as_ref().err().map(|e| (**e).clone());
        EventHandling {
            event: handled.result.ok(),
            error,
            acknowledgement: handled.acknowledgement,
        }
    }
}
