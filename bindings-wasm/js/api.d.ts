// kirim: TypeScript declarations of the npm package.
//
// The API below is hand-written over what follows it, which is generated from Rust by
// src/bin/kirim-wasm-types: the typed functions and the provider classes (Pivot, Gateway,
// PaperId) from the table of typed calls, and the model types from kirim's Rust types (ts-rs). Data keeps the core's snake_case JSON field names; methods are
// camelCase. Money is a decimal string (`Money`) or a `bigint` of minor units, never a number;
// an input amount is `Money` or a decimal string of rupiah (a number or a bigint is refused).
// Bodies are `Uint8Array`: a string or a parsed object is a TypeError ("pass the raw body bytes").
// Times are Unix seconds.

/** The core's error. `code` is stable (docs/errors.md); `field` names the offending input. */
export declare class KirimError extends Error {
  readonly name: 'KirimError';
  readonly code: ErrorCode;
  readonly field: string | null;
  /** Every violated field, for `validation_failed`. */
  readonly violations: Violation[];
  readonly provider_code: string | null;
  readonly provider_message: string | null;
  readonly provider_details: ProviderDetail[];
  readonly http_status: number | null;
  readonly provider_trace_id: string | null;
  /** The core's JSON form of the error, exactly as the Rust core serializes it. */
  toJSON(): KirimErrorData;
}

/** A key or token. `toString`, `JSON.stringify` and console inspection show `[redacted]`. */
export declare class Secret {
  constructor(value: string | Secret);
  /** The value, for placing it where the protocol needs it. */
  exposeSecret(): string;
  toString(): string;
  toJSON(): string;
}

/** A Pivot bearer token and its expiry (Unix seconds). Its value never prints. */
export declare class AccessToken {
  /** Rebuilds a token the host stored (e.g. shared across processes). */
  constructor(value: string | Secret, expires_at: number, token_type?: string);
  readonly token_type: string;
  readonly expires_at: number;
  exposeSecret(): string;
  toJSON(): { token_type: string; expires_at: number };
}

/** Request headers: `[{ name, value }]`, a fetch `Headers`, or a record such as Node's
 * `req.headers` (names are matched case-insensitively by the core). */
export type HeadersInput =
  | ReadonlyArray<Header>
  | { forEach(callback: (value: string, name: string) => void): void; get(name: string): string | null }
  | { readonly [name: string]: string | ReadonlyArray<string> | undefined };

/** What the host observed after sending a request: the response (`body` as raw bytes; headers
 * in any `HeadersInput` form) or the transport failure. Every `HttpOutcome` is one. */
export type OutcomeInput =
  | { response: { status: number; headers?: HeadersInput; body?: Uint8Array } }
  | { transport_failure: TransportFailure };

/** One observation: a status (confirmed, as a query answer is), or a status with the
 * confirmation of the event it came from (`{ status: event.status, confirmation: event.confirmation }`). */
export type StatusObservation = PayoutStatus | { status: PayoutStatus; confirmation?: Confirmation };

/** The providers with idempotency-key rules. */
export type IdempotencyProvider = 'pivot';

/** The core's JSON operation interface (the shared vectors' format): JSON text in and out.
 * Throws `KirimError`. */
export declare function runOperation(operation: string, inputJson: string): string;

/** `Money` from integer minor units (sen). */
export declare function moneyFromMinorUnits(minorUnits: bigint, currency?: Currency): Money;
/** The exact minor units (sen) of `Money`. */
export declare function moneyMinorUnits(money: Money): bigint;

/** The state after `incoming` is observed in `current` (stale events never move backwards;
 * pending, processing and delayed are peers, so a top-up hold shows). A `tentative`
 * observation (pass `event.confirmation`) never makes a payout final. */
export declare function mergeStatus(current: PayoutStatus | null, incoming: PayoutStatus, confirmation?: Confirmation): PayoutStatus;
