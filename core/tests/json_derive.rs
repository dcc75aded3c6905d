//! kirim-derive's `ToJson`/`FromJson` on shapes the core's own types do not all use: the
//! attributes must mean what serde's mean (the writer's output equals serde_json's), and the
//! reader must name its mismatches as the hand-written readers did.

use kirim::read::{FromJson, Read, Val, parse};
use kirim::write::{ToJson, to_string};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, ToJson, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Account {
    account_number: String,
    #[serde(rename = "holder")]
    account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    #[serde(default = "seven")]
    retries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn seven() -> u32 {
    7
}

#[derive(Debug, PartialEq, Serialize, ToJson, FromJson)]
#[serde(rename_all = "snake_case", tag = "kind")]
enum Shape {
    Dot,
    WideLine {
        length: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToJson, FromJson)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Level {
    Low,
    VeryHigh,
}

/// A reader-only wire type without serde: the same attributes under `json`.
#[derive(Debug, PartialEq, FromJson)]
#[json(rename_all = "camelCase")]
struct Totals {
    #[json(alias = "payoutsResults")]
    payout_results: Option<u32>,
}

fn read<T: FromJson>(text: &str) -> Read<T> {
    match parse(text.as_bytes()) {
        Ok(tree) => T::from_json(&Val::root(&tree, "input")),
        Err(e) => unreachable!("{text}: {e:?}"),
    }
}

fn failure<T: FromJson + std::fmt::Debug>(text: &str) -> (String, String) {
    match read::<T>(text) {
        Ok(value) => unreachable!("read {value:?} from {text}"),
        Err(m) => (m.path.clone(), m.detail.clone()),
    }
}

#[test]
fn the_writer_writes_what_serde_writes() {
    let full = Account {
        account_number: "123".into(),
        account_name: Some("A \"B\"".into()),
        aliases: vec!["x".into()],
        retries: 2,
        note: Some("n".into()),
    };
    let bare = Account {
        account_name: None,
        aliases: vec![],
        note: None,
        ..full.clone()
    };
    for account in [&full, &bare] {
        assert_eq!(to_string(account), serde_json::to_string(account).unwrap());
    }
    assert_eq!(
        to_string(&bare),
        r#"{"accountNumber":"123","holder":null,"retries":2}"#
    );
    let shapes = [
        Shape::Dot,
        Shape::WideLine {
            length: 3,
            label: None,
        },
        Shape::WideLine {
            length: 3,
            label: Some("l".into()),
        },
    ];
    for shape in &shapes {
        assert_eq!(to_string(shape), serde_json::to_string(shape).unwrap());
    }
    assert_eq!(to_string(&shapes[1]), r#"{"kind":"wide_line","length":3}"#);
    assert_eq!(to_string(&Level::VeryHigh), r#""VERY_HIGH""#);
}

#[test]
fn the_reader_follows_the_same_attributes() {
    assert_eq!(
        read::<Account>(r#"{"accountNumber":"1","holder":null}"#),
        Ok(Account {
            account_number: "1".into(),
            account_name: None,
            aliases: vec![],
            retries: 7,
            note: None,
        })
    );
    assert_eq!(
        read::<Shape>(r#"{"kind":"wide_line","length":4,"other":true}"#),
        Ok(Shape::WideLine {
            length: 4,
            label: None
        })
    );
    assert_eq!(read::<Shape>(r#"{"kind":"dot"}"#), Ok(Shape::Dot));
    assert_eq!(read::<Level>(r#""LOW""#), Ok(Level::Low));
    assert_eq!(
        read::<Totals>(r#"{"payoutsResults":3}"#),
        Ok(Totals {
            payout_results: Some(3)
        })
    );
}

#[test]
fn the_reader_names_each_mismatch() {
    assert_eq!(
        failure::<Account>(r#"{"holder":"a"}"#),
        (
            "input.accountNumber".into(),
            "missing field `accountNumber`".into()
        )
    );
    assert_eq!(
        failure::<Account>(r#"{"accountNumber":"1","account_name":"a"}"#).0,
        "input.account_name"
    );
    assert_eq!(
        failure::<Shape>(r#"{"kind":"wide_line"}"#),
        ("input.length".into(), "missing field `length`".into())
    );
    assert_eq!(failure::<Shape>(r#"{"kind":"circle"}"#).0, "input.kind");
    assert_eq!(failure::<Level>(r#""low""#).0, "input");
    assert_eq!(
        failure::<Totals>(r#"{"payoutResults":1,"payoutsResults":2}"#).1,
        "duplicate field `payoutsResults`"
    );
}
