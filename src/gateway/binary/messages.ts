/**
 * The messages of the binary order-entry protocol, as one table: docs/protocol.md shows the
 * layouts derived from it (a test holds the two together), the encoder and the decoder walk it.
 *
 * A frame is a u32 length (the bytes after it), a u16 type, then the fields in table order,
 * little-endian, with no gaps. Integers are safe integers carried as float64 and sit at
 * 8-byte-aligned offsets of the frame; the 2 bytes after the type hold a small field or
 * `reserved` (zero) so that they do.
 */
import { assert } from '../../application/assert.ts';

export const PROTOCOL_VERSION = 1;

export const LENGTH_BYTES = 4;
/** Length word and type: the bytes every frame starts with. */
export const FRAME_HEADER_BYTES = LENGTH_BYTES + 2;
export const DEFAULT_MAX_FRAME_BYTES = 4096;
export const NONCE_BYTES = 32;
export const SIGNATURE_BYTES = 32;
export const ERROR_MESSAGE_MAX_BYTES = 256;
/** The longest DNS name. */
export const HOST_MAX_BYTES = 253;

/**
 * - `u8`, `u16`: unsigned; optional inclusive bounds [min, max].
 * - `i53`: any safe integer; `u53`: a safe integer ≥ 0; `p53`: a safe integer ≥ 1 (float64).
 * - `reserved`: u16, must be zero; not a field of the message object.
 * - `bytes32`: 32 opaque bytes.
 * - `str`: u16 byte count then that many bytes of UTF-8, at most `max`; only last.
 */
export type FieldKind = 'u8' | 'u16' | 'reserved' | 'i53' | 'u53' | 'p53' | 'bytes32' | 'str';
export type FieldSpec = readonly [name: string, kind: FieldKind, min?: number, max?: number];

/** Who sends a message; a receiver refuses the other side's types as unknown. */
export type Sender = 'client' | 'server' | 'both';

export interface MessageSpec {
  readonly type: number;
  readonly from: Sender;
  readonly fields: readonly FieldSpec[];
}

/** ExecutionReport.kind. */
export const ReportKind = {
  New: 1,
  PartiallyFilled: 2,
  Filled: 3,
  Cancelled: 4,
  Rejected: 5,
  Modified: 6,
  /** A request id the engine has seen: the original outcome, nothing changed. */
  Duplicate: 7,
} as const;

/** ExecutionReport.liquidity: the order's role in the fill the report carries. */
export const Liquidity = { None: 0, Maker: 1, Taker: 2 } as const;

export const MESSAGES = {
  Hello: { type: 1, from: 'client', fields: [['protocolVersion', 'u16']] },
  Challenge: {
    type: 2,
    from: 'server',
    fields: [
      ['protocolVersion', 'u16'], ['nonce', 'bytes32'], ['heartbeatIntervalMs', 'p53'], ['maxInFlight', 'p53'],
      ['maxFrameBytes', 'p53'],
    ],
  },
  Login: { type: 3, from: 'client', fields: [['reserved', 'reserved'], ['keyId', 'u53'], ['signature', 'bytes32']] },
  LoginAccepted: { type: 4, from: 'server', fields: [['reserved', 'reserved'], ['account', 'p53']] },
  Heartbeat: { type: 5, from: 'both', fields: [] },
  Logout: { type: 6, from: 'client', fields: [] },
  LogoutAccepted: { type: 7, from: 'server', fields: [] },
  Error: {
    type: 8,
    from: 'server',
    fields: [['code', 'u16'], ['request', 'u53'], ['message', 'str', 0, ERROR_MESSAGE_MAX_BYTES]],
  },
  Redirect: {
    type: 9,
    from: 'server',
    fields: [['port', 'u16'], ['leaderId', 'u53'], ['host', 'str', 0, HOST_MAX_BYTES]],
  },
  PlaceOrder: {
    type: 16,
    from: 'client',
    fields: [
      ['side', 'u8'], ['orderType', 'u8'], ['request', 'p53'], ['product', 'i53'], ['clientOrderId', 'i53'],
      ['price', 'i53'], ['qty', 'i53'], ['quoteBudget', 'i53'], ['stopPrice', 'i53'], ['tif', 'u8'],
      ['postOnly', 'u8'], ['stp', 'u8'],
    ],
  },
  CancelOrder: {
    type: 17,
    from: 'client',
    fields: [['reserved', 'reserved'], ['request', 'p53'], ['order', 'i53'], ['clientOrderId', 'i53']],
  },
  CancelAll: { type: 18, from: 'client', fields: [['reserved', 'reserved'], ['request', 'p53'], ['product', 'i53']] },
  ModifyOrder: {
    type: 19,
    from: 'client',
    fields: [
      ['reserved', 'reserved'], ['request', 'p53'], ['order', 'i53'], ['clientOrderId', 'i53'], ['price', 'i53'],
      ['qty', 'i53'],
    ],
  },
  ExecutionReport: {
    type: 32,
    from: 'server',
    fields: [
      ['kind', 'u8', ReportKind.New, ReportKind.Duplicate], ['side', 'u8'], ['request', 'u53'], ['order', 'u53'],
      ['clientOrderId', 'u53'], ['product', 'u53'], ['price', 'u53'], ['qty', 'u53'], ['filledQty', 'u53'],
      ['leavesQty', 'u53'], ['trade', 'u53'], ['fillPrice', 'u53'], ['fillQty', 'u53'], ['fee', 'i53'],
      ['entryIndex', 'u53'], ['timestampUs', 'u53'], ['reason', 'u16'], ['liquidity', 'u8', Liquidity.None, Liquidity.Taker],
      ['last', 'u8', 0, 1],
    ],
  },
} as const satisfies Record<string, MessageSpec>;

export type MessageName = keyof typeof MESSAGES;

type FieldValue<K extends FieldKind> = K extends 'bytes32' ? Uint8Array : K extends 'str' ? string : number;
type FieldsOf<F extends readonly FieldSpec[]> = {
  -readonly [E in F[number] as E[1] extends 'reserved' ? never : E[0]]: FieldValue<E[1]>;
};

/** Distributes over a union of names: MessageOf<'A' | 'B'> is MessageOf<'A'> | MessageOf<'B'>. */
export type MessageOf<N extends MessageName> = N extends MessageName
  ? { type: N } & FieldsOf<(typeof MESSAGES)[N]['fields']>
  : never;
export type Message = { [N in MessageName]: MessageOf<N> }[MessageName];

type NamesFrom<S extends Sender> = {
  [N in MessageName]: (typeof MESSAGES)[N]['from'] extends S | 'both' ? N : never;
}[MessageName];
export type ClientMessageName = NamesFrom<'client'>;
export type ServerMessageName = NamesFrom<'server'>;
export type ClientMessage = MessageOf<ClientMessageName>;
export type ServerMessage = MessageOf<ServerMessageName>;
export type ExecutionReport = MessageOf<'ExecutionReport'>;

const KIND_BYTES: Readonly<Record<FieldKind, number>> = {
  u8: 1, u16: 2, reserved: 2, i53: 8, u53: 8, p53: 8, bytes32: 32, str: 2,
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The values a numeric field allows (a string: its byte count), inclusive. */
function boundsOf(kind: FieldKind, min: number | undefined, max: number | undefined): [low: number, high: number] {
  switch (kind) {
    case 'u8': return [min ?? 0, max ?? 255];
    case 'u16': return [min ?? 0, max ?? 65_535];
    case 'reserved': return [0, 0];
    case 'i53': return [-MAX_SAFE, MAX_SAFE];
    case 'u53': return [0, MAX_SAFE];
    case 'p53': return [1, MAX_SAFE];
    case 'bytes32': return [32, 32];
    case 'str': return [min ?? 0, max ?? 0];
  }
}

/**
 * Where a message's fields sit in its frame, and what each allows: the spec flattened into
 * per-field arrays, so that the codec's loops index instead of destructuring.
 */
export interface Layout {
  readonly name: MessageName;
  readonly spec: MessageSpec;
  readonly names: readonly string[];
  readonly kinds: readonly FieldKind[];
  /** Byte offset of each field from the frame's start (the length word). */
  readonly offsets: readonly number[];
  readonly lows: readonly number[];
  readonly highs: readonly number[];
  /** Frame bytes without a string's content: the whole frame when there is no string. */
  readonly fixedBytes: number;
  /** The string field's byte bound, or -1 without one. */
  readonly maxStringBytes: number;
}

function layoutOf(name: MessageName): Layout {
  const spec: MessageSpec = MESSAGES[name];
  const layout = { name, spec, names: [] as string[], kinds: [] as FieldKind[], offsets: [] as number[],
    lows: [] as number[], highs: [] as number[], fixedBytes: 0, maxStringBytes: -1 };
  let at = FRAME_HEADER_BYTES;
  for (const [field, kind, min, max] of spec.fields) {
    assert(layout.maxStringBytes === -1, 'a string field is the last field');
    if (kind === 'i53' || kind === 'u53' || kind === 'p53') assert(at % 8 === 0, 'integers are 8-byte aligned');
    const [low, high] = boundsOf(kind, min, max);
    assert(low <= high, 'a field allows some value');
    if (kind === 'str') {
      assert(high > 0 && high < 2 ** 16, 'a string has a u16-sized bound');
      layout.maxStringBytes = high;
    }
    layout.names.push(field);
    layout.kinds.push(kind);
    layout.offsets.push(at);
    layout.lows.push(low);
    layout.highs.push(high);
    at += KIND_BYTES[kind];
  }
  layout.fixedBytes = at;
  return layout;
}

/** Whether `n` is a value numeric field `i` of `layout` allows. */
export function fits(layout: Layout, i: number, n: number): boolean {
  return Number.isInteger(n) && n >= layout.lows[i] && n <= layout.highs[i];
}

/** Why numeric field `i` refused a value (after `fits` said no). */
export function boundsProblem(layout: Layout, i: number): string {
  const kind = layout.kinds[i];
  if (kind === 'reserved') return 'is reserved and must be zero';
  if (kind === 'i53') return 'is not a safe integer';
  if (kind === 'u53' || kind === 'p53') return `is not a safe integer ≥ ${layout.lows[i]}`;
  return `is not an integer in ${layout.lows[i]} … ${layout.highs[i]}`;
}

export const LAYOUTS: { readonly [N in MessageName]: Layout } = Object.fromEntries(
  (Object.keys(MESSAGES) as MessageName[]).map((name) => [name, layoutOf(name)]),
) as { readonly [N in MessageName]: Layout };

assert(
  new Set(Object.values(LAYOUTS).map((l) => l.spec.type)).size === Object.keys(LAYOUTS).length,
  'type codes are distinct in both directions',
);

function byType(sender: Exclude<Sender, 'both'>): ReadonlyMap<number, Layout> {
  const map = new Map<number, Layout>();
  for (const layout of Object.values(LAYOUTS)) {
    if (layout.spec.from === sender || layout.spec.from === 'both') map.set(layout.spec.type, layout);
  }
  return map;
}

/** The layouts each side may receive, by type. */
export const FROM_CLIENT = byType('client');
export const FROM_SERVER = byType('server');

/** The largest frame of any message: every frame fits in a buffer of this size. */
export const LARGEST_MESSAGE_BYTES = Math.max(
  ...Object.values(LAYOUTS).map((l) => l.fixedBytes + Math.max(0, l.maxStringBytes)),
);
