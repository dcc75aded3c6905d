// ---- the payout lifecycle (js/lifecycle.js, appended to js/api.js by script/build) --------
//
// `PayoutLifecycle` wraps the core's machine (`raw.Lifecycle`, kirim::lifecycle::host): JSON
// text across, conversions only. The core decides every step; see docs/lifecycle.md.
//
// EXPORTS: PayoutLifecycle

/** Unix seconds as the `i64` the module takes: an integer within what a JS number holds exactly
 * (a `number` or a `bigint`), as the provider calls take `now`. Anything else is the
 * `KirimError` those calls give (`unexpected_shape` on `field`). */
function seconds(now, field = 'now', what = `argument ${field}:`) {
  const exact = typeof now === 'bigint' ? !inexactNumber(now) : Number.isSafeInteger(now);
  if (exact) return BigInt(now);
  const shown = typeof now === 'number' ? String(now) : typeof now === 'bigint' ? `${now}n`
    : now === null ? 'null' : `a ${typeof now}`;
  throw new KirimError({
    code: 'unexpected_shape',
    field,
    message: `${what} ${shown} is not Unix seconds: pass an integer number of seconds within ±(2^53 - 1) `
      + '(e.g. Math.floor(Date.now() / 1000))',
  });
}

/** `value` as the JSON text the module takes for the required argument `field`: undefined, a
 * function or a symbol (which JSON.stringify turns into no text at all) is the core's error for
 * a missing value, not the glue's TypeError. */
function requiredJson(value, field) {
  const text = stringify(value, field);
  if (text !== undefined) return text;
  throw new KirimError({
    code: 'unexpected_shape',
    field,
    message: `argument ${field}: ${value === undefined ? 'missing (undefined)' : `a ${typeof value}`}, expected an object`,
  });
}

/** A fresh configured provider for one machine (the module takes it over), from a `Pivot` or
 * `Gateway` instance's configuration as it was checked. */
function machineProvider(provider) {
  const state = providers.get(provider);
  if (!state) throw new TypeError('pass a Pivot or Gateway instance (new Pivot(config))');
  return guarded(() => new raw.Provider(state.provider, state.json));
}

/** An action of the core, its request (if any) as an `HttpRequest`. */
function lifecycleAction(json) {
  const action = JSON.parse(json);
  if (action.kind === 'send') action.request = new HttpRequestData(action.request);
  return action;
}

/** A callback's outcome on a machine: the verification error as `KirimError`, the
 * acknowledgement's body as bytes. */
function callbackResult(json) {
  const out = JSON.parse(json);
  return {
    verdicts: out.verdicts,
    error: out.error === null ? null : new KirimError(out.error),
    acknowledgement: out.acknowledgement === null ? null : acknowledgement(out.acknowledgement),
  };
}

const machines = new WeakMap();

/**
 * One payout's lifecycle (or a Pivot batch's): ask `poll(now)` what to do, store `snapshot()`
 * BEFORE each send, hand back each answer with `handleResponse` and each callback with
 * `handleCallback`. See docs/lifecycle.md; `runPayouts` in the driver does all of it.
 */
class PayoutLifecycle {
  /** `new PayoutLifecycle(provider, order, now)` or `(provider, order, settings, now)`. */
  constructor(provider, order, settings, now) {
    if (now === undefined) {
      now = settings;
      settings = null;
    }
    const handle = machineProvider(provider);
    const input = [requiredJson(order, 'order'), stringify(settings ?? null, 'settings'), seconds(now)];
    machines.set(this, {
      machine: guarded(() => new raw.Lifecycle(handle, ...input)),
      generation: instanceGeneration,
    });
    Object.freeze(this);
  }

  /** The machine a stored snapshot describes (a request out when it was taken counts as lost;
   * the core resolves it before anything else). */
  static restore(provider, snapshot) {
    if (typeof snapshot !== 'string') throw new TypeError('a snapshot is the text snapshot() returned');
    checkWellFormed(snapshot, 'the snapshot');
    const handle = machineProvider(provider);
    const self = Object.create(PayoutLifecycle.prototype);
    machines.set(self, {
      machine: guarded(() => raw.Lifecycle.restore(handle, snapshot)),
      generation: instanceGeneration,
    });
    return Object.freeze(self);
  }

  /** The machine of the stored payout `reference` from the snapshot its row held: `restore`,
   * and refused (`KirimError` `invalid_field` on `reference`) when the snapshot is another
   * payout's. Such a row (an edited database, a store returning the wrong row) would be a second
   * machine for that payout, sending its requests and saving over its row. A host restoring
   * from its store uses this, not `restore`. */
  static restoreStored(provider, snapshot, reference) {
    if (typeof snapshot !== 'string') throw new TypeError('a snapshot is the text snapshot() returned');
    if (typeof reference !== 'string') throw new TypeError('reference is the stored payout\'s reference, a string');
    checkWellFormed(snapshot, 'the snapshot');
    checkWellFormed(reference, 'the reference');
    const handle = machineProvider(provider);
    const self = Object.create(PayoutLifecycle.prototype);
    machines.set(self, {
      machine: guarded(() => raw.Lifecycle.restore_stored(handle, snapshot, reference)),
      generation: instanceGeneration,
    });
    return Object.freeze(self);
  }

  /** Decides a submission from what a driver looked up in its store, before it writes anything
   * (the core's rule): `'new'` (store it) or `'already_stored'` (the identical order under the
   * same provider: write nothing). `stored`: `{ order, provider }` the store holds under the
   * order's reference, or null; `held`: `[{ reference, payout }]` for each reference of the
   * order (its own, its items') the store maps to ANOTHER payout. Throws `KirimError`
   * (`invalid_field` on `reference` or `items[i].reference`) when the stored order differs or
   * another payout holds one of its references: a reference names one payout. */
  static checkSubmission(order, stored, provider, held) {
    if (typeof provider !== 'string') throw new TypeError('provider is the provider\'s name, a string (\'pivot\', \'gateway\')');
    if (stored !== null && (typeof stored !== 'object' || typeof stored.provider !== 'string')) {
      throw new TypeError('stored is null or { order, provider } as the store holds them');
    }
    if (!Array.isArray(held)) throw new TypeError('held is an array of { reference, payout }');
    checkWellFormed(provider, 'the provider');
    const orderText = requiredJson(order, 'order');
    const storedOrder = stored === null ? undefined : stringify(stored.order, 'stored.order');
    const storedProvider = stored === null ? undefined : stored.provider;
    if (storedProvider !== undefined) checkWellFormed(storedProvider, 'the stored provider');
    const heldText = stringify(held, 'held');
    return guarded(() => raw.Lifecycle.check_submission(orderText, storedOrder, storedProvider, provider, heldText));
  }

  /** What to do next, at `now`. */
  poll(now) {
    const at = seconds(now);
    return lifecycleAction(guarded(() => machineOf(this).poll(at)));
  }

  /** The answer (or transport failure) to the last `send`. */
  handleResponse(outcome, now) {
    const text = stringify(outcomeInput(outcome), 'outcome');
    const at = seconds(now);
    guarded(() => machineOf(this).handle_response(text, at));
  }

  /** A callback as received (raw body bytes), verified by the provider's rules, then applied.
   * Send `acknowledgement` back to the provider. */
  handleCallback(headers, body, now) {
    const list = stringify(headerList(headers), 'headers');
    if (!(body instanceof Uint8Array)) throw new TypeError(bodyMessage('body'));
    const at = seconds(now);
    return callbackResult(guarded(() => machineOf(this).handle_callback(list, body, at)));
  }

  /** A callback read WITHOUT verification: its events can only bring a query forward. */
  handleUnverifiedCallback(body, now) {
    if (!(body instanceof Uint8Array)) throw new TypeError(bodyMessage('body'));
    const at = seconds(now);
    return callbackResult(guarded(() => machineOf(this).handle_unverified_callback(body, at)));
  }

  /** The snapshot (JSON text, format version 1): store it before each send. */
  snapshot() {
    return guarded(() => machineOf(this).snapshot());
  }

  /** Where the payout stands (as the scenario vectors check it). */
  state() {
    return JSON.parse(guarded(() => machineOf(this).state()));
  }

  /** The idempotency key the order derives. */
  get idempotencyKey() {
    return guarded(() => machineOf(this).idempotency_key());
  }

  /** The order, as the snapshot holds it. */
  get order() {
    return JSON.parse(this.snapshot()).order;
  }

  /** Shares a Pivot token with this machine (one token for many payouts). */
  useSession(token) {
    const text = stringify(tokenInput(token), 'token');
    guarded(() => machineOf(this).use_session(text));
  }

  /** The machine's Pivot token (an `AccessToken`), or null: to share with other payouts. */
  session() {
    const text = guarded(() => machineOf(this).session());
    if (text === undefined || text === null) return null;
    const token = JSON.parse(text);
    return new AccessToken(token.value, token.expires_at, token.token_type);
  }

  /** Drops the token. */
  forgetSession() {
    guarded(() => machineOf(this).forget_session());
  }

  [INSPECT_NODE]() {
    return 'PayoutLifecycle {}';
  }

  [INSPECT_DENO]() {
    return this[INSPECT_NODE]();
  }
}

/** Whether `machine`'s state went with an instance the package replaced after a trap (its
 * payout is then restored from the snapshot stored before its last send, as after a crash). */
function machineLost(machine) {
  const state = machines.get(machine);
  return state !== undefined && state.generation !== instanceGeneration;
}

function machineOf(instance) {
  const state = machines.get(instance);
  if (!state) throw new TypeError('not a PayoutLifecycle');
  if (state.generation !== instanceGeneration) {
    // The module trapped and was replaced: this machine's state went with it. The host restores
    // it from the snapshot it stored (as after a crash).
    throw new Error('the WebAssembly instance was reset: restore this payout from its stored snapshot');
  }
  return state.machine;
}
