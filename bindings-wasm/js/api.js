// The typed JavaScript API of kirim over the WebAssembly core.
//
// This file is the shared body of every entry point: script/build wraps it, followed by the
// typed functions and provider classes generated from the tables of typed calls (`calls.js`,
// from src/bin/kirim-wasm-types/calls.rs for the functions and each provider's
// core/src/providers/<provider>/js.rs for its class), as an ES module (`api.mjs`, which imports the
// wasm-bindgen glue as `raw`) and as CommonJS (`index.cjs`, which requires it). It holds
// conversions only: typed values to the core's JSON operation interface and back, `Uint8Array`
// bodies, opaque secrets, and the core's errors as `KirimError`. Every rule (validation,
// signing, parsing, status mapping, redaction, defaults) is in the Rust core.
//
// EXPORTS: KirimError Secret AccessToken runOperation moneyFromMinorUnits moneyMinorUnits
// EXPORTS: mergeStatus

/* global raw, loadTestkit */

const INSPECT_NODE = Symbol.for('nodejs.util.inspect.custom');
const INSPECT_DENO = Symbol.for('Deno.customInspect');
// The core's marker for a hidden value (`kirim::http::REDACTED`); api.test.mjs checks they agree.
const REDACTED = '[redacted]';

// ---- errors -------------------------------------------------------------------------------

const errorData = new WeakMap();

/** The core's error: `code` is stable (see docs/errors.md), `field` names the input. */
class KirimError extends Error {
  constructor(data) {
    super(String(data && data.message));
    Object.defineProperty(this, 'name', { value: 'KirimError', enumerable: false });
    errorData.set(this, data);
    // Every field of the core's error; one the core left out reads as null or empty here.
    this.code = data.code;
    this.field = data.field ?? null;
    this.violations = data.violations ?? [];
    this.provider_code = data.provider_code ?? null;
    this.provider_message = data.provider_message ?? null;
    this.provider_details = data.provider_details ?? [];
    this.http_status = data.http_status ?? null;
    this.provider_trace_id = data.provider_trace_id ?? null;
  }

  /** The core's JSON form of the error, exactly as Rust serialized it (kept as received). */
  toJSON() {
    return { ...errorData.get(this) };
  }
}

/** Counts instance resets: a provider handle made before the last one is rebuilt. */
let instanceGeneration = 0;

/** Turns what a call into `module` threw into what the caller sees; resets the module's
 * instance after a trap. */
function converted(thrown, module) {
  if (typeof thrown === 'string') {
    return new KirimError(JSON.parse(thrown));
  }
  if (thrown instanceof WebAssembly.RuntimeError) {
    // The core does not panic; if the module ever traps anyway, its memory may be left
    // inconsistent. Start a fresh instance so the next call runs on a sound one.
    module.__wbg_reset_state();
    if (module === raw) instanceGeneration += 1;
  }
  return thrown;
}

function guarded(call, module = raw) {
  try {
    return call();
  } catch (thrown) {
    throw converted(thrown, module);
  }
}

// ---- the test kit -------------------------------------------------------------------------

// The test-callback builders (a provider's `test_*` operations) and the scenario runner of the
// shared lifecycle vectors (`lifecycle.scenario`) are not in the production module: script/build
// builds the core a second time with its `testkit` feature, and those calls go there. `loadTestkit`, defined by the build's wrapper, gives its glue: the
// CommonJS build (Node and Bun) requires it on the first such call; the ES module build (Deno,
// Workers, browsers) has it only once the `kirim/testkit` entry has instantiated it (null before).
let testkitModule = null;

function isTestkitOperation(name) {
  return name.slice(name.indexOf('.') + 1).startsWith('test_') || name === 'lifecycle.scenario';
}

function testkit() {
  if (testkitModule === null) {
    testkitModule = loadTestkit();
    if (testkitModule === null) {
      throw new TypeError('the test kit (the test-callback builders, lifecycle.scenario) is a second ' +
        'module, which this runtime loads only on request: import \'kirim/testkit\' once (in your ' +
        'tests) before calling it');
    }
  }
  return testkitModule;
}

/** The module that runs `operation` (`pivot.verify_callback`, `test_callback`). */
function moduleFor(operation) {
  return isTestkitOperation(operation) ? testkit() : raw;
}

// ---- secrets ------------------------------------------------------------------------------

const secretValues = new WeakMap();

/** A key or token whose value never appears in `toString`, `JSON.stringify` or inspection. */
class Secret {
  constructor(value) {
    if (value instanceof Secret) value = secretValues.get(value);
    if (typeof value !== 'string') {
      throw new TypeError('a Secret holds a string (a key or token)');
    }
    secretValues.set(this, value);
    Object.freeze(this);
  }

  /** The value, for placing it where the protocol needs it. */
  exposeSecret() {
    return secretValues.get(this);
  }

  toString() {
    return REDACTED;
  }

  toJSON() {
    return REDACTED;
  }

  [INSPECT_NODE]() {
    return `Secret(${REDACTED})`;
  }

  [INSPECT_DENO]() {
    return `Secret(${REDACTED})`;
  }
}

/** A bearer token and its expiry (Unix seconds). Its value never prints. */
class AccessToken {
  constructor(value, expires_at, token_type = 'Bearer') {
    secretValues.set(this, new Secret(value));
    this.token_type = token_type;
    this.expires_at = expires_at;
    Object.freeze(this);
  }

  exposeSecret() {
    return secretValues.get(this).exposeSecret();
  }

  toString() {
    return `AccessToken(${REDACTED})`;
  }

  toJSON() {
    return { token_type: this.token_type, expires_at: this.expires_at };
  }

  [INSPECT_NODE]() {
    return `AccessToken { token_type: ${JSON.stringify(this.token_type)}, expires_at: ${this.expires_at}, value: ${REDACTED} }`;
  }

  [INSPECT_DENO]() {
    return this[INSPECT_NODE]();
  }
}

function tokenInput(token) {
  if (!(token instanceof AccessToken)) {
    throw new TypeError('pass the AccessToken returned by parseAccessToken (or new AccessToken(...))');
  }
  // The value itself, not its `Secret`: this object goes only to the core, and plain data takes
  // the fast path of `stringify`.
  return { value: secretValues.get(token).exposeSecret(), token_type: token.token_type, expires_at: token.expires_at };
}

// ---- JSON across the boundary -------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
const HEX = '0123456789abcdef';

function bodyMessage(what) {
  return `${what} must be a Uint8Array: pass the raw body bytes exactly as received (e.g. express.raw(), ` +
    `new Uint8Array(await request.arrayBuffer())), not a string or a parsed object`;
}

/** Raw bytes to the core's JSON body form: UTF-8 text when it is valid UTF-8, else hex. */
function bodyJson(bytes, what) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(bodyMessage(what));
  try {
    return utf8.decode(bytes);
  } catch {
    let hex = '';
    for (const byte of bytes) hex += HEX[byte >> 4] + HEX[byte & 15];
    return { hex };
  }
}

/** The core's JSON body form to bytes. */
function bodyBytes(body) {
  if (typeof body === 'string') return encoder.encode(body);
  const hex = body.hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** `JSON.stringify` that reveals secrets (to the core only) and refuses lossy numbers and text
 * with a lone surrogate: `root` names the value in an error (`config`, `order`; '' for an input
 * whose keys are the core's argument names). */
function stringify(input, root = '') {
  let needs;
  try {
    needs = needsReplacer(input);
  } catch (thrown) {
    if (!(thrown instanceof Unsendable)) throw thrown;
    throw unsendableError(fieldPath(root, thrown.path), thrown.value);
  }
  // A replacer function takes V8 off its fast serializer (without it a Pivot payout request
  // took 7% less time in Node), so it runs only for the inputs that need it.
  return needs ? JSON.stringify(input, replace) : JSON.stringify(input);
}

/** A number JSON text cannot carry as the value JavaScript holds: `NaN` and the infinities
 * (`JSON.stringify` writes null, which reads as an absent argument: a default), and integers
 * beyond 2^53, which are written as another integer (2 ** 60 as 1152921504606847000). */
function inexactNumber(value) {
  return typeof value === 'number' ? !Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER
    : typeof value === 'bigint' && (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER));
}

/** Whether `text` is well-formed UTF-16: a lone surrogate (half of a pair) has no UTF-8 form,
 * and crossing into the module as text it silently becomes U+FFFD. */
function wellFormed(text) {
  return typeof text.isWellFormed === 'function' ? text.isWellFormed() : !/\p{Cs}/u.test(text);
}

/** A lone surrogate in text the module takes as it is (JSON text, a snapshot): refused here,
 * since the module would read U+FFFD in its place. */
function checkWellFormed(text, what) {
  if (!wellFormed(text)) {
    throw new KirimError({
      code: 'invalid_json',
      field: null,
      message: `${what} holds a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot carry: it would be read as U+FFFD`,
    });
  }
}

/** Thrown inside `needsReplacer` (its path gathered on the way out) for an inexact number or
 * text with a lone surrogate. */
class Unsendable {
  constructor(value) {
    this.value = value;
    this.path = [];
  }
}

function fieldPath(root, path) {
  let out = root;
  for (const step of path) {
    out += typeof step === 'number' ? `[${step}]` : out === '' ? step : `.${step}`;
  }
  return out;
}

function unsendableError(field, value) {
  if (typeof value === 'string') {
    return new KirimError({
      code: 'unexpected_shape',
      field,
      message: `argument ${field}: the text holds a lone surrogate (half of a UTF-16 pair), which UTF-8 ` +
        'cannot carry; pass well-formed text (toWellFormed() shows where it was, as U+FFFD)',
    });
  }
  const shown = typeof value === 'bigint' ? `${value}n` : String(value);
  return new KirimError({
    code: 'unexpected_shape',
    field,
    message: `argument ${field}: ${shown} cannot be passed exactly (JSON has no NaN or Infinity, and an ` +
      'integer beyond 2^53 is not the one written); pass an integer within ±(2^53 - 1), or the value as a string where the field takes one',
  });
}

/** Whether `value` holds a `Secret`, a `bigint`, or an object that is not plain data (one
 * with a prototype or a `toJSON` of its own, which the replacer would see after conversion).
 * Throws `Unsendable` for a number in plain data that JSON cannot carry exactly, or text with a
 * lone surrogate. */
function needsReplacer(value) {
  if (typeof value === 'string') {
    if (!wellFormed(value)) throw new Unsendable(value);
    return false;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (inexactNumber(value)) throw new Unsendable(value);
    return typeof value === 'bigint';
  }
  if (value === null || typeof value !== 'object') return false;
  if (!Array.isArray(value) && (Object.getPrototypeOf(value) !== Object.prototype || typeof value.toJSON === 'function')) {
    return true;
  }
  let needs = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) needs = needsReplacerAt(value, i) || needs;
  } else {
    for (const key in value) needs = needsReplacerAt(value, key) || needs;
  }
  return needs;
}

/** `needsReplacer` of `holder[key]`, an `Unsendable` thrown from it gaining `key` in its path. */
function needsReplacerAt(holder, key) {
  try {
    return needsReplacer(holder[key]);
  } catch (thrown) {
    if (thrown instanceof Unsendable) thrown.path.unshift(key);
    throw thrown;
  }
}

function replace(key, value) {
  const original = this[key];
  if (original instanceof Secret) return secretValues.get(original);
  // Inside an object that is not plain data (its path is not known here: its key names it).
  const primitive = value instanceof Number || value instanceof String ? value.valueOf() : value;
  if (inexactNumber(primitive) || (typeof primitive === 'string' && !wellFormed(primitive))) {
    throw unsendableError(key, primitive);
  }
  return typeof value === 'bigint' ? Number(value) : value;
}

function operation(name, input) {
  const module = moduleFor(name);
  return JSON.parse(guarded(() => module.runOperation(name, stringify(withBodyJson(input))), module));
}

/** `input` with a `body` of raw bytes (`toCore.body`) in the core's JSON body form. */
function withBodyJson(input) {
  return input.body instanceof Uint8Array ? { ...input, body: bodyJson(input.body, 'body') } : input;
}

/** Headers as `[{name, value}]`, from an array of those, a fetch `Headers`, or a plain record. */
function headerList(headers) {
  if (headers === undefined || headers === null) return [];
  if (Array.isArray(headers)) {
    return headers.map((h) => {
      if (!h || typeof h.name !== 'string' || typeof h.value !== 'string') {
        throw new TypeError('a header is { name: string, value: string }');
      }
      return { name: h.name, value: h.value };
    });
  }
  if (typeof headers.forEach === 'function' && typeof headers.get === 'function') {
    const out = [];
    headers.forEach((value, name) => out.push({ name, value }));
    return out;
  }
  if (typeof headers === 'object') {
    const out = [];
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) {
        out.push({ name, value: String(one) });
      }
    }
    return out;
  }
  throw new TypeError('headers are an array of { name, value }, a Headers object, or a record');
}

/** An `HttpOutcome` with a `Uint8Array` body, to the core's JSON form. */
function outcomeInput(outcome) {
  if (outcome && typeof outcome.transport_failure === 'string') {
    return { transport_failure: outcome.transport_failure };
  }
  const response = outcome && outcome.response;
  if (!response || typeof response !== 'object') {
    throw new TypeError('an outcome is { response: { status, headers, body } } or { transport_failure }');
  }
  return {
    response: {
      status: response.status,
      headers: headerList(response.headers),
      body: bodyJson(response.body ?? new Uint8Array(0), 'response.body'),
    },
  };
}

/** A request to send. Inspection and JSON show headers as the core redacts them (a credential's
 * value hidden) and only the body's length; the fields themselves are the real values. */
class HttpRequestData {
  constructor(json) {
    this.method = json.method;
    this.url = json.url;
    this.headers = json.headers;
    this.body = bodyBytes(json.body);
  }

  toJSON() {
    return {
      method: this.method,
      url: this.url,
      headers: redactHeaders(this.headers),
      body_length: this.body.length,
    };
  }

  toString() {
    return `HttpRequest(${this.method} ${this.url})`;
  }

  [INSPECT_NODE]() {
    return `HttpRequest ${JSON.stringify(this.toJSON())}`;
  }

  [INSPECT_DENO]() {
    return this[INSPECT_NODE]();
  }
}

function request(json) {
  return new HttpRequestData(json);
}

function acknowledgement(json) {
  return { ...json, body: bodyBytes(json.body) };
}

// ---- the JSON operation interface ---------------------------------------------------------

/** `kirim::operations::run_json`: JSON text in, JSON text out; throws `KirimError`. */
function runOperation(name, inputJson) {
  if (typeof name !== 'string' || typeof inputJson !== 'string') {
    throw new TypeError('runOperation(operation: string, inputJson: string)');
  }
  checkWellFormed(inputJson, 'the operation input');
  const module = moduleFor(name);
  return guarded(() => module.runOperation(name, inputJson), module);
}

// ---- model helpers ------------------------------------------------------------------------

/** `Money` from integer minor units (sen), given as a `bigint`. */
function moneyFromMinorUnits(minorUnits, currency) {
  if (typeof minorUnits !== 'bigint') {
    throw new TypeError('minor units are a bigint (e.g. 10000000n), never a float');
  }
  // The digits go into the JSON text as they are: no rounding, and the core judges the range.
  // Left out, the currency is the core's default.
  const input = `{"minor_units":${minorUnits.toString()},"currency":${JSON.stringify(currency ?? null)}}`;
  return JSON.parse(guarded(() => raw.runOperation('money.from_minor_units', input)));
}

/** The exact minor units (sen) of `Money`, as a `bigint`. */
function moneyMinorUnits(money) {
  if (!money || typeof money.value !== 'string' || typeof money.currency !== 'string') {
    throw new TypeError('money is { value: "100000.00", currency: "IDR" } with a decimal string');
  }
  return guarded(() => raw.moneyMinorUnits(money.value, money.currency));
}

/**
 * The state after `incoming` is observed in `current` (stale events never move backwards). With
 * `confirmation` 'tentative' (an event's own `confirmation`), a final status never applies.
 */
function mergeStatus(current, incoming, confirmation) {
  const event = confirmation === undefined ? incoming : { status: incoming, confirmation };
  return operation('status.merge', { current, events: [event] }).final;
}

// ---- providers ----------------------------------------------------------------------------

const providers = new WeakMap();

/**
 * Checks the configuration once and keeps it inside the module as a configured provider (a
 * `raw.Provider`), with its JSON text kept privately to rebuild the handle if the instance is
 * ever reset after a trap. The object itself shows nothing.
 */
function remember(instance, config, provider) {
  const json = stringify(config, 'config');
  const handle = guarded(() => new raw.Provider(provider, json));
  providers.set(instance, { provider, json, handle, generation: instanceGeneration });
  Object.freeze(instance);
}

function providerOperation(instance, name, args) {
  const state = providers.get(instance);
  if (state === undefined) {
    // A method taken off its instance (`const { verifyCallback } = pivot`) has no `this`.
    throw new TypeError(`call ${name} on the provider instance (provider.method(...), or ` +
      'provider.method.bind(provider) to pass it on): it was called without one');
  }
  if (isTestkitOperation(name)) return testkitProviderOperation(state, name, withBodyJson(args));
  if (state.generation !== instanceGeneration) {
    state.handle = guarded(() => new raw.Provider(state.provider, state.json));
    state.generation = instanceGeneration;
  }
  const { body } = args;
  if (body instanceof Uint8Array) {
    // A body (a callback's bytes, `toCore.body`) crosses as it is, beside the JSON.
    const input = encoder.encode(stringify({ ...args, body: undefined }));
    return JSON.parse(guarded(() => state.handle.run_with_body(name, input, body)));
  }
  return JSON.parse(guarded(() => state.handle.run(name, encoder.encode(stringify(args)))));
}

/** A test-callback builder on a configured provider: a handle of the test kit's module for the
 * call (tests only, so not kept). */
function testkitProviderOperation(state, name, args) {
  const module = testkit();
  return guarded(() => {
    const handle = new module.Provider(state.provider, state.json);
    try {
      return JSON.parse(handle.run(name, encoder.encode(stringify(args))));
    } finally {
      handle.free();
    }
  }, module);
}

// ---- typed functions and classes, built from the one table ------------------------------

/** How an argument crosses to the core (the table's kinds, `calls.rs` `Kind`): each sets the
 * argument `name` of the core's input from the caller's `value`; `what` names it in errors. */
const toCore = {
  value(input, name, value) {
    input[name] = value;
  },
  token(input, name, value) {
    input[name] = tokenInput(value);
  },
  outcome(input, name, value) {
    input[name] = outcomeInput(value);
  },
  headers(input, name, value) {
    input[name] = headerList(value);
  },
  /** The bytes themselves: a provider's call passes them beside the JSON (`providerOperation`),
   * anything else writes them in the core's JSON body form (`withBodyJson`). */
  body(input, name, value, what) {
    if (!(value instanceof Uint8Array)) throw new TypeError(bodyMessage(what));
    input[name] = value;
  },
  /** The exact JSON text as bytes goes as `body`, an object as `params`. */
  sign_params(input, name, value, what) {
    if (!(value instanceof Uint8Array)) {
      input[name] = value;
      return;
    }
    const body = bodyJson(value, what);
    if (typeof body !== 'string') throw new TypeError(`${what} bytes must be UTF-8 JSON text`);
    input.body = body;
  },
};

/** How the core's output becomes the result (the table's shapes, `calls.rs` `Shape`). */
const fromCore = {
  value: (out) => out,
  request: (out) => new HttpRequestData(out),
  access_token: (out) => new AccessToken(out.access_token, out.expires_at, out.token_type),
  handling: (out) => ({ ...out, acknowledgement: acknowledgement(out.acknowledgement) }),
  acknowledgement: (out) => acknowledgement(out),
  void: () => undefined,
};

/**
 * One call of the table, `[operation, [[jsName, coreName, kind], ...], shape, field]`, as a
 * function named `name` that runs the operation with `run(this, operation, input)`.
 */
function typedCall(name, [operationName, args, shape, field], run) {
  const call = {
    [name](...values) {
      const input = {};
      args.forEach(([what, core, kind], i) => toCore[kind](input, core, values[i], what));
      const out = run(this, operationName, input);
      return fromCore[shape](field === null ? out : out[field]);
    },
  }[name];
  // As a written function: `length` counts the declared arguments.
  return Object.defineProperty(call, 'length', { value: args.length });
}

/** A function of the package over one of the model's operations (`status.is_final`). */
function typedFunction(name, call) {
  return typedCall(name, call, (_, operationName, input) => operation(operationName, input));
}

/**
 * A provider class (`new Pivot(config)`) whose methods are the table's typed calls; the table
 * and the classes' TypeScript declarations are generated from the provider's `js.rs` in the
 * core. The instance shows
 * nothing of its configuration.
 */
function providerClass(name, provider, configOptional, calls) {
  const cls = {
    [name]: class {
      constructor(config) {
        if (config === undefined && configOptional) {
          config = null; // JSON null: the core's default configuration
        } else if (!config || typeof config !== 'object') {
          throw new TypeError(`${name} takes a configuration object`);
        }
        remember(this, config, provider);
      }

      [INSPECT_NODE]() {
        return `${name} { config: ${REDACTED} }`;
      }

      [INSPECT_DENO]() {
        return this[INSPECT_NODE]();
      }
    },
  }[name];
  for (const [method, call] of Object.entries(calls)) {
    Object.defineProperty(cls.prototype, method, {
      value: typedCall(method, call, providerOperation), writable: true, configurable: true, enumerable: false,
    });
  }
  return cls;
}
