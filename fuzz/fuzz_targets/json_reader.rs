//! kirim's JSON reader against serde_json on any bytes: both accept exactly the same documents
//! (within the nesting bound both keep; numbers beyond f64 aside), and an accepted document reads as the same value
//! (strings decoded alike, numbers equal, a repeated key's last value as serde_json keeps it).
//! Composite values keep their exact received text.
#![no_main]

use kirim::read::{Json, parse};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn to_value(json: &Json<'_>) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        // serde_json reads a number's text the same way whatever document holds it.
        Json::Number(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Json::String(text) => Value::String(text.to_string()),
        Json::Array(items, _) => Value::Array(items.iter().map(to_value).collect()),
        Json::Object(members, _) => {
            let mut map = Map::new();
            for (key, value) in members {
                map.insert(key.to_string(), to_value(value));
            }
            Value::Object(map)
        }
    }
}

fn check_raw(json: &Json<'_>) {
    match json {
        Json::Array(items, raw) => {
            assert!(raw.starts_with('[') && raw.ends_with(']'), "{raw}");
            items.iter().for_each(check_raw);
        }
        Json::Object(members, raw) => {
            assert!(raw.starts_with('{') && raw.ends_with('}'), "{raw}");
            members.iter().for_each(|(_, v)| check_raw(v));
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let ours = parse(data);
    let theirs = serde_json::from_slice::<Value>(data);
    match (&ours, &theirs) {
        (Ok(tree), Ok(value)) => {
            assert_eq!(&to_value(tree), value);
            check_raw(tree);
            if let Json::Array(_, raw) | Json::Object(_, raw) = tree {
                // The received text of a composite value is itself the same document.
                assert_eq!(parse(raw.as_bytes()).ok().as_ref(), Some(tree));
            }
        }
        (Err(_), Err(_)) => {}
        // A number beyond f64 (1e400) is JSON; kirim keeps its text, serde_json's Value cannot.
        (Ok(_), Err(e)) if e.to_string().starts_with("number out of range") => {}
        (Ok(tree), Err(e)) => panic!("kirim accepts what serde_json refuses ({e}): {tree:?}"),
        (Err(e), Ok(_)) => panic!("kirim refuses what serde_json accepts: {e:?}"),
    }
});
