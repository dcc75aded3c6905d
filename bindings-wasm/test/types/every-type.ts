// Uses every type the package exports, under `tsc --strict --noEmit` (script/test). The export
// test (exports.test.mjs) fails when a name declared in index.d.ts is missing from this file.
// `@ts-expect-error` lines check that the types refuse what the runtime refuses: floats for
// money, strings for bodies, unknown codes.
import {
  AccessToken, Gateway, KirimError, PaperId, Pivot, Secret, deriveIdempotencyKey, idempotencyKeyReuse,
  isFinal, mergeStatus, mergeStatuses, moneyFromMinorUnits, moneyMinorUnits, parseMoney, redactHeaders,
  runOperation, validateIdempotencyKey, PayoutLifecycle, PayoutDriver, MemoryStore,
  StoreInUseError as DriverStoreInUseError, RestoreRefusedError,
} from 'kirim';
import type {
  Acknowledgement, Authenticity, BatchStatus, CallbackHandling, Confirmation, CreateAttempt, CreatePayoutOutcome, CreateWithdrawOutcome,
  Currency, ErrorCode, Failure, FailureReason, GatewayConfig, Header, HeadersInput, HexCase, HttpOutcome,
  HttpRequest, HttpResponse, IdempotencyProvider, InquiryInput, InquiryResult, InquiryStatus, KeyJoin, KeyReuse,
  KirimErrorData, Method, Money, NameSource, NextAction, NotificationHandling, OutcomeInput, PaperIdConfig,
  PayoutBatch, PayoutDestination, PayoutEvent, PayoutItemInput, PayoutItemState, PayoutStatus, PayoutTotals,
  PivotConfig, Provider, ProviderDetail, QueryFilter, QueryResult, ReconciliationReason, RetryAdvice,
  SecretInput, SignType, Signature, TestCallbackEvent,
  StatusMerge, StatusObservation, TransportFailure, Violation, Warning, WithdrawOrderInput, WithdrawOrderState,
  Beneficiary, PayoutItem, PayoutOrder, LifecycleSettings, ManualReason, ItemOutcome, LifecycleAction, LifecycleState,
  Purpose, WaitReason, Phase, EventVerdict, LifecycleItemState,
  LifecycleCallback, StoredPayout, Observation, PayoutStore, AsyncPayoutStore, DriverOptions, PayoutResult,
} from 'kirim';
import { SqliteStore, StoreInUseError } from 'kirim/sqlite';

const now = 1715588100;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---- model ---------------------------------------------------------------------------------
const currency: Currency = 'IDR';
const money: Money = parseMoney('1238.86', currency);
const sen: bigint = moneyMinorUnits(money);
const back: Money = moneyFromMinorUnits(sen + 1n);
// @ts-expect-error money is never a JS number
moneyFromMinorUnits(1238.86);
// @ts-expect-error a Money value is a decimal string
const floatMoney: Money = { value: 1238.86, currency: 'IDR' };
const status: PayoutStatus = mergeStatus('succeeded', 'reversed');
const merged: StatusMerge = mergeStatuses(null, ['pending', status, { status: 'succeeded', confirmation: 'tentative' }]);
const expectedStatus: PayoutStatus | null = merged.expected;
const confirmation: Confirmation = 'tentative';
const observed: PayoutStatus = mergeStatus('processing', 'succeeded', confirmation);
const observation: StatusObservation = { status: 'failed' };
// @ts-expect-error a confirmation is confirmed or tentative
mergeStatus('processing', 'succeeded', 'maybe');
const done: boolean = isFinal(status);
// @ts-expect-error isFinal takes a status of the model
isFinal('done');
const provider: IdempotencyProvider = 'pivot';
const key: string = deriveIdempotencyKey(provider, 'order-1', 0);
validateIdempotencyKey(provider, key);
const reuse: KeyReuse = idempotencyKeyReuse(provider, now, now + 60);
const reuseText = reuse.kind === 'replays_until' ? `until ${reuse.until}` : `expired since ${reuse.since}`;
const secretInput: SecretInput = new Secret('k');
const plainSecret: SecretInput = 'also accepted';
const json: string = runOperation('money.parse', JSON.stringify({ value: '1', currency }));

// ---- errors --------------------------------------------------------------------------------
function describe(error: unknown): string {
  if (!(error instanceof KirimError)) return 'not kirim';
  const code: ErrorCode = error.code;
  const violations: Violation[] = error.violations;
  const details: ProviderDetail[] = error.provider_details;
  const data: KirimErrorData = error.toJSON();
  switch (error.code) {
    case 'validation_failed':
      return violations.map((v) => `${v.field}: ${v.code} ${v.message}`).join('; ');
    case 'credentials_invalid':
      return `${error.http_status ?? 0} ${error.provider_code ?? ''} ${error.provider_message ?? ''} ${error.provider_trace_id ?? ''}`;
    // @ts-expect-error not a code kirim has
    case 'no_such_code':
      return 'never';
    default:
      return `${code} ${error.field ?? ''} ${details.length} ${data.message}`;
  }
}

// ---- HTTP as data --------------------------------------------------------------------------
const method: Method = 'POST';
const header: Header = { name: 'X-API-Key', value: 'k' };
const headersList: HeadersInput = [header];
const headersRecord: HeadersInput = { 'x-api-key': 'k', 'x-forwarded-for': ['a', 'b'] };
const response: HttpResponse = { status: 200, headers: [header], body: bytes('{}') };
const outcome: HttpOutcome = { response };
const failure: TransportFailure = 'timeout';
const lost: OutcomeInput = { transport_failure: failure };
const fetched: OutcomeInput = { response: { status: 200, headers: headersRecord, body: bytes('{}') } };
function send(request: HttpRequest): string {
  const body: Uint8Array<ArrayBuffer> = request.body;
  return `${request.method === method} ${request.url} ${request.headers.length} ${body.length}`;
}
const shown: Header[] = redactHeaders(headersRecord);
function answer(ack: Acknowledgement): [number, Uint8Array<ArrayBuffer>, boolean] {
  return [ack.status, ack.body, ack.provider_will_retry];
}

// ---- events --------------------------------------------------------------------------------
function onEvent(event: PayoutEvent): string {
  const who: Provider = event.provider;
  const how: Authenticity = event.authenticity;
  const sure: Confirmation = event.confirmation;
  const totals: PayoutTotals | null = event.totals;
  const warnings: Warning[] = event.warnings;
  const paid: Money | null = event.real_amount;
  const fee: Money | null = event.fee;
  if (warnings.length > 0 || paid !== null || fee !== null) {
    return `${warnings.map((w: Warning) => `${w.field}: ${w.reason}`).join(', ')} ${paid?.value ?? ''} ${fee?.value ?? ''}`;
  }
  const why: Failure | null = event.failure;
  const reason: FailureReason | undefined = why?.reason;
  const retry: RetryAdvice | undefined = why?.retry;
  const delay = retry?.kind === 'retry_after_delay' ? retry.min_delay_seconds : 0;
  return `${who} ${how} ${sure} ${event.status} ${event.amount?.value ?? ''} ${totals?.success_count ?? 0} ${reason ?? ''} ${delay}`;
}

// ---- Pivot ---------------------------------------------------------------------------------
const pivotConfig: PivotConfig = {
  base_url: 'https://api-stg.pivot-payment.com',
  merchant_id: 'm',
  merchant_secret: secretInput,
  callback_api_keys: [plainSecret],
};
const pivot = new Pivot(pivotConfig);
const token: AccessToken = pivot.parseAccessToken(outcome, now);
const restored = new AccessToken(token.exposeSecret(), token.expires_at, token.token_type);
const refresh: boolean = pivot.needsRefresh(restored, now);
const inquiry: InquiryInput = { channel_code: 'BCA', account_number: '1', account_name: 'Budi' };
const inquired: InquiryResult = pivot.parseInquiry(outcome);
const inquiryStatus: InquiryStatus = inquired.status;
const nameSource: NameSource | null = inquired.bank_record_name_source;
const destination: PayoutDestination = { type: 'inquiry', inquiry_id: inquired.inquiry_id };
const item: PayoutItemInput = { reference_id: 'order-1', destination, amount: money };
const rupiah: PayoutItemInput = { reference_id: 'order-2', destination, amount: '150000' };
// @ts-expect-error an amount is never a bare number: rupiah or sen would be a guess
const bare: PayoutItemInput = { reference_id: 'order-3', destination, amount: 150000 };
// @ts-expect-error nor a bigint
const bareBig: PayoutItemInput = { reference_id: 'order-4', destination, amount: 15000000n };
const created: CreatePayoutOutcome = pivot.parseCreatePayout(lost);
const next: NextAction = created.next_action;
// The error is the core's error data (issue 15 item 13: it was declared as the global Error).
const createError: KirimErrorData | null = created.error;
const createCode: ErrorCode | undefined = created.error?.code;
const createField: string | null | undefined = created.error?.field;
const mustRenew = next.kind === 'rejected' && next.new_idempotency_key_required;
const attempt: CreateAttempt = { idempotency_key: 'k'.repeat(32), reference_ids: ['order-1'], first_sent_at: now, now };
const late: NextAction = pivot.parseCreatePayout(lost, attempt).next_action;
const person: Extract<NextAction, { kind: 'manual_reconciliation' }> | null =
  late.kind === 'manual_reconciliation' ? late : null;
const why: ReconciliationReason | undefined = person?.reason;
const resend: boolean = late.kind === 'resend_same_request' || why === 'key_window_over';
const batch: PayoutBatch | null = created.batch;
const batchStatus: BatchStatus | null | undefined = batch?.batch_status;
const items: PayoutItemState[] = pivot.parseRetrieve(fetched).items;
const handled: CallbackHandling = pivot.handleCallback(headersList, bytes('{}'));
const pivotRequests: HttpRequest[] = [
  pivot.accessTokenRequest(),
  pivot.balanceRequest(token, now),
  pivot.inquiryRequest(token, now, inquiry),
  pivot.inquiryStatusRequest(token, now, inquired.inquiry_id),
  pivot.createPayoutRequest(token, now, pivot.deriveRequestId('order-1', 1), [item]),
  pivot.retrieveRequest(token, now, 'uuid', null),
];
const balance: Money = pivot.parseBalance(outcome);
const events: PayoutEvent[] = [...pivot.verifyCallback(headersRecord, bytes('{}')), ...pivot.parseCallbackUnverified(bytes('{}'))];
// @ts-expect-error bodies are raw bytes, not strings
pivot.verifyCallback(headersList, '{"event":"PAYOUT.SUCCESS"}');

// ---- the gateway ---------------------------------------------------------------------------
const signType: SignType = 'HMAC-SHA256';
const keyJoin: KeyJoin = 'ampersand';
const hexCase: HexCase = 'lower';
const gatewayConfig: GatewayConfig = {
  base_url: 'https://gw.example',
  platform_id: 'P1',
  platform_key: new Secret('k'),
  sign_type: signType,
  key_join: keyJoin,
  hex_case: hexCase,
  status_map: { 2: 'succeeded' },
};
const gateway = new Gateway(gatewayConfig);
const order: WithdrawOrderInput = { payout_cl_id: 'o-1', amount: money, bank_name: 'BCA', name: 'Budi', number: '1' };
const signature: Signature = gateway.sign({ amount: 100, name: 'Budi', flag: true, none: null }, 'MD5');
const signedBytes: Signature = gateway.sign(bytes('{"amount":100.50}'));
const withdraw: CreateWithdrawOutcome = gateway.parseCreateWithdraw(outcome);
const withdrawCode: ErrorCode | undefined = withdraw.error?.code;
const withdrawError: KirimErrorData | null = withdraw.error;
const filter: QueryFilter = { limit: 25, payout_cl_id: 'o-1' };
const query: QueryResult = gateway.parseQuery(outcome);
const orders: WithdrawOrderState[] = query.orders;
const queryWarnings: Warning[] = query.warnings;
const batchWarnings: Warning[] = batch?.warnings ?? queryWarnings;
const notification: NotificationHandling = gateway.handleNotification(bytes('{}'));
const gatewayRequests: HttpRequest[] = [
  gateway.createWithdrawRequest(order, now),
  gateway.queryRequest(filter),
  gateway.queryRequest(),
  gateway.queryOrderRequest('o-1'),
  gateway.balanceRequest(),
];
const gatewayEvents: PayoutEvent[] = [gateway.verifyNotification(bytes('{}')), gateway.parseNotificationUnverified(bytes('{}'))];
const gatewayBalance: Money = gateway.parseBalance(outcome);

// ---- Paper.id ------------------------------------------------------------------------------
const paperConfig: PaperIdConfig = { callback_token_header: 'X-Callback-Token', callback_tokens: ['t'] };
const paper = new PaperId(paperConfig);
const paperDefault = new PaperId();
const paperEvent: PayoutEvent = paper.verifyCallback(headersList, '203.0.113.7', bytes('{}'));
const paperHandled: NotificationHandling = paperDefault.handleCallback([], null, bytes('{}'));
const paperUnverified: PayoutEvent = paper.parseCallbackUnverified(bytes('{}'));

// ---- test callbacks ------------------------------------------------------------------------
const testEvent: TestCallbackEvent = { status: 'succeeded', amount: '150000', payout_id: 'uuid-1', reference_id: 'INV-1' };
const failedEvent: TestCallbackEvent = { ...testEvent, status: 'failed', amount: money, failure_reason: 'Invalid Account' };
const generated: HttpRequest[] = [
  pivot.testCallback('k', testEvent),
  pivot.testBulkCallback('k', [testEvent, failedEvent], 'https://merchant.example/cb'),
  gateway.testNotification('k', testEvent, 'MD5'),
  paper.testCallback('t', testEvent),
];
// @ts-expect-error an amount is never a bare number
const bareEvent: TestCallbackEvent = { ...testEvent, amount: 150000 };

// ---- the payout lifecycle and its driver ----------------------------------------------------
const beneficiary: Beneficiary = { bank: 'BCA', account_number: '1234567890', account_name: 'Budi' };
const batchItem: PayoutItem = { reference: 'o-2a', amount: money, beneficiary };
const payoutOrder: PayoutOrder = { reference: 'o-2', amount: money, beneficiary };
const batchOrder: PayoutOrder = { reference: 'o-3', amount: money, items: [batchItem] };
const schedule: readonly number[] = [300, 900];
const lifecycleSettings: LifecycleSettings = { query_schedule_seconds: schedule, max_backoff_seconds: null };
// @ts-expect-error the core refuses a setting it does not know
const unknownSetting: LifecycleSettings = { query_schedule: [300] };
const machine = new PayoutLifecycle(pivot, payoutOrder, now);
const batchMachine = new PayoutLifecycle(pivot, batchOrder, lifecycleSettings, now);
const action: LifecycleAction = machine.poll(now);
const manualReason: ManualReason | null = action.kind === 'manual_reconciliation' ? action.reason : null;
const manualBody: string | null = action.kind === 'manual_reconciliation' ? action.request_body : null;
const doneError: KirimErrorData | null = action.kind === 'done' ? action.error : null;
const itemOutcomes: ItemOutcome[] = action.kind === 'done' ? action.items ?? [] : [];
const purpose: Purpose | null = action.kind === 'send' ? action.purpose : null;
const waitReason: WaitReason | null = action.kind === 'wait_until' ? action.reason : null;
const sendRequest: HttpRequest | null = action.kind === 'send' ? action.request : null;
machine.handleResponse(outcome, now);
const lifecycleCallback: LifecycleCallback = machine.handleCallback(headersList, bytes('{}'), now);
const unverifiedCallback: LifecycleCallback = batchMachine.handleUnverifiedCallback(bytes('{}'), now);
const lifecycleState: LifecycleState = PayoutLifecycle.restore(gateway, machine.snapshot()).state();
const storedMachine: PayoutLifecycle = PayoutLifecycle.restoreStored(gateway, machine.snapshot(), machine.order.reference);
const submission: 'new' | 'already_stored' = PayoutLifecycle.checkSubmission(
  machine.order, { order: machine.order, provider: 'gateway' }, 'gateway', [{ reference: 'other', payout: 'P' }]);
const phase: Phase = lifecycleState.phase;
const verdicts: EventVerdict[] | null = lifecycleCallback.verdicts;
const refused: KirimError | null = lifecycleCallback.error;
const itemStates: LifecycleItemState[] = lifecycleState.items ?? [];
const machineKey: string = machine.idempotencyKey;
const orderBack: PayoutOrder = machine.order;
machine.useSession(new AccessToken('t', now + 900));
const sharedToken: AccessToken | null = machine.session();
machine.forgetSession();
// @ts-expect-error a callback body is bytes, never a string
machine.handleCallback(headersList, '{}', now);
const memory: AsyncPayoutStore = new MemoryStore();
const sqliteStore: Promise<PayoutStore> = SqliteStore.open('payouts.sqlite');
const driverOptions: DriverOptions = { clock: () => now, timeoutMs: 1000, maxResponseBytes: 1_048_576, settings: lifecycleSettings };
// The global fetch's Response fits what the option returns (status, headers, a body stream).
const withFetch: DriverOptions = { fetch: (url, init) => fetch(url, { method: init.method, headers: init.headers, redirect: init.redirect, signal: init.signal }) };
// The driver's init is itself a RequestInit: a wrapper that passes it on whole type-checks.
const passedOn: DriverOptions = { fetch: (url, init) => fetch(url, init) };
const driver = new PayoutDriver(gateway, memory, driverOptions);
const paid: Promise<PayoutResult> = driver.pay(payoutOrder);
const resumed: Promise<PayoutResult[]> = driver.resume();
const ack: Promise<Acknowledgement> = driver.handleCallback(headersList, bytes('{}'));
// resume() names the stored rows it refused (each with its error), the others' results with it.
const refusedRows: Promise<string[]> = driver.resume().then((r) => r.map((p) => p.reference), (e: unknown) => {
  if (!(e instanceof RestoreRefusedError)) throw e;
  const code: 'unsupported_snapshot' = e.code;
  const row: KirimError | undefined = e.refused.get('o-2');
  const asKirimError: KirimError = e;
  return [code, row?.code ?? '', asKirimError.message, ...e.results.map((p) => p.reference)];
});
driver.close();
const stored: StoredPayout | null = { reference: 'o-2', provider: 'pivot', references: ['o-2'], order: payoutOrder,
  snapshot: '{}', payout_id: null, finished: null };
const dueStored: StoredPayout = { reference: 'o-3', provider: 'gateway', references: ['o-3'], order: payoutOrder,
  snapshot: '{}', payout_id: null, finished: null, next_due: now + 60 };
const nextDue: number | null | undefined = dueStored.next_due;
const inserted: Promise<boolean> = memory.insert(dueStored);
const insertedSqlite: Promise<boolean> = SqliteStore.open('payouts.sqlite').then((s) => s.insert(dueStored));
const inUse: Error = new StoreInUseError('held');
const inUseName: 'StoreInUseError' = new StoreInUseError('held').name;
// One class: `kirim`'s (a second PayoutDriver on a driven store) is `kirim/sqlite`'s.
const inUseByDriver: StoreInUseError = new DriverStoreInUseError('driven');
const seen: Observation = { at: now, type: 'send', purpose: 'create' };

export const used = [
  inUseByDriver,
  shown, done, rupiah, bare, bareBig, createError, createCode, createField, withdrawCode, withdrawError,
  back, floatMoney, merged, reuseText, json, describe, send, answer, onEvent, refresh, inquiryStatus, nameSource,
  mustRenew, resend, batchStatus, items, handled, pivotRequests, balance, events, signature, signedBytes, withdraw,
  orders, queryWarnings, batchWarnings, notification, gatewayRequests, gatewayEvents, gatewayBalance, paperEvent, paperHandled, paperUnverified,
  batchItem, manualReason, itemOutcomes, sendRequest, lifecycleCallback, unverifiedCallback, lifecycleState, machineKey,
  orderBack, sharedToken, paid, resumed, refusedRows, ack, stored, nextDue, inserted, insertedSqlite, inUse, inUseName, seen, sqliteStore, purpose, waitReason, phase, verdicts,
  unknownSetting, manualBody, doneError, refused, itemStates,
];
