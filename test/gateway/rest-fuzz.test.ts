/**
 * The REST gateway under fuzz, in process (`server.http.inject`): random requests and
 * mutations of valid public, signed and admin requests — methods, paths, query strings,
 * headers, bodies (bit flips, truncation, wrong types, huge and non-safe numbers, deep and
 * large JSON, duplicated and missing fields, wrong content types), most of them re-signed or
 * admin-authorized so that they pass authentication and reach the checks behind it.
 *
 * Asserted for every request: never a 5xx (the request is printed), every error body is
 * `{ error: { code, message } }`, each request ends within a bound.
 *
 * And the engine's state changes only through the log. Requests go in windows: first, at once,
 * those that cannot command (no credentials, or a method no command has) — after them the log
 * must not have moved and the state hash must be the baseline's; then the others in small
 * groups. After a group whose requests were all refused before the engine (the log did not
 * move), the state hash must be the baseline's. After a group of which some reached the engine
 * (accepted, or rejected there), the new state is the baseline from then on; that it is the
 * log's doing alone is checked against the gateway's view, which applies committed entries
 * only: anything a refused request changed would stay a difference between the two.
 *
 * The seed is random per run and printed with any failure; BOURSE_FUZZ_SEED replays one.
 */
import assert from 'node:assert/strict';
import { METHODS } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { stateHash } from '../../src/application/snapshot.ts';
import { signRequest } from '../../src/gateway/auth/request-signature.ts';
import { ADMIN_KEY, type Market, expectStatus, limitOrder, startMarket } from './support.ts';

const REQUESTS = 100_000;
/** Requests sent concurrently, then checked together. */
const WINDOW = 128;
/** Requests that may command are sent in groups this large, the state checked after each. */
const COMMAND_GROUP = 6;
/** A single request that takes longer than this is reported as hung. */
const REQUEST_BOUND_MS = 10_000;

// ---- Randomness (seeded, so that a failure can be replayed) ----

class Rng {
  constructor(private state: number) {}

  next(): number {
    // mulberry32
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An index into `weights`, each as likely as its weight. */
  weighted(weights: readonly number[]): number {
    let x = this.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

/** How often each mutation of a valid request is chosen (see Fuzzer.mutated): method, path, query, content type, random body, path and query, body. */
const BODY_MUTATIONS = [3, 6, 5, 8, 4, 3, 71];
const NO_BODY_MUTATIONS = [6, 20, 42, 10, 14, 8, 0];

const ODD_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 2, 1.5, -2.5, 0.1, 255, 65_536, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), -(2 ** 53) - 2,
  1e21, 1e300, Number.MAX_VALUE, Number.MIN_VALUE, 1e-7, 4_999, 10_001, 18, 19, 1_000, 999_999_999_999_999,
];
/** Number literals that JSON.stringify never writes: out of range, exponents, long fractions. */
const ODD_LITERALS: readonly string[] = [
  '1e400', '-1e400', '9007199254740993', '-9007199254740993', '1.0000000000000002', '1E2', '0.0', '-0.0', '1e-400',
  '123456789012345678901234567890', '5e-324', '2.5e+3',
];
const ODD_STRINGS: readonly string[] = [
  '', ' ', '0', '-0', '00', '1', '-1', '0.1', '.5', '5.', '1e3', '1E-2', '100.001', '100.00', '0.00001', '99999999999999999',
  '9007199254740993', '123456789012345678901234567890.123456789', '1'.repeat(41), 'NaN', 'Infinity', '-Infinity', '+1', '1_000',
  '١٢٣', '１００', '1,5', ' 1', '1 ', '\u0000', '\ud800', '😀', 'null', 'true', '[]', '{}', 'BTC-USD', 'btc-usd', 'BTC', 'USD',
  'x'.repeat(25), 'a/b', '../..', '%00', '<script>', 'buy', 'sell', 'limit', 'market', 'stop_limit', 'gtc', 'fok', 'ioc',
  'trading', 'halted', 'closed', 'cancel_both', 'constructor', '__proto__', 'toString',
];
const PATH_SEGMENTS: readonly string[] = [
  '0', '-1', '1', '2', '7', '1.5', '1e3', '01', '9007199254740993', '99999999999999999', 'abc', '%', '%zz', '%2F', '%2e%2e', '..',
  '.', '', ' ', '%20', 'BTC-USD', 'BTC%2DUSD', 'NOPE-USD', 'x'.repeat(150), '%F0%9F%98%80', '%C0%AF', '%E0%A4%A', 'null',
  'by-client-id', 'orders', 'admin', 'products', 'book', 'ws', '*', ';', '%00', 'ü',
];
const CONTENT_TYPES: readonly string[] = [
  'text/plain', 'application/xml', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON',
  'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/jsonx', 'application/*', '*/*',
  'application/json, text/plain', 'application/octet-stream', 'json', ';', 'application/json;', 'application/problem+json',
];
const QUERY_KEYS: readonly string[] = ['requestId', 'symbol', 'depth', 'limit', 'requestId[]', 'requestId[a]', 'a', '', '__proto__', 'constructor'];
const FIELD_NAMES: readonly string[] = [
  'requestId', 'symbol', 'side', 'type', 'price', 'quantity', 'quoteBudget', 'stopPrice', 'timeInForce', 'postOnly', 'clientOrderId',
  'selfTradePrevention', 'code', 'scale', 'transferId', 'accountId', 'asset', 'amount', 'status', 'minQuantity', 'tickSize', '__proto__',
];

/** Percent-encoding; a lone surrogate (which encodeURIComponent refuses) as the bytes of one. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

/** Longer than the largest body the gateway takes. */
const HUGE = 'z'.repeat(20_000);

// ---- Requests ----

type Auth = 'none' | 'signed' | 'admin';

/** A valid request: the original that mutations start from. */
interface Template {
  auth: Auth;
  method: string;
  path: string;
  query: string;
  body?: unknown;
}

/** What is sent. */
interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  payload?: string;
  /** How it was made (for the report of a failure). */
  how: string[];
}

interface Fixture {
  orderIds: number[];
  clientOrderId: number;
  keyId: number;
  secret: Buffer;
  /** API keys the fuzz must not revoke (every signed request would then be refused). */
  protectedKeys: Set<number>;
}

function describeRequest(r: FuzzRequest, seed: number, n: number): string {
  const payload = r.payload === undefined ? '' : r.payload.length > 600 ? `${r.payload.slice(0, 600)}… (${r.payload.length} chars)` : r.payload;
  return `request #${n} (seed ${seed}): ${r.method} ${r.url}\nheaders: ${JSON.stringify(r.headers)}\npayload: ${payload}\nmade by: ${r.how.join(', ')}`;
}

class Fuzzer {
  private requestIds = 1_000_000;
  private transferIds = 1_000_000;
  private timestampTurn = 0;

  constructor(
    private readonly rng: Rng,
    private readonly fx: Fixture,
  ) {}

  private requestId(): number {
    return this.requestIds++;
  }

  /** A valid request of each kind the API has. */
  private template(): Template {
    const r = this.rng;
    const order = r.pick(this.fx.orderIds);
    const requestId = this.requestId();
    const publics: Template[] = [
      { auth: 'none', method: 'GET', path: '/v1/products', query: '' },
      { auth: 'none', method: 'GET', path: '/v1/products/BTC-USD', query: '' },
      { auth: 'none', method: 'GET', path: '/v1/products/BTC-USD/book', query: `depth=${1 + r.int(20)}` },
      { auth: 'none', method: 'GET', path: '/v1/products/BTC-USD/trades', query: `limit=${1 + r.int(20)}` },
      { auth: 'none', method: 'GET', path: '/v1/products/BTC-USD/ticker', query: '' },
      { auth: 'none', method: 'GET', path: '/v1/cluster', query: '' },
      { auth: 'none', method: 'GET', path: '/healthz', query: '' },
    ];
    const signed: Template[] = [
      { auth: 'signed', method: 'GET', path: '/v1/orders', query: r.chance(0.5) ? 'symbol=BTC-USD' : '' },
      { auth: 'signed', method: 'GET', path: `/v1/orders/${order}`, query: '' },
      { auth: 'signed', method: 'GET', path: '/v1/balances', query: '' },
      { auth: 'signed', method: 'GET', path: '/v1/fills', query: `limit=${1 + r.int(10)}` },
      {
        auth: 'signed', method: 'POST', path: '/v1/orders', query: '',
        body: r.chance(0.5)
          ? limitOrder(requestId, 'buy', `${1 + r.int(50)}.${r.int(100)}`, `0.${1 + r.int(9)}`, r.chance(0.3) ? { clientOrderId: 1 + r.int(1000), postOnly: true } : {})
          : r.chance(0.5)
            ? { requestId, symbol: 'BTC-USD', side: 'sell', type: 'stop_limit', price: '90000', stopPrice: '90000.5', quantity: '0.01', timeInForce: 'gtc' }
            : { requestId, symbol: 'BTC-USD', side: 'buy', type: 'market', quoteBudget: '5', selfTradePrevention: 'cancel_both' },
      },
      { auth: 'signed', method: 'DELETE', path: `/v1/orders/${order}`, query: `requestId=${requestId}` },
      { auth: 'signed', method: 'DELETE', path: `/v1/orders/by-client-id/${this.fx.clientOrderId}`, query: `requestId=${requestId}` },
      { auth: 'signed', method: 'PATCH', path: `/v1/orders/${order}`, query: '', body: r.chance(0.5) ? { requestId, price: '3.01' } : { requestId, quantity: '0.05' } },
      { auth: 'signed', method: 'DELETE', path: '/v1/orders', query: `requestId=${requestId}&symbol=BTC-USD` },
    ];
    const admins: Template[] = [
      // New assets and products from small pools of names: the state (and the time to hash it) stays small.
      { auth: 'admin', method: 'POST', path: '/v1/admin/assets', query: '', body: { code: `F${r.int(20)}`, scale: r.int(19) } },
      {
        auth: 'admin', method: 'POST', path: '/v1/admin/products', query: '',
        body: {
          symbol: `F${r.int(20)}-USD`, base: 'BTC', quote: 'USD', priceScale: 2, quantityScale: 4, tickSize: '0.01', lotSize: '0.0001',
          minQuantity: '0.0001', maxQuantity: '1000', minNotional: '1', makerFeeBps: 10, takerFeeBps: 20, protectionTicks: 1000, status: 'halted',
        },
      },
      { auth: 'admin', method: 'PATCH', path: '/v1/admin/products/BTC-USD', query: '', body: { maxQuantity: '1000', takerFeeBps: 20, protectionTicks: 10_000 } },
      { auth: 'admin', method: 'GET', path: `/v1/admin/accounts/${1 + r.int(2)}/balances`, query: '' },
      { auth: 'admin', method: 'POST', path: '/v1/admin/api-keys', query: '', body: { accountId: 1 + r.int(2) } },
      { auth: 'admin', method: 'DELETE', path: '/v1/admin/api-keys/999', query: '' },
      {
        auth: 'admin', method: 'POST', path: r.chance(0.5) ? '/v1/admin/deposits' : '/v1/admin/withdrawals', query: '',
        body: { transferId: this.transferIds++, accountId: 1 + r.int(2), asset: r.pick(['USD', 'BTC']), amount: r.pick(['1', '0.5', '0.000001', '100.25']) },
      },
    ];
    const kind = r.next();
    return kind < 0.15 ? r.pick(publics) : kind < 0.6 ? r.pick(signed) : r.pick(admins);
  }

  /** A random JSON value of any type, up to `depth` deep. */
  private value(depth = 2): unknown {
    const r = this.rng;
    switch (r.int(depth > 0 ? 8 : 5)) {
      case 0: return null;
      case 1: return r.chance(0.5);
      case 2: return r.pick(ODD_NUMBERS);
      case 3:
      case 4: return r.pick(ODD_STRINGS);
      case 5: return Array.from({ length: r.int(4) }, () => this.value(depth - 1));
      default: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(FIELD_NAMES), this.value(depth - 1)]));
    }
  }

  private nested(levels: number): string {
    return this.rng.chance(0.5) ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  }

  /** Mutates a body object (a copy). */
  private mutateObject(body: Record<string, unknown>, how: string[]): Record<string, unknown> {
    const r = this.rng;
    const b = { ...body };
    const keys = Object.keys(b);
    const key = keys.length > 0 ? r.pick(keys) : r.pick(FIELD_NAMES);
    switch (r.int(8)) {
      case 0: delete b[key]; how.push(`drop ${key}`); break;
      case 1: b[r.pick(FIELD_NAMES)] = this.value(); how.push('add a field'); break;
      case 2: b[key] = this.value(); how.push(`${key}: random value`); break;
      case 3: b[key] = r.pick(ODD_NUMBERS); how.push(`${key}: odd number`); break;
      case 4: b[key] = r.pick(ODD_STRINGS); how.push(`${key}: odd string`); break;
      case 5: b[key] = String(b[key]); how.push(`${key}: as a string`); break;
      case 6: b[key] = typeof b[key] === 'string' && /^\d/.test(b[key]) ? Number(b[key]) : [b[key]]; how.push(`${key}: as a number or array`); break;
      default: b[key] = 'y'.repeat(r.pick([41, 1_000, 17_000])); how.push(`${key}: long string`); break;
    }
    return b;
  }

  /** Mutates body text. */
  private mutateText(text: string, how: string[]): string {
    const r = this.rng;
    switch (r.int(9)) {
      case 0: {
        if (text.length === 0) return text;
        const i = r.int(text.length);
        how.push(`bit flip at ${i}`);
        return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << r.int(8))) + text.slice(i + 1);
      }
      case 1: how.push('truncated'); return text.slice(0, r.int(text.length));
      case 2: {
        // A duplicated field: JSON.parse keeps the last one.
        const key = r.pick(FIELD_NAMES);
        how.push(`duplicated ${key}`);
        return text.startsWith('{') ? `{"${key}":${JSON.stringify(this.value())},"${key}":${JSON.stringify(this.value())},${text.slice(1)}` : text;
      }
      case 3: {
        const m = /-?\d+(\.\d+)?/.exec(text);
        how.push('odd number literal');
        return m === null ? text : text.slice(0, m.index) + r.pick(ODD_LITERALS) + text.slice(m.index + m[0].length);
      }
      case 4: {
        const levels = r.pick([10, 100, 1_000, 5_000]);
        how.push(`nested ${levels} deep`);
        return text.startsWith('{') ? `{"${r.pick(FIELD_NAMES)}":${this.nested(levels)},${text.slice(1)}` : this.nested(levels);
      }
      case 5: how.push('huge'); return text.startsWith('{') ? `{"pad":"${HUGE}",${text.slice(1)}` : HUGE;
      case 6: how.push('not an object'); return r.pick(['null', '1', '"x"', 'true', '[]', '[{}]', '1e400', '-']);
      case 7: how.push('empty body'); return '';
      default: {
        const i = r.int(text.length + 1);
        how.push('garbage inserted');
        return text.slice(0, i) + r.pick(['\u0000', '\\', '"', '}', ',', 'NaN', '\ud800', '😀', '\r\n', ' ']) + text.slice(i);
      }
    }
  }

  private mutatePath(path: string, how: string[]): string {
    const r = this.rng;
    const parts = path.split('/');
    switch (r.weighted([6, 1, 1, 1, 1])) {
      case 0: {
        // Mostly the last segment: where the path parameters are.
        const i = r.chance(0.6) ? parts.length - 1 : 1 + r.int(parts.length - 1);
        parts[i] = r.pick(PATH_SEGMENTS);
        how.push(`path segment ${i}`);
        return parts.join('/');
      }
      case 1: how.push('trailing slash'); return `${path}/`;
      case 2: how.push('double slash'); return path.replace('/', '//');
      case 3: how.push('upper case path'); return path.toUpperCase();
      default: how.push('extra segment'); return `${path}/${r.pick(PATH_SEGMENTS)}`;
    }
  }

  private mutateQuery(query: string, how: string[]): string {
    const r = this.rng;
    const value = (): string => (r.chance(0.5) ? encode(String(r.pick(ODD_NUMBERS))) : r.pick(ODD_LITERALS.concat(ODD_STRINGS.map(encode), ['%', '%zz', '&', '=', '#x'])));
    switch (r.int(4)) {
      case 0: how.push('no query'); return '';
      case 1: how.push('query value'); return query.replace(/=[^&]*/, `=${value()}`);
      case 2: how.push('duplicated query'); return query === '' ? `${r.pick(QUERY_KEYS)}=${value()}` : `${query}&${query}`;
      default: how.push('extra query'); return `${query}${query === '' ? '' : '&'}${r.pick(QUERY_KEYS)}=${value()}`;
    }
  }

  /** Signature headers: valid for the request as sent (so it passes authentication), unless mutated after. */
  private sign(method: string, url: string, body: string): Record<string, string> {
    // Distinct timestamps within the server's window keep valid signatures from being replays of each other.
    const timestamp = Date.now() - 20_000 + (this.timestampTurn++ % 40_000);
    return {
      'bourse-key': String(this.fx.keyId), 'bourse-timestamp': String(timestamp),
      'bourse-signature': signRequest(this.fx.secret, timestamp, method, url, body),
    };
  }

  private mutateSignature(headers: Record<string, string | string[]>, how: string[]): void {
    const r = this.rng;
    const name = r.pick(['bourse-key', 'bourse-timestamp', 'bourse-signature']);
    const v = String(headers[name] ?? '');
    switch (r.int(5)) {
      case 0: delete headers[name]; how.push(`no ${name}`); break;
      case 1: headers[name] = [v, v]; how.push(`${name} twice`); break;
      case 2: headers[name] = v.toUpperCase() === v ? `${v}0` : v.toUpperCase(); how.push(`${name} case or length`); break;
      case 3: {
        const i = r.int(Math.max(1, v.length));
        headers[name] = v.slice(0, i) + String.fromCharCode((v.charCodeAt(i) || 48) ^ 1) + v.slice(i + 1);
        how.push(`${name} character flipped`);
        break;
      }
      default:
        headers[name] = r.pick(['0', '-1', '01', '1.0', '1e0', ' 1', '99', '9007199254740993', String(Date.now() - 120_000), String(Date.now() + 120_000), 'x', '']);
        how.push(`${name} odd value`);
    }
  }

  /** A request from nothing: any method, path, query, headers and body. */
  private random(): FuzzRequest {
    const r = this.rng;
    const how = ['random'];
    const segments = Array.from({ length: r.int(5) }, () => r.pick(PATH_SEGMENTS.concat(['v1', 'v1', 'orders', 'admin', 'products', 'BTC-USD'])));
    const query = r.chance(0.3) ? `?${r.pick(QUERY_KEYS)}=${encode(String(this.value(0)))}` : '';
    const headers: Record<string, string | string[]> = {};
    if (r.chance(0.5)) headers['content-type'] = r.chance(0.5) ? 'application/json' : r.pick(CONTENT_TYPES);
    if (r.chance(0.2)) headers.authorization = r.pick(['Bearer', 'Bearer ', `bearer ${ADMIN_KEY}`, `Bearer ${ADMIN_KEY}x`, `Bearer ${ADMIN_KEY.slice(1)}`, 'Basic YTpi']);
    if (r.chance(0.2)) Object.assign(headers, { 'bourse-key': String(r.int(4)), 'bourse-timestamp': String(Date.now()), 'bourse-signature': 'ab'.repeat(32) });
    const payload = r.chance(0.5) ? JSON.stringify(this.value(3)) : undefined;
    return { method: r.pick(METHODS), url: `/${segments.join('/')}${query}`, headers, payload, how };
  }

  /** A valid request, mutated (or, now and then, as it is), then authorized or not. */
  private mutated(): FuzzRequest {
    const r = this.rng;
    const t = this.template();
    const how = [`from ${t.method} ${t.path}`];
    let method = t.method;
    let path = t.path;
    let query = t.query;
    let body = t.body;
    let contentType: string | string[] | undefined = body === undefined ? undefined : 'application/json';
    const asIs = r.chance(0.03);
    const mutations = asIs ? 0 : 1 + r.int(3);
    let text: string | undefined;
    for (let i = 0; i < mutations; i++) {
      switch (r.weighted(body === undefined ? NO_BODY_MUTATIONS : BODY_MUTATIONS)) {
        case 0: method = r.pick(METHODS); how.push(`method ${method}`); break;
        case 1: path = this.mutatePath(path, how); break;
        case 2: query = this.mutateQuery(query, how); break;
        case 3: contentType = r.chance(0.2) ? ['application/json', r.pick(CONTENT_TYPES)] : r.chance(0.1) ? undefined : r.pick(CONTENT_TYPES); how.push(`content-type ${JSON.stringify(contentType)}`); break;
        case 4: text = JSON.stringify(this.value(3)); contentType = 'application/json'; how.push('random body'); break;
        case 5: path = this.mutatePath(path, how); query = this.mutateQuery(query, how); break;
        default:
          if (text === undefined && body !== null && typeof body === 'object' && !Array.isArray(body) && r.chance(0.6)) {
            body = this.mutateObject(body as Record<string, unknown>, how);
          } else {
            text = this.mutateText(text ?? JSON.stringify(body ?? {}), how);
          }
      }
    }
    const payload = text ?? (body === undefined ? undefined : JSON.stringify(body));
    const url = query === '' ? path : `${path}?${query}`;
    const headers: Record<string, string | string[]> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (t.auth === 'signed') {
      // Mostly signed as sent (authentication passes and the checks behind it run); else signed as the original was.
      const resign = r.chance(0.85);
      Object.assign(headers, resign ? this.sign(method, url, payload ?? '') : this.sign(t.method, t.query === '' ? t.path : `${t.path}?${t.query}`, t.body === undefined ? '' : JSON.stringify(t.body)));
      how.push(resign ? 'signed as sent' : 'signed as the original');
      if (r.chance(0.1)) this.mutateSignature(headers, how);
    } else if (t.auth === 'admin' || r.chance(0.05)) {
      const authorization = r.chance(0.9) ? `Bearer ${ADMIN_KEY}` : r.pick([`Bearer ${ADMIN_KEY} `, `bearer ${ADMIN_KEY}`, ADMIN_KEY, 'Bearer', `Bearer ${ADMIN_KEY.toUpperCase()}`]);
      headers.authorization = r.chance(0.02) ? [authorization, authorization] : authorization;
      how.push(`authorization ${headers.authorization === `Bearer ${ADMIN_KEY}` ? 'valid' : 'mutated'}`);
    }
    if (r.chance(0.05)) {
      headers[r.pick(['x-forwarded-for', 'host', 'content-length', 'transfer-encoding', 'accept', 'x-junk'])] = r.pick(['', '0', '-1', 'chunked', '1, 2', 'a'.repeat(2_000), '999999']);
      how.push('odd header');
    }
    return { method, url, headers, payload, how };
  }

  request(): FuzzRequest {
    return this.rng.chance(0.1) ? this.random() : this.mutated();
  }
}

/** A request that could reach the engine: a command method with credentials of some kind. */
function mayCommand(r: FuzzRequest): boolean {
  const m = r.method.toUpperCase();
  if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'TRACE') return false;
  return r.headers.authorization !== undefined || r.headers['bourse-signature'] !== undefined;
}

/** `path` with its dot segments resolved (as a URL's are), or as it is if it is no URL path. */
function dotsResolved(path: string): string {
  try {
    return new URL(path, 'http://bourse.invalid').pathname;
  } catch {
    return path;
  }
}

/**
 * A revocation of a key the fuzz signs with, however its path is spelled: decoded, and with its
 * dot segments resolved as the router resolves them (`/v1/admin/api-keys/./1` revoked key 1).
 */
function revokesProtectedKey(r: FuzzRequest, keys: Set<number>): boolean {
  if (r.method.toUpperCase() !== 'DELETE') return false;
  const raw = r.url.split('?')[0];
  const forms: string[] = [];
  for (const path of [raw, dotsResolved(raw)]) {
    try {
      const decoded = decodeURIComponent(path);
      forms.push(decoded, dotsResolved(decoded));
    } catch {
      // Not decodable: the router refuses it before any route.
    }
  }
  return forms.some((form) => {
    const m = /^\/v1\/admin\/api-keys\/(\d+)/i.exec(form);
    return m !== null && keys.has(Number(m[1]));
  });
}

function errorShapeOf(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  const error = (parsed as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  if (error === null || typeof error !== 'object') return 'no error object';
  if (typeof error.code !== 'string' || error.code.length === 0) return 'no error.code';
  if (typeof error.message !== 'string' || error.message.length === 0) return 'no error.message';
  return undefined;
}

describe('REST gateway fuzz: the requests it does not send', () => {
  it('a revocation of a key it signs with, however the path spells it (seed 1685713844 sent ./1)', () => {
    const del = (url: string): FuzzRequest => ({ method: 'delete', url, headers: {}, how: [] });
    const keys = new Set([1]);
    for (const url of ['/v1/admin/api-keys/1', '/v1/admin/api-keys/./1', '/v1/admin/x/../api-keys/1?a=1', '/v1/admin/api-keys/%31', '/V1/ADMIN/API-KEYS/1/']) {
      assert.ok(revokesProtectedKey(del(url), keys), url);
    }
    for (const url of ['/v1/admin/api-keys/2', '/v1/admin/api-keys/../1', '/v1/admin/api-keys/%E0%A4%A']) {
      assert.ok(!revokesProtectedKey(del(url), keys), url);
    }
    assert.ok(!revokesProtectedKey({ method: 'GET', url: '/v1/admin/api-keys/1', headers: {}, how: [] }, keys));
  });
});

describe('REST gateway fuzz', () => {
  let m: Market;
  const fixture: Fixture = { orderIds: [], clientOrderId: 77, keyId: 0, secret: Buffer.alloc(0), protectedKeys: new Set() };

  before(async () => {
    // Limits out of the way: every request should reach the checks behind them.
    m = await startMarket({ addressRatePerSec: 1e9, addressBurst: 1e9, keyRatePerSec: 1e9, keyBurst: 1e9 });
    fixture.keyId = m.keys[0].keyId;
    fixture.secret = Buffer.from(m.keys[0].secret, 'hex');
    for (const k of m.keys) fixture.protectedKeys.add(k.keyId);
    for (let i = 0; i < 3; i++) {
      const placed = await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(i + 1, 'buy', `${2 + i}`, '0.1', i === 0 ? { clientOrderId: fixture.clientOrderId } : {})), 201);
      fixture.orderIds.push((placed.order as { orderId: number }).orderId);
    }
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(1, 'sell', '50000', '0.5')), 201);
  });
  after(async () => {
    await m.close();
  });

  it(`${REQUESTS.toLocaleString('en')} random and mutated requests: no 5xx, one error shape, refused requests change nothing`, { timeout: 120_000 }, async (t) => {
    const seed = process.env.BOURSE_FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.BOURSE_FUZZ_SEED);
    const fuzzer = new Fuzzer(new Rng(seed), fixture);
    const node = m.server.node;
    const app = m.server.http;
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    let sent = 0;
    let skipped = 0;
    let hashChecks = 0;
    let movedGroups = 0;
    let refusedGroups = 0;
    const hash = (): string => {
      hashChecks++;
      return stateHash(node.state);
    };
    /** The view's state and the engine's, as far as the view keeps it (no request ids: it never decides). */
    const viewAgrees = (): [view: string, engine: string] => {
      hashChecks++;
      return [stateHash(m.server.view.state, { requests: false }), stateHash(node.state, { requests: false })];
    };
    let baseline = hash();
    let baseIndex = node.status().lastIndex;

    /** The requests not yet answered: a bound on the time of each group of them names those. */
    const pending = new Map<number, FuzzRequest>();
    const answered = (r: FuzzRequest, n: number, response: { statusCode: number; body: string }): void => {
      pending.delete(n);
      const status = response.statusCode;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) assert.fail(`${status} ${response.body.slice(0, 500)}\nfor ${describeRequest(r, seed, n)}`);
      if (status >= 400 && r.method.toUpperCase() !== 'HEAD') {
        const problem = errorShapeOf(response.body);
        if (problem !== undefined) assert.fail(`${problem}: ${status} ${response.body.slice(0, 500)}\nfor ${describeRequest(r, seed, n)}`);
        const code = (JSON.parse(response.body) as { error: { code: string } }).error.code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    };
    /** Sends requests at once and waits for all their answers, each within the bound. */
    const sendAll = async (requests: [FuzzRequest, number][]): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const hung = [...pending].map(([n, r]) => describeRequest(r, seed, n));
          reject(new Error(`no answer within ${REQUEST_BOUND_MS} ms to:\n${hung.join('\n')}`));
        }, REQUEST_BOUND_MS);
      });
      try {
        await Promise.race([bound, Promise.all(requests.map(([r, n]) => {
          pending.set(n, r);
          return app.inject({ method: r.method as InjectOptions['method'], url: r.url, headers: r.headers, payload: r.payload })
            .then((response) => answered(r, n, response));
        }))]);
      } finally {
        clearTimeout(timer);
      }
    };

    const started = performance.now();
    while (sent < REQUESTS) {
      // A window of requests, sent concurrently in two groups: those that cannot command, then those that may.
      const reads: [FuzzRequest, number][] = [];
      const commands: [FuzzRequest, number][] = [];
      for (let i = 0; i < WINDOW && sent < REQUESTS; i++) {
        const r = fuzzer.request();
        if (revokesProtectedKey(r, fixture.protectedKeys)) {
          skipped++;
          continue;
        }
        sent++;
        (mayCommand(r) ? commands : reads).push([r, sent]);
      }
      await sendAll(reads);
      const first = reads[0]?.[1] ?? 0;
      assert.equal(node.status().lastIndex, baseIndex, `seed ${seed}: a request without credentials, or not a command, reached the engine (requests from #${first})`);
      assert.equal(hash(), baseline, `seed ${seed}: requests that cannot command changed the state (requests from #${first})`);
      // Those that may command, a few at a time (the fewer, the more groups see all of theirs refused).
      for (let g = 0; g < commands.length; g += COMMAND_GROUP) {
        const group = commands.slice(g, g + COMMAND_GROUP);
        await sendAll(group);
        const index = node.status().lastIndex;
        const from = `requests #${group.map(([, n]) => n).join(', #')}`;
        if (index === baseIndex) {
          // All refused before the engine: nothing changed.
          refusedGroups++;
          assert.equal(hash(), baseline, `seed ${seed}: refused requests changed the state (${from})`);
        } else {
          // Some reached the engine (accepted, or rejected there): a new baseline. The refused ones among
          // them are checked through the view, which applies the committed log only: a change made
          // outside the log stays a difference between the two (checked now and then, and at the end).
          movedGroups++;
          baseline = hash();
          baseIndex = index;
          if (movedGroups % 8 === 0) assert.equal(...viewAgrees(), `seed ${seed}: the state is not what the log made it (${from} or before)`);
        }
      }
    }
    assert.equal(...viewAgrees(), `seed ${seed}: the state is not what the log made it`);
    const seconds = (performance.now() - started) / 1000;
    const sorted = (map: Map<number | string, number>): string => [...map].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ');
    t.diagnostic(`seed ${seed}: ${sent} requests in ${seconds.toFixed(1)} s; ${refusedGroups} groups of possible commands all refused (state unchanged), ${movedGroups} reached the engine (state = the log's); ${hashChecks} state hash checks; ${skipped} not sent (they would revoke the key in use)`);
    t.diagnostic(`statuses: ${sorted(statuses)}`);
    t.diagnostic(`codes: ${sorted(codes)}`);
    // The mix reached every layer: routing, content types, JSON, authentication, validation, the engine.
    for (const code of ['NOT_FOUND', 'BAD_URL', 'PARAMETER_TOO_LONG', 'UNSUPPORTED_MEDIA_TYPE', 'BAD_JSON', 'BODY_TOO_LARGE', 'UNAUTHENTICATED', 'BAD_SIGNATURE', 'INVALID_REQUEST', 'UNKNOWN_PRODUCT']) {
      assert.ok((codes.get(code) ?? 0) > 0, `no request got ${code}: ${sorted(codes)}`);
    }
    assert.ok((statuses.get(201) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, `nothing was accepted: ${sorted(statuses)}`);
    assert.ok(movedGroups > 100 && refusedGroups > 1_000, `${movedGroups} groups reached the engine, ${refusedGroups} were refused`);
    // The node still serves signed requests well after it all.
    await expectStatus(m.alice.request('GET', '/v1/balances'), 200);
  });
});
