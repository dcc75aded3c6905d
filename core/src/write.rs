//! kirim's JSON writer: what the core renders (operation results, request bodies) is written by
//! one small non-generic writer, fields passed as `&dyn ToJson`.
//!
//! Why not serde's derived `Serialize` with serde_json: every derived type compiled its own copy
//! of serde_json's serializer for each field type, a tenth of the `.wasm` (issue 4). The output
//! is byte-for-byte serde_json's compact form (same escapes, same field order); the public types
//! keep their serde derives for Rust users, and the test build checks the two agree on every
//! result of the shared vectors (feature `check-writer`).

/// `#[derive(ToJson)]`: the writer from the type's declaration and serde attributes.
pub use kirim_derive::ToJson;

// The writer itself is in kirim-json (built for speed in the .wasm); kirim's types use it here.
pub use kirim_json::write::{Object, ToJson, to_string, to_string_sized, write_str};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_as_serde_json_does() {
        let all: String = (0u8..0x80).map(char::from).chain("é€😀".chars()).collect();
        assert_eq!(
            to_string(all.as_str()),
            serde_json::to_string(&all).unwrap()
        );
    }

    #[test]
    fn escapes_between_runs_of_every_length_write_as_serde_json_does() {
        // The writer copies plain runs whole (eight bytes at a time): escapes and multi-byte
        // characters at every offset around those words, in pairs.
        let pieces = ["\"", "\\", "\n", "\u{1}", "\u{1f}", "é", "😀", "x"];
        for run in 0..20 {
            let plain = "abcdefghijklmnopqrstuvwxyz".get(..run).unwrap();
            for first in pieces {
                for second in pieces {
                    let text = format!("{plain}{first}{plain}{second}{plain}");
                    assert_eq!(
                        to_string(text.as_str()),
                        serde_json::to_string(&text).unwrap(),
                        "{text:?}"
                    );
                }
            }
        }
    }

    #[derive(ToJson)]
    struct Sample<'a> {
        name: &'a str,
        count: Option<u64>,
        #[json(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[json(skip_serializing_if = "Vec::is_empty")]
        list: Vec<i64>,
        flag: bool,
    }

    #[test]
    fn objects_write_fields_in_order_and_skip_as_asked() {
        let sample = Sample {
            name: "a\"b",
            count: None,
            note: None,
            list: vec![],
            flag: true,
        };
        assert_eq!(
            to_string(&sample),
            r#"{"name":"a\"b","count":null,"flag":true}"#
        );
        let sample = Sample {
            note: Some("n".into()),
            list: vec![-1, 2],
            count: Some(u64::MAX),
            ..sample
        };
        assert_eq!(
            to_string(&sample),
            r#"{"name":"a\"b","count":18446744073709551615,"note":"n","list":[-1,2],"flag":true}"#
        );
    }
}
