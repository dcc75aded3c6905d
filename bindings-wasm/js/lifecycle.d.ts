
// ---- the payout lifecycle and its driver (js/lifecycle.js, js/driver.js; docs/lifecycle.md) ----
// The order (`PayoutOrder`), statuses, failures, the lifecycle's enums (`Purpose`, `WaitReason`,
// `ManualReason`, `Phase`, `EventVerdict`) and its records (`LifecycleSettings`, `LifecycleAction`,
// `ItemOutcome`, `LifecycleState`, `LifecycleItemState`, `LifecycleCallback`) are generated from
// the core's types (kirim::lifecycle); the class and the driver over them are declared here.

/**
 * One payout's lifecycle (or a Pivot batch's), the core's machine: ask `poll(now)`, store
 * `snapshot()` BEFORE each send, hand back each answer with `handleResponse` and each callback
 * with `handleCallback`. Throws `KirimError`. Times are Unix seconds.
 */
export declare class PayoutLifecycle {
  /** Paper.id is refused (`invalid_field`): its payouts are created outside kirim. */
  constructor(provider: Pivot | Gateway, order: PayoutOrder, now: number);
  constructor(provider: Pivot | Gateway, order: PayoutOrder, settings: LifecycleSettings | null, now: number);
  /** The machine a stored snapshot describes (`unsupported_snapshot` for an unknown version). */
  static restore(provider: Pivot | Gateway, snapshot: string): PayoutLifecycle;
  /** The machine of the stored payout `reference` from the snapshot its row held: `restore`,
   * and refused (`invalid_field` on `reference`) when the snapshot is another payout's (a second
   * machine for it otherwise). A host restoring from its store uses this. */
  static restoreStored(provider: Pivot | Gateway, snapshot: string, reference: string): PayoutLifecycle;
  /** Decides a submission from what a driver looked up in its store, before it writes anything
   * (the core's rule): `'new'` (store it) or `'already_stored'` (the identical order under the
   * same provider: write nothing). `stored`: what the store holds under the order's reference,
   * or null; `held`: each reference of the order (its own, its items') the store maps to
   * ANOTHER payout. Throws `KirimError` (`invalid_field` on `reference` or
   * `items[i].reference`) when the stored order differs (amount, beneficiary, items,
   * provider, ...) or another payout holds one of its references: a reference names one payout. */
  static checkSubmission(
    order: PayoutOrder,
    stored: { readonly order: PayoutOrder; readonly provider: string } | null,
    provider: string,
    held: ReadonlyArray<{ readonly reference: string; readonly payout: string }>,
  ): 'new' | 'already_stored';
  poll(now: number): LifecycleAction;
  /** The outcome of the last `send`: every status a response, no answer a transport failure. */
  handleResponse(outcome: OutcomeInput, now: number): void;
  /** A callback as received (raw body bytes), verified by the provider's rules, then applied. */
  handleCallback(headers: HeadersInput, body: Uint8Array, now: number): LifecycleCallback;
  /** A callback read WITHOUT verification: its events can only bring a query forward. */
  handleUnverifiedCallback(body: Uint8Array, now: number): LifecycleCallback;
  /** JSON text (format version 1): store it before each send. */
  snapshot(): string;
  state(): LifecycleState;
  readonly idempotencyKey: string;
  readonly order: PayoutOrder;
  /** Shares a Pivot token with this machine. */
  /** The machine's Pivot token, or null: what a driver shares with its other payouts. */
  session(): AccessToken | null;
  useSession(token: AccessToken): void;
  forgetSession(): void;
}

/** A payout as a store keeps it. */
export type StoredPayout = {
  reference: string;
  provider: 'pivot' | 'gateway';
  /** The order's reference and its items'. */
  references: string[];
  order: PayoutOrder;
  snapshot: string;
  payout_id: string | null;
  /** The final action (`done` or `manual_reconciliation`), or null while it runs. */
  finished: LifecycleAction | null;
  /** Unix seconds when the payout next needs the driver (its machine waits until then); null:
   * now (or never, once finished). A host that schedules its own wake-ups (an edge worker's
   * cron, driving `PayoutLifecycle` itself) picks the payouts due from it. Absent in records
   * stored before kirim wrote it: read as null. */
  next_due?: number | null;
};

/** One thing that happened to a payout (a send, a response, a callback, its end). */
/** One entry of a payout's history: `type` is `send`, `response`, `callback`, the final action's
 * kind, or `callback_after_end` (a verified callback for a payout that had already ended, its
 * `events` kept for the person reconciling it). */
export type Observation = { at: number; type: string; [detail: string]: unknown };

/** Where the driver keeps payouts: any database. Each call may be async. */
export interface PayoutStore {
  /** The driver starts a payout's save once its previous one has resolved (never two at once);
   * a `load` after a save resolved must return what it saved. */
  save(record: StoredPayout): Promise<void> | void;
  /** A new payout: stores `record` only if no payout is stored under its reference and no
   * other payout holds any of `record.references`, checked and written at once (one
   * transaction, a unique constraint): `true` when stored, `false` (nothing written) when taken.
   * The driver writes every new payout with it, never over a stored one (another driver on the
   * store, another process on its database, may store one between the driver's check and its
   * write), and decides again on what the store then holds. Without it the driver checks and
   * then saves, which is safe only while that driver is the store's only writer. */
  insert?(record: StoredPayout): Promise<boolean> | boolean;
  load(reference: string): Promise<StoredPayout | null> | StoredPayout | null;
  /** The reference of the payout whose order names `reference` (its own or an item's); else of
   * the one whose provider id is `payoutId` (the reference first: a payout id never takes a
   * callback naming another payout). The driver asks with one of the two at a time: the
   * reference, then the payout id. */
  find(key: { reference?: string | null; payoutId?: string | null }): Promise<string | null> | string | null;
  /** Unfinished payouts' references: those due now first (no `next_due`), then by `next_due`,
   * then by reference. */
  unfinished(): Promise<string[]> | string[];
  observe(reference: string, observation: Observation): Promise<void> | void;
  history(reference: string): Promise<Observation[]> | Observation[];
}

/** A `PayoutStore` whose every method returns a promise: `MemoryStore` and kirim/sqlite's
 * `SqliteStore`. */
export interface AsyncPayoutStore extends PayoutStore {
  save(record: StoredPayout): Promise<void>;
  insert(record: StoredPayout): Promise<boolean>;
  load(reference: string): Promise<StoredPayout | null>;
  find(key: { reference?: string | null; payoutId?: string | null }): Promise<string | null>;
  unfinished(): Promise<string[]>;
  observe(reference: string, observation: Observation): Promise<void>;
  history(reference: string): Promise<Observation[]>;
}

/** A store in memory, gone with the process: for tests and edge workers. */
export declare class MemoryStore implements AsyncPayoutStore {}
// Its methods are AsyncPayoutStore's (a class declaration merged with this interface).
export interface MemoryStore extends AsyncPayoutStore {}

export type DriverOptions = {
  /** Default: the global `fetch`. Called with `redirect: 'manual'`: a 3xx goes to the core as
   * it is (one of your own must not follow redirects either); an opaque redirect (status 0, as a
   * browser answers) goes as a `connection_error`, which leaves the outcome unknown. The body is
   * read through `body`'s reader, a piece at a time (see `maxResponseBytes`); a response of your
   * own with no `body` stream is read with `arrayBuffer()`, then measured. */
  fetch?: (url: string, init: { method: string; headers: [string, string][]; body?: Uint8Array<ArrayBuffer>; redirect: 'manual'; signal: AbortSignal }) => Promise<{ status: number; type?: string; headers: HeadersInput; body?: ReadableStream<Uint8Array> | null; arrayBuffer(): Promise<ArrayBuffer> }>;
  /** Unix seconds. Default: `Date.now()`. */
  clock?: () => number;
  /** Waits `ms`, or less once `signal` aborts (a callback arrived). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** No answer within this many milliseconds is a `timeout`: a whole number from 1 to 86,400,000
   * (a day; default 60,000, the core's). Anything else is a `KirimError` (`invalid_field` on
   * `timeout_ms`) when the driver is made: the core's check, the same in every language. */
  timeoutMs?: number;
  /** The cap on a response body, in bytes (a whole number from 1 to 2^53 - 1; default 16 MiB,
   * 16,777,216, the core's; anything else is a `KirimError`, `invalid_field` on
   * `max_response_bytes`, when the driver is made). The body is read a piece at a time
   * and counted as the runtime decodes it (gzip, deflate, br); a `Content-Length` or body above
   * the cap is a `connection_error`, the request aborted and nothing more read (an unknown
   * outcome: queried or resent under its key, never a truncated body handed to the core), so an
   * endpoint or proxy answering with gigabytes cannot run the process out of memory. A body
   * shorter than its `Content-Length` is a `connection_error` too. The core refuses bodies above
   * its own `max_body_bytes` (1 MiB by default) anyway. */
  maxResponseBytes?: number;
  settings?: LifecycleSettings | null;
};

export type PayoutResult = { reference: string; action: LifecycleAction };

/** The store is in use by another driver: another `PayoutDriver` of the same provider in this
 * process is driving the same store object, or (kirim/sqlite, which exports this class too) a
 * store in another process holds the SQLite file. Drive each provider's payouts of a store
 * through one `PayoutDriver`, a database from one process. */
export declare class StoreInUseError extends Error {
  readonly name: 'StoreInUseError';
}

/** `resume()` ran every payout it could, and refused the stored rows it cannot restore (the
 * core refuses the snapshot: an edited database, a snapshot from a newer kirim, another payout's
 * snapshot under its reference; or the record is damaged): each left as it is, a
 * `restore_refused` entry in its history, tried again by the next `resume()`. A person must fix
 * each row; never pay the order again under a new reference. A `KirimError` (named so) with code
 * `unsupported_snapshot`, the code of a stored payout this kirim cannot restore. */
export declare class RestoreRefusedError extends KirimError {
  readonly code: 'unsupported_snapshot';
  /** Each refused row's reference and its error (the core's, e.g. `invalid_field` on `reference`). */
  readonly refused: Map<string, KirimError>;
  /** Every payout it ran: what `resume()` resolves to when nothing is refused. */
  readonly results: PayoutResult[];
}

/**
 * Runs payouts of one provider to their end with `fetch`: the snapshot stored before each send,
 * timeouts and connection errors handed to the core as transport failures, callbacks verified by
 * the core and routed to their payout by reference. Decides nothing the core decides.
 *
 * One driver per provider per store (a Pivot driver and a Gateway driver may share one store):
 * while a driver runs a payout (`pay`, `run`, `resume`) or applies a callback, it holds its
 * provider's payouts of its store object for this process, and another `PayoutDriver` of the same
 * provider over the same store is refused with `StoreInUseError`, nothing sent or written (its
 * `pay` stores nothing; its `handleCallback` applies nothing: answer 5xx, the provider sends it
 * again), as another process is refused a `SqliteStore`'s file. Two would each run their own
 * machine for the same payout, saving over each other's snapshots. The hold ends when the driver
 * has no run or callback under way.
 */
export declare class PayoutDriver {
  constructor(provider: Pivot | Gateway, store: PayoutStore, options?: DriverOptions);
  /** Runs the payout of `order` to its end (the stored one, if the store holds the reference).
   * Rejects with `StoreInUseError`, nothing written, while another driver of the provider drives
   * the store. */
  pay(order: PayoutOrder, settings?: LifecycleSettings | null): Promise<PayoutResult>;
  /** Runs every unfinished payout of this driver's provider in the store to its end (after a
   * restart); another provider's payouts are left to that provider's driver. A stored row it
   * cannot restore is not run and not written (a `restore_refused` entry goes into its history at
   * once); every other payout is run to its end, then it rejects with `RestoreRefusedError`,
   * naming each such row with its error and carrying the others' results. */
  resume(): Promise<PayoutResult[]>;
  /** Runs the stored payout `reference` to its end. Rejects with `KirimError` on `reference`:
   * `unexpected_shape` when it is no non-empty string, `invalid_field` when the store holds no
   * payout under it; with the row's `KirimError` (the core's) when the row cannot be restored
   * (left as it is, a `restore_refused` entry in its history). */
  run(reference: string): Promise<PayoutResult>;
  /** Stops every run at its next step (their promises reject); the payouts stay in the store. */
  close(): void;
  /** Verifies a callback (raw body bytes), applies it to its payout; answer with the result. A
   * payout the store holds as finished is left as stored (a late duplicate changes nothing).
   * Rejects with `StoreInUseError`, applying nothing, while another driver of the provider drives
   * the store. */
  handleCallback(headers: HeadersInput, body: Uint8Array): Promise<Acknowledgement>;
}
