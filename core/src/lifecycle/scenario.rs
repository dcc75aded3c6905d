//! `lifecycle.scenario`: drives one machine through a list of steps and reports the action and
//! state after each, so that the shared scenario vectors run in every language's runner
//! through the operation interface.
//!
//! Input: `provider` (`pivot` | `gateway`), `config` (the provider's), `order`, `now` (when the
//! machine is created), optional `settings`, optional `snapshot` (a stored snapshot's text: the
//! machine is restored from it instead), and `steps`, each one of:
//! - `{"poll": t}`: the action at `t`;
//! - `{"response": outcome, "now": t}`: the answer to the last send, then the action at `t`;
//! - `{"callback": {"headers": [...], "body": ...}, "now": t}`: a callback, verified by the
//!   provider's rules (a forged one is refused and changes nothing), then the action at `t`;
//! - `{"unverified_callback": {"body": ...}, "now": t}`: a callback read WITHOUT verification
//!   (its events are tentative: they may ask for a query, never decide), then the action at `t`;
//! - `{"restore": true, "now": t}`: snapshot, restore a new machine from it, then the action.
//!
//! Output: `{"steps": [{"action", "state", ...}]}`; a callback step adds `verdicts` (one per
//! event), `error` (verification) and `acknowledgement`; a restore step adds `snapshot_version`.

use super::PayoutOrder;
use super::contract::PayoutProvider;
use super::host::{self, DynLifecycle};
use super::machine::PayoutLifecycle;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{Header, HttpOutcome};
use crate::operations::Input;
use crate::read::{FromJson, Read, Val};
use crate::write::{Object, ToJson};

/// The most steps one scenario may have (a scenario is a test, not a workload).
const MAX_STEPS: usize = 1000;

pub(crate) fn run(name: &str, input: &Input) -> Result<String> {
    if name != "scenario" {
        return Err(crate::operations::unknown(&format!("lifecycle.{name}")));
    }
    let provider: String = input.get("provider")?;
    let config = input.arg("config").unwrap_or(&crate::read::Json::Null);
    // The machine a binding owns (`DynLifecycle`: one machine for every provider, compiled
    // once), so the typed machines and these vectors run the same code; a restore step takes a
    // provider configured again, as a restarted host would.
    let configured = || -> Result<Box<dyn PayoutProvider>> {
        host::lifecycle_provider(crate::providers::Configured::from_config(
            &provider, config,
        )?)
    };
    scenario(&configured, input)
}

enum Step {
    Poll(i64),
    Response(HttpOutcome, i64),
    Callback(Vec<Header>, Vec<u8>, i64),
    Unverified(Vec<u8>, i64),
    Restore(i64),
}

impl FromJson for Step {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        o.deny_unknown(&[
            "poll",
            "response",
            "callback",
            "unverified_callback",
            "restore",
            "now",
        ])?;
        if let Some(at) = o.opt::<i64>("poll")? {
            return Ok(Step::Poll(at));
        }
        let now: i64 = o.req("now")?;
        if let Some(outcome) = o.opt::<HttpOutcome>("response")? {
            return Ok(Step::Response(outcome, now));
        }
        if let Some(callback) = o.opt::<CallbackIn>("callback")? {
            return Ok(Step::Callback(callback.headers, callback.body, now));
        }
        if let Some(callback) = o.opt::<CallbackIn>("unverified_callback")? {
            return Ok(Step::Unverified(callback.body, now));
        }
        if o.opt::<bool>("restore")? == Some(true) {
            return Ok(Step::Restore(now));
        }
        Err(value
            .mismatch("a step is one of poll, response, callback, unverified_callback, restore"))
    }
}

struct CallbackIn {
    headers: Vec<Header>,
    body: Vec<u8>,
}
impl FromJson for CallbackIn {
    fn from_json(value: &Val<'_>) -> Read<Self> {
        let o = value.object()?;
        o.deny_unknown(&["headers", "body"])?;
        Ok(CallbackIn {
            headers: o.or_default("headers")?,
            body: o.req::<crate::http::BodyText>("body")?.0,
        })
    }
}

fn scenario(
    configured: &dyn Fn() -> Result<Box<dyn PayoutProvider>>,
    input: &Input,
) -> Result<String> {
    let provider = configured()?;
    let order: PayoutOrder = input.get("order")?;
    let settings = host::settings_with(&*provider, input.get("settings")?);
    let steps: Vec<Step> = input.get("steps")?;
    if steps.len() > MAX_STEPS {
        return Err(Error::field(
            ErrorCode::InvalidField,
            "steps",
            format!("a scenario has at most {MAX_STEPS} steps"),
        ));
    }
    // A stored snapshot, when given, is the machine to continue (the order is in it).
    let mut machine: DynLifecycle<'_> = match input.get::<Option<String>>("snapshot")? {
        Some(text) => PayoutLifecycle::restore(provider, &text)?,
        None => PayoutLifecycle::new(provider, order, settings, input.get("now")?)?,
    };
    let mut out = String::with_capacity(1024);
    let mut object = Object::begin(&mut out);
    let mut results = Vec::with_capacity(steps.len());
    for step in steps {
        let mut result = StepOut::default();
        let now = match step {
            Step::Poll(now) => now,
            Step::Response(outcome, now) => {
                result.error = machine.handle_response(&outcome, now).err();
                now
            }
            Step::Callback(headers, body, now) => {
                callback(
                    &mut result,
                    host::handle_callback(&mut machine, &headers, &body, now),
                );
                now
            }
            Step::Unverified(body, now) => {
                callback(
                    &mut result,
                    host::handle_unverified_callback(&mut machine, &body, now),
                );
                now
            }
            Step::Restore(now) => {
                let text = machine.snapshot();
                machine = PayoutLifecycle::restore(configured()?, &text)?;
                result.snapshot_version = Some(super::SNAPSHOT_VERSION);
                now
            }
        };
        result.action = Some(crate::write::to_string(&machine.poll(now)));
        result.state = host::state_json(&machine);
        results.push(result);
    }
    object.field("steps", &results);
    object.end();
    Ok(out)
}

#[derive(Default)]
struct StepOut {
    action: Option<String>,
    state: String,
    error: Option<Error>,
    verdicts: Option<Vec<super::EventVerdict>>,
    acknowledgement: Option<crate::http::Acknowledgement>,
    snapshot_version: Option<u32>,
}

/// Text already rendered as JSON, written as is.
struct Raw<'a>(&'a str);
impl ToJson for Raw<'_> {
    fn write_json(&self, out: &mut String) {
        out.push_str(self.0);
    }
}

impl ToJson for StepOut {
    fn write_json(&self, out: &mut String) {
        let mut o = Object::begin(out);
        if let Some(action) = &self.action {
            o.field("action", &Raw(action));
        }
        o.field("state", &Raw(&self.state));
        if let Some(error) = &self.error {
            o.field("error", error);
        }
        if let Some(verdicts) = &self.verdicts {
            o.field("verdicts", verdicts);
        }
        if let Some(ack) = &self.acknowledgement {
            o.field("acknowledgement", ack);
        }
        if let Some(version) = &self.snapshot_version {
            o.field("snapshot_version", version);
        }
        o.end();
    }
}

fn callback(result: &mut StepOut, handled: host::CallbackResult) {
    result.verdicts = handled.verdicts;
    result.error = handled.error.map(Error::from);
    result.acknowledgement = handled.acknowledgement;
}
