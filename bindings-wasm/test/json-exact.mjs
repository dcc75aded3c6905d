// JSON with numbers kept exact, so that the shared-vector runner compares numbers the way the
// Rust runner (serde_json) does: an integer literal within i64/u64 is an integer (compared
// exactly, beyond 2^53 too), anything else is a float, and an integer never equals a float.
// JSON.parse would round 9223372036854775807 to 2^63 and let a wrong answer pass.

/** A JSON number, as its source text. */
export class Num {
  constructor(text) {
    this.text = text;
  }

  /** serde_json's view: `{ int: bigint }` or `{ float: number }`. */
  get value() {
    if (/^-?\d+$/.test(this.text)) {
      const int = BigInt(this.text);
      if (int >= -(2n ** 63n) && int < 2n ** 64n) return { int };
    }
    return { float: Number(this.text) };
  }

  equals(other) {
    const a = this.value;
    const b = other.value;
    return 'int' in a ? 'int' in b && a.int === b.int : 'float' in b && a.float === b.float;
  }
}

export function parse(text) {
  let i = 0;
  const fail = (why) => {
    throw new SyntaxError(`JSON at ${i}: ${why}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      const out = {};
      members('}', () => {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected :');
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
      });
      return out;
    }
    if (c === '[') {
      const out = [];
      members(']', () => out.push(value()));
      return out;
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected character');
    i += m[0].length;
    return new Num(m[0]);
  };
  /** The members of an object or array after its opening bracket, each read by `member`,
   * separated by commas, up to `close`. */
  const members = (close, member) => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) {
        i++;
        return;
      } else fail(`expected , or ${close}`);
    }
  };
  const string = () => {
    const start = i;
    i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated string');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const out = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return out;
}

export function stringify(value) {
  if (value instanceof Num) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${stringify(v)}`).join(',')}}`;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Num);
}

/** serde_json::Value equality. */
export function equal(a, b) {
  if (a instanceof Num || b instanceof Num) return a instanceof Num && b instanceof Num && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, k) => equal(x, b[k]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

export { isObject };
