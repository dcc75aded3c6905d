// ---- the driver (js/driver.js, appended to js/api.js by script/build) ----------------------
//
// Runs payout lifecycles to their end with `fetch`, a store, and the host's callbacks. It only
// carries out what the core's machine asks (send, wait, stop) and records it: every decision
// (resend, query, give up, what a callback means) is the core's. No `node:` import, so it runs
// in Node and in edge runtimes alike.
//
// EXPORTS: PayoutDriver MemoryStore StoreInUseError RestoreRefusedError

/** The store is in use by another driver: another `PayoutDriver` of this process is driving the
 * same store object (running a payout or applying a callback), or, for kirim/sqlite's
 * `SqliteStore`, a store in another process (or another `SqliteStore` of this one) holds its
 * file. Drive a store through one `PayoutDriver`, and a database from one process. */
class StoreInUseError extends Error {
  constructor(message) {
    super(message);
    Object.defineProperty(this, 'name', { value: 'StoreInUseError', enumerable: false });
  }
}

/** `resume()` ran every payout it could, and refused the stored rows it cannot restore (the core
 * refuses the snapshot: an edited database, a snapshot from a newer kirim, another payout's
 * snapshot under its reference; or the record is not one the driver wrote): each is left as it
 * is (not driven, not written), its refusal is in its history (`restore_refused`), and the next
 * `resume()` tries it again. A person must look at each one and fix its row; never pay the order
 * again under a new reference: it may have been paid.
 *
 * A `KirimError` (its `name` too) with code `unsupported_snapshot`: the code of a stored payout
 * this kirim cannot restore, whose handling (restore it with what wrote it, or reconcile it by
 * hand, never start it again from scratch) is every refused row's. `refused`: a Map of each
 * refused row's reference to its `KirimError` (the core's, e.g. `invalid_field` on `reference`);
 * `results`: the `{ reference, action }` of every payout it ran, what `resume()` resolves to when
 * nothing is refused. */
class RestoreRefusedError extends KirimError {
  constructor(refused, results) {
    const shown = [...refused].map(([reference, error]) => `${JSON.stringify(reference)}: ${error.code}: ${error.message}`);
    super({
      code: 'unsupported_snapshot',
      field: null,
      message: `${refused.size} stored payout(s) not run, their rows refused (each left as it is, a restore_refused `
        + `entry in its history; the other payouts were run, their results in .results): ${shown.join('; ')}. A person `
        + 'must check each payout and fix its row; the next resume() tries it again. Never pay the order again under a '
        + 'new reference: it may have been paid.',
    });
    this.refused = refused;
    this.results = results;
  }
}

/** The errors a run rejected with because its stored row was refused (`#drive`), so that
 * `resume()` tells them from any other failure. */
const refusals = new WeakSet();

/** store object -> provider name -> { driver, holds }: the one PayoutDriver of this process
 * driving that provider's payouts of the store (its runs and its callbacks share the hold,
 * counted). Another driver of the same provider over the same store would restore a second
 * machine for the payouts the first one runs, each saving over the other's snapshots (a snapshot
 * with the create sent replaced by an older one), and a callback would reach one of them only: it
 * is refused instead, as another process is refused a SqliteStore's file. Drivers of different
 * providers share a store: each runs only its provider's payouts (the core refuses to restore a
 * payout under another provider). */
const drivingStores = new WeakMap();

/**
 * A store in memory, gone with the process: for tests and for edge workers that keep state
 * elsewhere between requests. A payout's record: `reference`, `references` (the order's and
 * its items'), `order`, `snapshot`, `payout_id`, `finished` (null, or the final action),
 * `next_due` (Unix seconds when it next needs the driver; null: now).
 */
class MemoryStore {
  #records = new Map();
  #history = new Map();

  async save(record) {
    this.#records.set(record.reference, JSON.parse(JSON.stringify(record)));
  }

  /** Stores `record` only if no payout is stored under its reference and no other payout's
   * order names any of `record.references`: `true` when stored, `false` (nothing written)
   * otherwise. Checked and stored in one step, so no other writer of this store (another
   * driver) can come in between. */
  async insert(record) {
    if (this.#records.has(record.reference)) return false;
    for (const other of this.#records.values()) {
      if (record.references.some((reference) => other.references.includes(reference))) return false;
    }
    this.#records.set(record.reference, JSON.parse(JSON.stringify(record)));
    return true;
  }

  async load(reference) {
    const record = this.#records.get(reference);
    return record === undefined ? null : JSON.parse(JSON.stringify(record));
  }

  /** The reference of the payout whose order names `reference` (its own or an item's); else of
   * the one whose provider id is `payoutId`. */
  async find({ reference, payoutId }) {
    // The reference first, as every store of every language: one payout's id never takes a
    // callback that names another payout by its reference.
    for (const record of this.#records.values()) {
      if (reference != null && record.references.includes(reference)) return record.reference;
    }
    for (const record of this.#records.values()) {
      if (payoutId != null && record.payout_id === payoutId) return record.reference;
    }
    return null;
  }

  /** Unfinished payouts: those due now first (no `next_due`), then by `next_due`, then by
   * reference. */
  async unfinished() {
    return [...this.#records.values()].filter((r) => r.finished === null).sort(byDue).map((r) => r.reference);
  }

  async observe(reference, observation) {
    if (!this.#history.has(reference)) this.#history.set(reference, []);
    this.#history.get(reference).push(JSON.parse(JSON.stringify(observation)));
  }

  async history(reference) {
    return JSON.parse(JSON.stringify(this.#history.get(reference) ?? []));
  }
}

function byDue(a, b) {
  const dueNow = (a.next_due != null) - (b.next_due != null);
  if (dueNow !== 0) return dueNow;
  if (a.next_due !== b.next_due) return a.next_due - b.next_due;
  return a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0;
}

const defaultClock = () => Math.floor(Date.now() / 1000);

/**
 * The core's transport options (`http.transport_options`): its defaults for those left out
 * (`undefined`), its check of those given (a `KirimError`, `invalid_field` on `timeout_ms` or
 * `max_response_bytes`). A finite number crosses as the text JavaScript writes for it (exact: the
 * core refuses a fraction, never rounds it), a string or boolean as itself, anything else (NaN,
 * Infinity, null, a bigint, an object) as its text: the core refuses all but a number.
 */
function transportOptions(timeoutMs, maxResponseBytes) {
  const given = (value) => {
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return JSON.stringify(typeof value === 'string' || typeof value === 'boolean' ? value : String(value));
  };
  const members = [];
  if (timeoutMs !== undefined) members.push(`"timeout_ms":${given(timeoutMs)}`);
  if (maxResponseBytes !== undefined) members.push(`"max_response_bytes":${given(maxResponseBytes)}`);
  return JSON.parse(guarded(() => raw.runOperation('http.transport_options', `{${members.join(',')}}`)));
}

/** A response body above the cap: the exchange is a `connection_error`. */
class ResponseTooLarge extends Error {}

/** Statuses whose response has no body whatever its headers say (fetch's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** A `Content-Length` as a number of bytes, or null when there is none (or it is no plain
 * decimal: then the body is read and counted all the same). */
function declaredLength(headers) {
  const value = typeof headers?.get === 'function' ? headers.get('content-length') : null;
  return typeof value === 'string' && /^\s*[0-9]+\s*$/.test(value) ? Number(value.trim()) : null;
}

/**
 * The body of `response` (fetch's), read a piece at a time through its stream's reader, never
 * more than `cap` bytes of it kept: a `Content-Length` above `cap` is refused before reading,
 * and the stream is cancelled as soon as more than `cap` bytes have arrived (`ResponseTooLarge`).
 * The bytes counted are those the runtime hands over, decoded from gzip, deflate or br (fetch
 * decodes them itself): what would be buffered. A body shorter than its `Content-Length` (the
 * connection closed early, where no content coding changes the count) is an error too, so it
 * is never handed to the core as whole (Node, Deno and Bun error the stream themselves; this
 * holds for any runtime and for a `fetch` of one's own).
 */
async function readCapped(response, cap) {
  const declared = declaredLength(response.headers);
  const stream = response.body;
  if (declared !== null && declared > cap) {
    if (stream && typeof stream.cancel === 'function') stream.cancel().catch(() => {});
    throw new ResponseTooLarge();
  }
  const pieces = [];
  let total = 0;
  if (stream && typeof stream.getReader === 'function') {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!ArrayBuffer.isView(value)) throw new TypeError('the response body stream gave no bytes');
      total += value.byteLength;
      if (total > cap) {
        reader.cancel().catch(() => {});
        throw new ResponseTooLarge();
      }
      pieces.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
  } else {
    // A response of a `fetch` of one's own with no body stream: read whole, then measured.
    const whole = new Uint8Array(await response.arrayBuffer());
    if (whole.byteLength > cap) throw new ResponseTooLarge();
    pieces.push(whole);
    total = whole.byteLength;
  }
  const coding = typeof response.headers?.get === 'function' ? response.headers.get('content-encoding') : null;
  const transfer = typeof response.headers?.get === 'function' ? response.headers.get('transfer-encoding') : null;
  if (declared !== null && total < declared && !NULL_BODY_STATUSES.has(response.status)
    && (coding === null || coding.trim().toLowerCase() === 'identity') && transfer === null) {
    throw new TypeError('the response body ended before its Content-Length');
  }
  if (pieces.length === 1) return pieces[0];
  const body = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    body.set(piece, at);
    at += piece.byteLength;
  }
  return body;
}

/** Waits `ms`, or less when `signal` aborts. */
// The longest delay a JavaScript timer keeps: a longer one runs after 1 ms (Node's
// TimeoutOverflowWarning). A longer wait is slept in pieces this long: the driver polls the
// machine after each, and it asks to wait again.
const LONGEST_TIMER_MS = 2 ** 31 - 1;

function defaultSleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, Math.min(ms, LONGEST_TIMER_MS));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * Drives payouts of one provider (`Pivot` or `Gateway`) to their end:
 * `new PayoutDriver(provider, store, { fetch, clock, sleep, timeoutMs, maxResponseBytes, settings })`
 * (`timeoutMs` and `maxResponseBytes` left out: the core's defaults, 60 s and 16 MiB).
 * `pay(order)` runs one (or picks up the stored one with that reference: never a second payout),
 * `resume()` every unfinished payout of the store, `handleCallback(headers, body)` verifies a
 * callback through the core, applies it to its payout and returns the acknowledgement to send.
 */
class PayoutDriver {
  #provider;
  /** The provider's name (`pivot`, `gateway`), as the core names it in a snapshot. */
  #kind;
  #store;
  #fetch;
  #clock;
  #sleep;
  #timeoutMs;
  #maxResponseBytes;
  #settings;
  /** The last Pivot token a machine obtained, handed to the others (each judges its expiry). */
  #session = null;
  /** reference -> { machine, wake } for the payouts this process holds. */
  #live = new Map();
  /** reference -> the promise of its run, so one payout has one runner. */
  #runs = new Map();
  /** reference -> its last save, settled or not: each save of a payout starts after the one
   * before, so that an async store cannot land two of them in either order. */
  #saving = new Map();
  /** The last start, settled or not: starts run one after the other, so two orders sharing a
   * reference (one's own, the other's item) cannot both find it free in this process, and a
   * second order under one reference is decided against the first one's stored payout. */
  #starts = Promise.resolve();
  #closed = false;

  constructor(provider, store, options = {}) {
    const kind = providers.get(provider)?.provider;
    if (kind !== 'pivot' && kind !== 'gateway') {
      // Paper.id payouts are created outside kirim: there is nothing to drive.
      throw new TypeError('pass a Pivot or Gateway instance');
    }
    for (const method of ['save', 'load', 'find', 'unfinished', 'observe']) {
      if (!store || typeof store[method] !== 'function') throw new TypeError(`the store has no ${method}()`);
    }
    if (store.insert !== undefined && typeof store.insert !== 'function') throw new TypeError('the store\'s insert is a method');
    for (const option of ['fetch', 'clock', 'sleep']) {
      if (options[option] !== undefined && typeof options[option] !== 'function') {
        throw new TypeError(`options.${option} is a function (leave it out for the default)`);
      }
    }
    // The core's defaults and check, when made: a timeout of NaN or 0 aborted every request at once,
    // and so did one above 2^31 - 1 ms (a timer Node fires at once); a cap of 0 refuses every answer.
    const transport = transportOptions(options.timeoutMs, options.maxResponseBytes);
    this.#provider = provider;
    this.#kind = kind;
    this.#store = store;
    this.#fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.#clock = options.clock ?? defaultClock;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#timeoutMs = transport.timeout_ms;
    this.#maxResponseBytes = transport.max_response_bytes;
    this.#settings = options.settings ?? null;
  }

  /** Runs the payout of `order` to its end. The identical order paid again (same reference,
   * provider and order) writes nothing: the stored payout is the one continued. Rejects with
   * `KirimError` (`invalid_field` on `reference` or `items[i].reference`; nothing written, the
   * stored payout unchanged) when the store holds another order under its reference (another
   * amount, beneficiary, items or provider), or when another stored payout uses its reference
   * or one of its items': a reference names one payout (the core's rule). Rejects with
   * `StoreInUseError`, nothing written, while another `PayoutDriver` drives the store. */
  pay(order, settings) {
    // The store held from before its check until the run ends: a refused call writes nothing.
    return this.#holding(async () => {
      // One start at a time: two calls that both read the store before either saved would make
      // two machines, and the second's snapshot (nothing sent) would overwrite the first's (its
      // create out), or unfinish a payout the first had run to its end. Each call is decided on
      // its own order: the identical one continues the stored payout, another one is refused.
      const starting = this.#starts.then(() => this.#start(order, settings));
      this.#starts = starting.catch(() => {});
      // The reference the core read from the order (and the store holds it under): `order` is
      // not read again, so a getter answering otherwise the second time cannot name another payout.
      return this.run(await starting);
    });
  }

  /** Runs `work` while this driver holds its store (counted: its runs and callbacks share the
   * hold); rejects with `StoreInUseError`, `work` not started, while another PayoutDriver of the
   * process holds it. The hold is taken when called, not after an await. */
  async #holding(work) {
    let byProvider = drivingStores.get(this.#store);
    if (byProvider === undefined) {
      byProvider = new Map();
      drivingStores.set(this.#store, byProvider);
    }
    const held = byProvider.get(this.#kind);
    if (held !== undefined && held.driver !== this) {
      throw new StoreInUseError(`the store's ${this.#kind} payouts are being driven by another PayoutDriver of this `
        + 'process (running a payout or applying a callback): drive each provider\'s payouts of a store through one '
        + 'PayoutDriver, which runs them all and takes all that provider\'s callbacks; this one may drive them once '
        + 'the other has no run or callback under way');
    }
    if (held === undefined) byProvider.set(this.#kind, { driver: this, holds: 1 });
    else held.holds += 1;
    try {
      return await work();
    } finally {
      const mine = byProvider.get(this.#kind);
      if (--mine.holds === 0) byProvider.delete(this.#kind);
    }
  }

  /** Stores a new payout for `order` when the core's `checkSubmission` says it is new (after
   * reading the store: what it holds under the reference, and which payout holds each of the
   * order's references). The new payout is written with the store's `insert`, which never
   * writes over a stored one: another writer (another driver on this store, another process on
   * its database) may have stored a payout under one of its references since the check, and
   * then the submission is decided again on what the store holds now. Resolves to the order's
   * reference as the core read it. */
  async #start(order, settings) {
    // The order is checked (and read as the core reads it) before the store is asked.
    const machine = new PayoutLifecycle(this.#provider, order, settings ?? this.#settings, this.#now());
    const ordered = machine.order;
    const reference = ordered.reference;
    if (await this.#checkSubmission(ordered) !== 'new') return reference;
    const entry = { machine, wake: null };
    if (typeof this.#store.insert !== 'function') {
      // A store with no insert(): checked, then saved. Only this driver's own starts are
      // serialized, so such a store must have no other writer (see PayoutStore.insert).
      this.#live.set(reference, entry);
      await this.#save(reference, machine, null);
      return reference;
    }
    if (await this.#save(reference, machine, null, null, { insert: true })) {
      // A callback may have restored the stored payout meanwhile: that machine is the current one.
      if (!this.#live.has(reference)) this.#live.set(reference, entry);
      return reference;
    }
    // Taken since the check: the identical order continues the stored payout, any other one is
    // refused by the core's rule (invalid_field), and nothing of theirs is written over.
    if (await this.#checkSubmission(ordered) === 'new') {
      throw new Error(`the store's insert() stored nothing for payout ${reference}, yet it holds no payout `
        + 'under its references: insert() must refuse only a reference that load() or find() then shows taken');
    }
    return reference;
  }

  /** The core's `checkSubmission` of `ordered` on what the store holds now. */
  async #checkSubmission(ordered) {
    const reference = ordered.reference;
    const stored = await this.#load(reference);
    const held = [];
    if (stored === null) {
      for (const named of [reference, ...(ordered.items ?? []).map((item) => item.reference)]) {
        const payout = await this.#store.find({ reference: named });
        if (payout !== null && payout !== reference) held.push({ reference: named, payout });
      }
    }
    return PayoutLifecycle.checkSubmission(
      ordered, stored === null ? null : { order: stored.order, provider: stored.provider }, this.#kind, held);
  }

  /** The store's record of `reference` (or null), read as hostile input: a record of the wrong
   * shape (a store of one's own, an edited row) is a KirimError naming the payout and the field,
   * never run, nor its `finished` handed back as the payout's result. */
  async #load(reference) {
    const record = await this.#store.load(reference);
    if (record === null) return null;
    const wrong = (field, what) => new KirimError({
      code: 'unexpected_shape',
      field,
      message: `the store's payout ${JSON.stringify(reference)}: its ${field} ${what} (content not shown); `
        + 'restore the record, or reconcile the payout by hand: never pay it again under a new reference',
    });
    if (record === undefined || !plainObject(record)) throw wrong('record', 'is no object (null when there is none)');
    if (typeof record.provider !== 'string') throw wrong('provider', 'is no text');
    if (!plainObject(record.order)) throw wrong('order', 'is no object');
    if (typeof record.snapshot !== 'string') throw wrong('snapshot', 'is no text');
    if (record.finished !== null && !(plainObject(record.finished)
      && (record.finished.kind === 'done' || record.finished.kind === 'manual_reconciliation'))) {
      throw wrong('finished', 'is neither null nor a final action (done or manual_reconciliation)');
    }
    return record;
  }

  /** The clock's Unix seconds, checked as the lifecycle checks `now` (`unexpected_shape` on
   * `clock`), so that a clock returning 1.5 is not taken for the machine's bad argument. */
  #now() {
    const now = this.#clock();
    seconds(now, 'clock', 'options.clock() returned');
    return typeof now === 'bigint' ? Number(now) : now;
  }

  /** Runs every unfinished payout of this driver's provider in the store (after a restart) to
   * its end; another provider's payouts are its own driver's to resume. A stored row it cannot
   * restore (the core refuses its snapshot, or the record is damaged) is not run and not
   * written, a `restore_refused` entry goes into its history at once, and every other payout is
   * run to its end: then it rejects with `RestoreRefusedError`, naming each refused row with its
   * error and carrying the others' results. */
  resume() {
    return this.#holding(async () => {
      const mine = [];
      for (const reference of await this.#store.unfinished()) {
        const record = await this.#store.load(reference);
        // A row that vanished or is damaged is run anyway, so that run() reports it.
        if (record === null || typeof record?.provider !== 'string' || record.provider === this.#kind) {
          mine.push(reference);
        }
      }
      // A refused row fails its own run only: one bad row must not stall every other payout (a
      // create that is out must be resolved within its key window). Any other failure (the
      // store's, close()) rejects at once, as before.
      const refused = new Map();
      const ran = await Promise.all(mine.map((reference) => this.run(reference).catch((error) => {
        if (!refusals.has(error)) throw error;
        refused.set(reference, error);
        return null;
      })));
      const results = ran.filter((result) => result !== null);
      if (refused.size > 0) throw new RestoreRefusedError(refused, results);
      return results;
    });
  }

  /** Runs the stored payout `reference` to its end: `{ reference, action }` (`done` or
   * `manual_reconciliation`). Rejects with `KirimError` on `reference`: `unexpected_shape` when it
   * is no non-empty string (nothing asked of the store), `invalid_field` when the store holds no
   * payout under it. A stored row it cannot restore rejects with the row's `KirimError` (the
   * core's), the row left as it is and a `restore_refused` entry in its history. */
  run(reference) {
    if (typeof reference !== 'string' || reference === '') {
      const shown = reference === '' ? 'an empty string' : reference === null ? 'null'
        : Array.isArray(reference) ? 'an array' : `a ${typeof reference}`;
      return Promise.reject(new KirimError({
        code: 'unexpected_shape',
        field: 'reference',
        message: `argument reference: ${shown}, expected the reference (a non-empty string) of a payout pay() stored`,
      }));
    }
    let running = this.#runs.get(reference);
    if (!running) {
      running = this.#holding(() => this.#drive(reference)).finally(() => this.#runs.delete(reference));
      this.#runs.set(reference, running);
    }
    return running;
  }

  /**
   * A callback as received (raw body bytes), verified by the core (`handleCallback` or
   * `handleNotification` of the provider), each payout it concerns found by reference (or by the
   * provider's payout id) and the callback applied to it (verified again by its machine); a
   * payout the store holds as finished is left as it is, the callback's events kept in its
   * history (`type: 'callback_after_end'`: the provider's later word, for the person reconciling
   * it). Returns the acknowledgement to send back: `{ status, headers, body }`. Rejects with
   * `StoreInUseError`, applying nothing, when it concerns a payout while another `PayoutDriver`
   * drives the store: answer with a 5xx, and the provider sends it again.
   */
  async handleCallback(headers, body) {
    const verified = typeof this.#provider.handleCallback === 'function'
      ? this.#provider.handleCallback(headers, body)
      : this.#provider.handleNotification(body);
    const events = verified.events ?? (verified.event ? [verified.event] : []);
    const targets = new Map(); // each payout concerned, with its events
    for (const event of events) {
      // By reference first (its own or a batch item's), then by the provider's payout id, as
      // every language's driver routes, whatever order a store of one's own checks them in.
      let found = event.reference_id != null ? await this.#store.find({ reference: event.reference_id }) : null;
      if (found == null && event.payout_id != null) found = await this.#store.find({ payoutId: event.payout_id });
      if (found != null) targets.set(found, [...(targets.get(found) ?? []), event]);
    }
    if (targets.size > 0) await this.#holding(() => this.#apply(targets, headers, body, events));
    return verified.acknowledgement;
  }

  /** Applies a verified callback to each payout it concerns (`targets`: reference -> its
   * events), while this driver holds the store. */
  async #apply(targets, headers, body, events) {
    for (const [reference, itsEvents] of targets) {
      const record = await this.#load(reference);
      if (record === null) continue;
      if (record.finished !== null) {
        // Acknowledged, so the provider will not send it again: its word is kept, not dropped.
        await this.#store.observe(reference, { at: this.#now(), type: 'callback_after_end', events: itsEvents });
        continue;
      }
      const entry = await this.#entry(reference);
      const now = this.#now();
      const result = entry.machine.handleCallback(headers, body, now);
      await this.#store.observe(reference, { at: now, type: 'callback', verdicts: result.verdicts,
        error: result.error && result.error.code, statuses: events.map((e) => e.status) });
      // The run may have finished the payout since the load above (its final result stored, its
      // machine let go): this machine may be older, so its save must not unfinish the payout.
      if (!await this.#save(reference, entry.machine, null, null, { unlessFinished: true })) {
        if (this.#live.get(reference) === entry) this.#live.delete(reference);
        continue;
      }
      entry.wake?.();
    }
  }

  /**
   * Stops every run at its next step (a wait ends now; a request already out is awaited, its
   * answer not handed over): their promises reject, and the payouts stay in the store, for
   * `resume()` in this process or the next. For a graceful shutdown.
   */
  close() {
    this.#closed = true;
    for (const entry of this.#live.values()) entry.wake?.();
  }

  /** The machine of `reference`: held, or restored from its stored snapshot (also when the one
   * held was lost with a WebAssembly instance the package replaced after a trap: the store has
   * its snapshot from before its last send, which the restored machine resolves as after a
   * crash; the held entry's `wake` goes to the new one). */
  async #entry(reference) {
    let entry = this.#live.get(reference);
    if (entry && !machineLost(entry.machine)) return entry;
    const record = await this.#load(reference);
    if (record === null) {
      throw new KirimError({
        code: 'invalid_field',
        field: 'reference',
        message: `the store holds no payout under reference ${JSON.stringify(reference)}: run() and resume() `
          + 'continue stored payouts; pay(order) stores and runs a new one',
      });
    }
    entry = this.#live.get(reference); // another call may have restored it meanwhile
    if (!entry || machineLost(entry.machine)) {
      // By the core's rule: a row holding another payout's snapshot is refused (`invalid_field`,
      // `reference`), never run as a second machine for that payout.
      const machine = PayoutLifecycle.restoreStored(this.#provider, record.snapshot, reference);
      entry = { machine, wake: entry?.wake ?? null };
      this.#live.set(reference, entry);
    }
    return entry;
  }

  async #drive(reference) {
    let entry = null;
    try {
      const stored = await this.#load(reference);
      if (stored && stored.finished !== null) return { reference, action: stored.finished };
      if (stored !== null) entry = await this.#entry(reference);
    } catch (error) {
      // The row is refused (its record's shape, or the core's restoreStored): nothing of it is
      // run or written; the refusal goes into its history now, as the other drivers and the
      // PostgreSQL worker record it. A store that failed is no refusal of the row.
      if (!(error instanceof KirimError)) throw error;
      await this.#store.observe(reference, { at: this.#now(), type: 'restore_refused', code: error.code,
        detail: `${error.code}: ${error.message}` });
      refusals.add(error);
      throw error;
    }
    entry ??= await this.#entry(reference); // no payout under it: #entry rejects, saying so
    for (;;) {
      if (this.#closed) throw new Error(`the driver was closed; payout ${reference} stays in the store for resume()`);
      if (machineLost(entry.machine)) entry = await this.#entry(reference);
      const now = this.#now();
      // One Pivot token for every payout of this driver (the machine still judges its expiry).
      if (this.#session !== null && entry.machine.session() === null) entry.machine.useSession(this.#session);
      const action = entry.machine.poll(now);
      if (action.kind === 'send') {
        // Write-ahead: the snapshot is stored before the request can leave, due at once (as
        // Python's and Kotlin's drivers store it): a process that dies here leaves it due.
        await this.#save(reference, entry.machine, null, now);
        const request = action.request;
        await this.#store.observe(reference, { at: now, type: 'send', purpose: action.purpose,
          method: request.method, url: request.url });
        const outcome = await this.#send(request);
        if (this.#closed) continue;
        const at = this.#now();
        await this.#store.observe(reference, { at, type: 'response', purpose: action.purpose,
          ...(outcome.response ? { status: outcome.response.status } : outcome) });
        // The machine that sent it was lost with a replaced instance: the restored one takes
        // this request as lost (a resend with the same key, or a query), never as unsent.
        if (machineLost(entry.machine)) continue;
        entry.machine.handleResponse(outcome, at);
        if (action.purpose === 'session') this.#session = entry.machine.session() ?? this.#session;
      } else if (action.kind === 'wait_until') {
        await this.#save(reference, entry.machine, null, action.at);
        const controller = new AbortController();
        entry.wake = () => controller.abort();
        await this.#sleep(Math.max(0, action.at - now) * 1000, controller.signal);
        entry.wake = null;
      } else {
        await this.#store.observe(reference, { at: now, type: action.kind,
          status: action.status ?? null, reason: action.reason ?? null });
        await this.#save(reference, entry.machine, action);
        this.#live.delete(reference);
        return { reference, action };
      }
    }
  }

  /** Sends with `fetch`, redirects not followed: every status is a response (a 3xx and an empty
   * body too); no answer within the timeout is `timeout`, any other failure to get one
   * `connection_error`, and so is a redirect whose response the runtime hides, a body above
   * `maxResponseBytes` (the request aborted, nothing more read) and a body cut short. */
  async #send(request) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers.map((h) => [h.name, h.value]),
        body: request.method === 'GET' ? undefined : request.body,
        // Followed, a 302 or 303 to a create would come back as the answer of another request
        // (a GET, to wherever it points, maybe with our headers): the core reads the 3xx itself.
        redirect: 'manual',
        signal: controller.signal,
      });
      if (response.type === 'opaqueredirect' || response.status === 0) {
        // A browser hides the redirect (status 0, no headers, no body): the request may have
        // been acted on, and nothing says how. The core reads status 0 as an unknown outcome
        // too; handed over as the transport failure it is, it is recorded as one.
        return { transport_failure: 'connection_error' };
      }
      // Read in pieces and capped: an endpoint (or a proxy) answering with gigabytes must not
      // run the process, and every payout in it, out of memory.
      const body = await readCapped(response, this.#maxResponseBytes);
      return { response: { status: response.status, headers: response.headers, body } };
    } catch (error) {
      if (error instanceof ResponseTooLarge) {
        // Never a truncated body to the core: an unknown outcome, queried or resent under its key.
        controller.abort();
        return { transport_failure: 'connection_error' };
      }
      return { transport_failure: controller.signal.aborted ? 'timeout' : 'connection_error' };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stores the machine's snapshot, once this driver's earlier saves of the payout are done;
   * `nextDue`: when it next needs the driver (null: not yet scheduled, so now; or never, once
   * `finished`). `unlessFinished`: not if the store holds the payout as finished (or not at
   * all), checked in the same step as the save. `insert`: a new payout, written with the store's
   * `insert` (never over a stored one). Resolves to whether it saved. */
  #save(reference, machine, finished, nextDue = null, { unlessFinished = false, insert = false } = {}) {
    const step = async () => {
      if (unlessFinished) {
        const stored = await this.#load(reference);
        if (stored === null || stored.finished !== null) return false;
      }
      // Taken now, not when asked: the latest state of a machine a callback may have changed.
      const snapshot = machine.snapshot();
      const parsed = JSON.parse(snapshot);
      const order = parsed.order;
      const record = {
        reference,
        provider: parsed.provider,
        references: [order.reference, ...(order.items ?? []).map((item) => item.reference)],
        order,
        snapshot,
        payout_id: parsed.payout_id ?? null,
        finished: finished === null ? null : plainAction(finished),
        next_due: nextDue,
      };
      if (!insert) {
        await this.#store.save(record);
        return true;
      }
      const inserted = await this.#store.insert(record);
      if (typeof inserted !== 'boolean') {
        throw new TypeError(`the store's insert() resolves to true (stored) or false (taken: nothing written), not ${typeof inserted}`);
      }
      return inserted;
    };
    const saved = (this.#saving.get(reference) ?? Promise.resolve()).then(step);
    const settled = saved.then(() => {}, () => {});
    this.#saving.set(reference, settled);
    settled.then(() => {
      if (this.#saving.get(reference) === settled) this.#saving.delete(reference);
    });
    return saved;
  }
}

function plainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An action as JSON data (a request's body as its length: it is not kept). */
function plainAction(action) {
  return JSON.parse(JSON.stringify(action));
}
