//! The JSON text, read: one small parser into a tree that keeps every number as its source text
//! (`kirim::read` re-exports it and adds the typed extraction).
//!
//! The grammar is strict RFC 8259, as serde_json's: UTF-8 only, no trailing commas, no comments,
//! no lone surrogates, control characters escaped, nesting at most 127 deep.

use std::borrow::Cow;

/// A parsed JSON value, borrowing from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// The number's exact text (grammar-checked).
    Number(&'a str),
    String(Cow<'a, str>),
    /// The items, and the array's text as received.
    Array(Vec<Json<'a>>, &'a str),
    /// The members in order (repeated keys kept, so that readers can refuse them), and the
    /// object's text as received.
    Object(Vec<(Cow<'a, str>, Json<'a>)>, &'a str),
}

impl Json<'_> {
    /// Whether a number anywhere in the value has a fraction or an exponent: such a number has
    /// been through a float in the host's JSON encoder.
    pub fn has_fractional_number(&self) -> bool {
        match self {
            Json::Number(text) => text.contains(['.', 'e', 'E']),
            Json::Array(items, _) => items.iter().any(Json::has_fractional_number),
            Json::Object(members, _) => members.iter().any(|(_, v)| v.has_fractional_number()),
            _ => false,
        }
    }
}

/// A JSON text that is not well-formed: where, what, and whether it simply ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syntax {
    pub offset: usize,
    pub message: &'static str,
    pub truncated: bool,
}

impl Syntax {
    /// `message at line L column C` (1-based line, column in bytes), as serde_json words it.
    pub fn describe(&self, text: &[u8]) -> String {
        let before = text.get(..self.offset).unwrap_or(text);
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        format!("{} at line {line} column {column}", self.message)
    }
}

/// Nesting allowed, as serde_json's default recursion limit: the parser recurses once per
/// level, so this also bounds its stack.
const MAX_DEPTH: u32 = 127;

/// The elements the top-level container has room for from the start: 14 members of 72 bytes
/// are 1,008 bytes, within glibc's per-thread cache of small blocks (1,032).
const ROOT_CAPACITY: usize = 14;

/// A syntax error inside the parser: boxed, so that the `Result` of every value read is no
/// larger than the value (the parser moves one per value).
type Boxed = Box<Syntax>;

/// Parses one JSON document (surrounding whitespace allowed).
pub fn parse(text: &[u8]) -> Result<Json<'_>, Syntax> {
    let text = std::str::from_utf8(text).map_err(|e| Syntax {
        offset: e.valid_up_to(),
        message: "invalid UTF-8",
        truncated: e.error_len().is_none(),
    })?;
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let mut value = Json::Null;
    parser.value(&mut value).map_err(|e| *e)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(*parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    // Called for every byte read: at the .wasm's opt-level "z" it would stay a call.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[cold]
    fn error(&self, message: &'static str) -> Boxed {
        Box::new(Syntax {
            offset: self.pos,
            message,
            truncated: false,
        })
    }

    #[cold]
    fn truncated(&self, message: &'static str) -> Boxed {
        Box::new(Syntax {
            offset: self.pos,
            message,
            truncated: true,
        })
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or_default()
    }

    /// The value here, written into `slot`: in place, not returned, because returning the
    /// 48-byte `Json` through each level of nesting copied it several times (a quarter of a
    /// callback's time was those copies).
    fn value(&mut self, slot: &mut Json<'a>) -> Result<(), Boxed> {
        self.skip_whitespace();
        *slot = match self.peek() {
            None => return Err(self.truncated("EOF while parsing a value")),
            Some(b'n') => self.literal("null", Json::Null)?,
            Some(b't') => self.literal("true", Json::Bool(true))?,
            Some(b'f') => self.literal("false", Json::Bool(false))?,
            Some(b'"') => Json::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b'[') => self.array()?,
            Some(b'{') => self.object()?,
            Some(_) => return Err(self.error("expected value")),
        };
        Ok(())
    }

    fn literal(&mut self, word: &'static str, value: Json<'a>) -> Result<Json<'a>, Boxed> {
        for expected in word.bytes() {
            match self.peek() {
                None => return Err(self.truncated("EOF while parsing a value")),
                Some(b) if b == expected => self.pos += 1,
                Some(_) => return Err(self.error("expected ident")),
            }
        }
        Ok(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json<'a>, Boxed> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            None => return Err(self.truncated("EOF while parsing a value")),
            Some(_) => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(match self.peek() {
                    None => self.truncated("EOF while parsing a value"),
                    Some(_) => self.error("invalid number"),
                });
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(match self.peek() {
                    None => self.truncated("EOF while parsing a value"),
                    Some(_) => self.error("invalid number"),
                });
            }
        }
        Ok(Json::Number(self.slice(start)))
    }

    /// A string at `"`: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, Boxed> {
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run_start = start;
        loop {
            // Skip the run of plain characters in one scan (most strings are nothing else).
            self.pos += plain_len(self.bytes.get(self.pos..).unwrap_or_default());
            match self.peek() {
                None => return Err(self.truncated("EOF while parsing a string")),
                Some(b'"') => {
                    let tail = self.slice(run_start);
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Cow::Owned(text)
                        }
                    });
                }
                Some(b'\\') => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
                    self.pos += 1;
                    let decoded = self.escape()?;
                    text.push(decoded);
                    run_start = self.pos;
                }
                Some(0..=0x1f) => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// One escape, after its backslash.
    fn escape(&mut self) -> Result<char, Boxed> {
        let Some(b) = self.peek() else {
            return Err(self.truncated("EOF while parsing a string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.peek() != Some(b'\\') || self.bytes.get(self.pos + 1) != Some(&b'u') {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, Boxed> {
        let mut value = 0u32;
        for _ in 0..4 {
            let digit = match self.peek() {
                None => return Err(self.truncated("EOF while parsing a string")),
                Some(b) => char::from(b)
                    .to_digit(16)
                    .ok_or_else(|| self.error("invalid escape"))?,
            };
            self.pos += 1;
            value = value * 16 + digit;
        }
        Ok(value)
    }

    fn enter(&mut self) -> Result<(), Boxed> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    fn array(&mut self) -> Result<Json<'a>, Boxed> {
        let start = self.pos;
        let items = self.container(
            b']',
            "EOF while parsing a list",
            "expected `,` or `]`",
            |parser, items| {
                items.push(Json::Null);
                match items.last_mut() {
                    Some(slot) => parser.value(slot),
                    None => Ok(()),
                }
            },
        )?;
        Ok(Json::Array(items, self.slice(start)))
    }

    fn object(&mut self) -> Result<Json<'a>, Boxed> {
        let start = self.pos;
        let members = self.container(
            b'}',
            "EOF while parsing an object",
            "expected `,` or `}`",
            Self::member,
        )?;
        Ok(Json::Object(members, self.slice(start)))
    }

    /// A list or an object from its opening bracket: its elements, each read by `element`,
    /// with one rule for the commas, the closing bracket, a trailing comma and the end of text.
    fn container<T>(
        &mut self,
        close: u8,
        eof: &'static str,
        expected: &'static str,
        mut element: impl FnMut(&mut Self, &mut Vec<T>) -> Result<(), Boxed>,
    ) -> Result<Vec<T>, Boxed> {
        self.enter()?;
        // The document's own object or list is where the members are (a notification is one
        // flat object of ten or more): room for them at once, not grown 4, 8, 16 (three
        // allocations, two copies). Nested ones start small.
        let mut elements = if self.depth == 1 {
            Vec::with_capacity(ROOT_CAPACITY)
        } else {
            Vec::new()
        };
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                element(self, &mut elements)?;
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_whitespace();
                        if self.peek() == Some(close) {
                            return Err(self.error("trailing comma"));
                        }
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        break;
                    }
                    None => return Err(self.truncated(eof)),
                    Some(_) => return Err(self.error(expected)),
                }
            }
        }
        self.depth -= 1;
        Ok(elements)
    }

    /// One object member, `"key": value`, whitespace before it already skipped, pushed onto
    /// `members` and its value read in place.
    fn member(&mut self, members: &mut Vec<(Cow<'a, str>, Json<'a>)>) -> Result<(), Boxed> {
        match self.peek() {
            Some(b'"') => {}
            None => return Err(self.truncated("EOF while parsing an object")),
            Some(_) => return Err(self.error("key must be a string")),
        }
        let key = self.string()?;
        self.skip_whitespace();
        match self.peek() {
            Some(b':') => self.pos += 1,
            None => return Err(self.truncated("EOF while parsing an object")),
            Some(_) => return Err(self.error("expected `:`")),
        }
        // Added as constants and then filled in: a pushed `(key, Json::Null)` was assembled on
        // the stack and read back before its stores had landed (a store-forwarding stall);
        // `resize_with` writes it in place.
        members.resize_with(members.len() + 1, || (Cow::Borrowed(""), Json::Null));
        match members.last_mut() {
            Some((name, slot)) => {
                *name = key;
                self.value(slot)
            }
            None => Ok(()),
        }
    }
}

/// The member of an object called any of `names` (a field and its aliases): its spelling and
/// value, `None` if there is none, or `Err` with the spelling of the second if there are two.
/// Every member is looked at, so that a repeated field is refused wherever it is.
///
/// Here rather than in the core's typed reading, which calls it for every field it reads, so
/// that the .wasm builds this loop for speed too (it was the largest cost of a notification in
/// Node after the hash).
pub fn find_member<'t, 'a, 'n>(
    members: &'t [(Cow<'a, str>, Json<'a>)],
    names: &[&'n str],
) -> Result<Option<(&'n str, &'t Json<'a>)>, &'n str> {
    let mut found = None;
    for (key, node) in members {
        let key: &str = key;
        let Some(name) = names.iter().find(|name| same_key(key, name)) else {
            continue;
        };
        if found.is_some() {
            return Err(*name);
        }
        found = Some((*name, node));
    }
    Ok(found)
}

/// Whether a member's key is `name`. Length and first byte first: most keys differ there.
#[inline]
fn same_key(key: &str, name: &str) -> bool {
    key.len() == name.len() && key.as_bytes().first() == name.as_bytes().first() && key == name
}

/// The length of the run of bytes at the start of `bytes` that a JSON string holds as they are:
/// up to the first `"`, `\\` or control character (U+0000 to U+001F). The reader skips such
/// runs and the writer copies them whole.
pub fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether a byte of `word` is zero / below 0x20 (SWAR: the high bit of each such byte is
    // set, and no bit is set when there is none).
    let zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let stops = |word: u64| {
        zero(word ^ (ONES * u64::from(b'"')))
            | zero(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGH)
    };
    // Eight bytes at a time while none of them stops the run, then byte by byte.
    let mut start = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        if stops(u64::from_le_bytes(word)) != 0 {
            break;
        }
        start += 8;
    }
    let rest = bytes.get(start..).unwrap_or_default();
    start
        + rest
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | 0..=0x1f))
            .unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_runs_stop_at_quotes_backslashes_and_control_characters() {
        for text in [
            "",
            "abc",
            "0123456789abcdef",
            "0123456789abcdef\"x",
            "01234567\\",
            "0123456\u{1f}89",
            "\u{7f}\u{80}é😀 plain text that is long enough",
            "abcdefgh ijklmnop\nq",
            "\u{20}\u{21}\u{23}\u{5b}\u{5d}\u{ff}",
        ] {
            let expected = text
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(text.len());
            assert_eq!(plain_len(text.as_bytes()), expected, "{text:?}");
        }
        // Every byte value in every position of a word.
        for stop in 0..=255u8 {
            for at in 0..16 {
                let mut bytes = vec![b'a'; 16];
                bytes[at] = stop;
                let expected = if stop == b'"' || stop == b'\\' || stop < 0x20 {
                    at
                } else {
                    16
                };
                assert_eq!(plain_len(&bytes), expected, "{stop} at {at}");
            }
        }
    }
}
