//! The JSON text, written: the `ToJson` trait, strings escaped as serde_json escapes them,
//! objects member by member, and the impls for std's types (`kirim::write` re-exports them; the
//! derive `ToJson` writes each of kirim's types with them).

use std::fmt::Write as _;

/// A value kirim renders as JSON.
pub trait ToJson {
    fn write_json(&self, out: &mut String);
}

/// `value` as compact JSON text.
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> String {
    let mut out = String::with_capacity(256);
    value.write_json(&mut out);
    out
}

/// `to_string` into a buffer of `capacity` bytes to start with (one compiled body: `dyn`).
pub fn to_string_sized(value: &dyn ToJson, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    value.write_json(&mut out);
    out
}

/// Writes `text` as a JSON string, escaped as serde_json escapes: `"`, `\` and control
/// characters below U+0020 (short forms where JSON has them); everything else as is.
pub fn write_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    // Each run of plain characters in one scan and one copy (most strings are a single run; a
    // request body written as a string has a quote every few bytes), then the escape that
    // ended it, if any.
    let mut rest = text;
    loop {
        let (run, tail) = rest
            .split_at_checked(crate::parse::plain_len(rest.as_bytes()))
            .unwrap_or((rest, ""));
        out.push_str(run);
        let Some(&byte) = tail.as_bytes().first() else {
            break;
        };
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                let _ = write!(out, "\\u{byte:04x}");
            }
        }
        // The stop is one ASCII byte, so what follows starts a character.
        rest = tail.get(1..).unwrap_or_default();
    }
    out.push('"');
}

/// An object being written, member by member.
#[derive(Debug)]
pub struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    pub fn begin(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, empty: true }
    }

    /// Writes `"key":value`.
    pub fn field(&mut self, key: &str, value: &dyn ToJson) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_str(self.out, key);
        self.out.push(':');
        value.write_json(self.out);
    }

    /// Writes `prefix` (a key already written as `"key":`, by the derive), then the value.
    pub fn member(&mut self, prefix: &str, value: &dyn ToJson) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push_str(prefix);
        value.write_json(self.out);
    }

    /// Writes `"key":"text"`.
    pub fn str_field(&mut self, key: &str, text: &str) {
        self.field(key, &text);
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

macro_rules! integer_to_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                // The same digits either way: itoa natively (no formatter on the hot path of
                // every request body, 10-20% of a create), the formatter the .wasm has anyway
                // there (itoa would add 0.7 KB gzipped).
                #[cfg(not(target_arch = "wasm32"))]
                out.push_str(itoa::Buffer::new().format(*self));
                #[cfg(target_arch = "wasm32")]
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integer_to_json!(u16, u32, u64, i64, usize);

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}
