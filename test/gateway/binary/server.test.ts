/**
 * The binary order-entry server over real sockets, on a real one-node server with a demo
 * market set up through the admin API: sign-in, orders and their reports (solicited and
 * unsolicited, in commit order), retries, pipelining and throttling, the accounts kept apart,
 * heartbeats, malformed input, the bounds, shutdown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Reason } from '../../../src/application/reasons.ts';
import { RestClient } from '../../../src/client/rest-client.ts';
import { KeyStore } from '../../../src/gateway/auth/key-store.ts';
import { encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { ErrorCode } from '../../../src/gateway/binary/errors.ts';
import type { BinaryLimits } from '../../../src/gateway/binary/limits.ts';
import { type ExecutionReport, Liquidity, PROTOCOL_VERSION, ReportKind } from '../../../src/gateway/binary/messages.ts';
import { BinaryGateway } from '../../../src/gateway/binary/server.ts';
import { Server } from '../../../src/node/server.ts';
import { ADMIN_KEY, KEY_SECRET, type Market, expectStatus, startMarket } from '../support.ts';
import { TestClient, place } from './client.ts';
import { until } from '../../support/until.ts';

const { New, PartiallyFilled, Filled, Cancelled, Rejected, Modified, Duplicate } = ReportKind;

/** Product 2: ticks of 5 and lots of 10 in its scales, so that ticks, lots and scales differ. */
const P2 = 2;
const TICK = 5;
const LOT = 10;

let market: Market;
let gateway: BinaryGateway;
/** Keys of accounts 1 (alice) and 2 (bob). */
let alice: { keyId: number; secret: string };
let bob: { keyId: number; secret: string };

async function openGateway(limits: Partial<BinaryLimits> = {}): Promise<BinaryGateway> {
  const { node, view } = market.server;
  return BinaryGateway.listen({ node, view, keys: new KeyStore(view.state.apiKeys, KEY_SECRET), limits }, '127.0.0.1', 0);
}

async function login(key: { keyId: number; secret: string }, g = gateway): Promise<TestClient> {
  return (await TestClient.login(g.port, key.keyId, key.secret)).client;
}

/** The one report of an answer. */
async function only(client: TestClient, request: number): Promise<ExecutionReport> {
  const reports = await client.answer(request);
  assert.equal(reports.length, 1, JSON.stringify(reports));
  return reports[0];
}

function pick(r: ExecutionReport, ...fields: (keyof ExecutionReport)[]): Partial<ExecutionReport> {
  return Object.fromEntries(fields.map((f) => [f, r[f]]));
}

before(async () => {
  market = await startMarket();
  await expectStatus(market.admin.request('POST', '/v1/admin/products', {
    symbol: 'BTC-USD.5', base: 'BTC', quote: 'USD', priceScale: 2, quantityScale: 4, tickSize: '0.05', lotSize: '0.001',
    minQuantity: '0.001', maxQuantity: '1000', makerFeeBps: 10, takerFeeBps: 20, protectionTicks: 10_000,
  }), 201);
  [alice, bob] = market.keys;
  gateway = await openGateway();
});

after(async () => {
  await gateway.close();
  await market.close();
});

describe('binary order entry: orders and their reports', () => {
  it('logs in with an API key of the admin API; a resting order is New; a crossing one fills both sides', async () => {
    const a = await TestClient.login(gateway.port, alice.keyId, alice.secret);
    const b = await TestClient.login(gateway.port, bob.keyId, bob.secret);
    assert.equal(a.account, 1);
    assert.equal(b.account, 2);
    try {
      a.client.send(place(1, { product: P2, side: 1, price: 2_500_000, qty: 1_000, clientOrderId: 7 }));
      const resting = await only(a.client, 1);
      assert.deepEqual(pick(resting, 'kind', 'side', 'clientOrderId', 'product', 'price', 'qty', 'filledQty', 'leavesQty', 'last', 'reason'),
        { kind: New, side: 1, clientOrderId: 7, product: P2, price: 2_500_000, qty: 1_000, filledQty: 0, leavesQty: 1_000, last: 1, reason: 0 });
      assert.ok(resting.order > 0 && resting.entryIndex > 0 && resting.timestampUs > 0);
      const view = market.server.view.order(1, resting.order);
      assert.equal(view?.priceTicks, 2_500_000 / TICK, 'the engine has it in ticks');
      assert.equal(view?.qtyLots, 1_000 / LOT, 'and lots');

      // 0.04 BTC at 25,000.00: 1,000 USD; the taker pays 20 bps, the maker 10.
      b.client.send(place(1, { product: P2, side: 0, price: 2_500_000, qty: 400 }));
      const [accepted, filled] = await b.client.answer(1);
      assert.deepEqual(pick(accepted, 'kind', 'qty', 'leavesQty', 'last'), { kind: New, qty: 400, leavesQty: 400, last: 0 });
      assert.deepEqual(pick(filled, 'kind', 'order', 'side', 'price', 'qty', 'filledQty', 'leavesQty', 'fillPrice', 'fillQty', 'fee', 'liquidity', 'last'), {
        kind: Filled, order: accepted.order, side: 0, price: 2_500_000, qty: 400, filledQty: 400, leavesQty: 0, fillPrice: 2_500_000,
        fillQty: 400, fee: 2_000_000, liquidity: Liquidity.Taker, last: 1,
      });
      const maker = await a.client.expect('ExecutionReport');
      assert.deepEqual(pick(maker, 'kind', 'request', 'order', 'clientOrderId', 'filledQty', 'leavesQty', 'trade', 'fillQty', 'fee', 'liquidity', 'last', 'entryIndex'), {
        kind: PartiallyFilled, request: 0, order: resting.order, clientOrderId: 7, filledQty: 400, leavesQty: 600, trade: filled.trade,
        fillQty: 400, fee: 1_000_000, liquidity: Liquidity.Maker, last: 0, entryIndex: filled.entryIndex,
      });

      // An IOC for more than rests: New, its fill, the rest Cancelled (expired); the maker is Filled.
      b.client.send(place(2, { product: P2, side: 0, price: 2_500_000, qty: 1_000, tif: 2 }));
      const reports = await b.client.answer(2);
      assert.deepEqual(reports.map((r) => [r.kind, r.filledQty, r.leavesQty, r.reason]),
        [[New, 0, 1_000, 0], [PartiallyFilled, 600, 400, 0], [Cancelled, 600, 0, 4]]);
      const done = await a.client.expect('ExecutionReport');
      assert.deepEqual(pick(done, 'kind', 'request', 'filledQty', 'leavesQty', 'fillQty'), { kind: Filled, request: 0, filledQty: 1_000, leavesQty: 0, fillQty: 600 });
      assert.deepEqual([...a.client.pending(), ...b.client.pending()], [], 'nothing else, nothing twice');
    } finally {
      a.client.close();
      b.client.close();
    }
  });
});

describe('binary order entry: cancel, modify, cancel-all, rejections', () => {
  it('modify restates price and quantity; cancel by client order id; cancel-all; cancel-all with nothing to cancel', async () => {
    const a = await login(alice);
    try {
      a.send(place(10, { side: 1, price: 3_000_000, qty: 100, clientOrderId: 11 }));
      const order = (await only(a, 10)).order;
      a.send({ type: 'ModifyOrder', request: 11, order, clientOrderId: 0, price: 3_000_100, qty: 200 });
      assert.deepEqual(pick(await only(a, 11), 'kind', 'order', 'price', 'qty', 'filledQty', 'leavesQty', 'reason'),
        { kind: Modified, order, price: 3_000_100, qty: 200, filledQty: 0, leavesQty: 200, reason: 0 });
      a.send({ type: 'CancelOrder', request: 12, order: 0, clientOrderId: 11 });
      assert.deepEqual(pick(await only(a, 12), 'kind', 'order', 'clientOrderId', 'qty', 'leavesQty', 'reason'),
        { kind: Cancelled, order, clientOrderId: 11, qty: 200, leavesQty: 0, reason: 1 });

      a.send(place(13, { side: 1, price: 3_000_000, qty: 100 }), place(14, { product: P2, side: 1, price: 3_000_000, qty: 100 }));
      const orders = [(await only(a, 13)).order, (await only(a, 14)).order];
      a.send({ type: 'CancelAll', request: 15, product: 0 });
      const cancelled = await a.answer(15);
      assert.deepEqual(cancelled.map((r) => [r.kind, r.order, r.reason, r.last]), [[Cancelled, orders[0], 2, 0], [Cancelled, orders[1], 2, 1]]);
      a.send({ type: 'CancelAll', request: 16, product: 0 });
      const nothing = await only(a, 16);
      assert.deepEqual(pick(nothing, 'kind', 'order', 'reason', 'last'), { kind: Cancelled, order: 0, reason: 2, last: 1 });
      assert.ok(nothing.entryIndex > cancelled[1].entryIndex);
    } finally {
      a.close();
    }
  });

  it('what the engine refuses is a Rejected report with its reason, and nothing changes', async () => {
    const a = await login(alice);
    try {
      a.send(place(20, { product: P2, side: 1, price: 2_500_001, qty: 100, clientOrderId: 21 }));
      assert.deepEqual(pick(await only(a, 20), 'kind', 'order', 'clientOrderId', 'reason'), { kind: Rejected, order: 0, clientOrderId: 21, reason: Reason.BAD_TICK });
      a.send(place(21, { product: P2, side: 1, price: 2_500_000, qty: 15 }));
      assert.equal((await only(a, 21)).reason, Reason.BAD_LOT);
      a.send(place(22, { product: 99, side: 1, price: 100, qty: 100, clientOrderId: -5 }));
      assert.deepEqual(pick(await only(a, 22), 'kind', 'clientOrderId'), { kind: Rejected, clientOrderId: 0 }, 'an id that cannot be one is not echoed');
      a.send({ type: 'CancelOrder', request: 23, order: 123_456, clientOrderId: 0 });
      assert.deepEqual(pick(await only(a, 23), 'kind', 'order', 'reason'), { kind: Rejected, order: 123_456, reason: Reason.UNKNOWN_ORDER });
      a.send({ type: 'ModifyOrder', request: 24, order: 123_456, clientOrderId: 0, price: 100, qty: 100 });
      assert.equal((await only(a, 24)).reason, Reason.UNKNOWN_ORDER);
      a.send(place(25, { side: 7, price: 100, qty: 100 }));
      assert.equal((await only(a, 25)).reason, Reason.INVALID_ORDER, 'a side of 7 is a valid frame; the engine refuses it');
      assert.deepEqual(market.server.view.openOrders(1), []);
    } finally {
      a.close();
    }
  });

  it('a key of one account never acts on the orders of another', async () => {
    const [a, b] = [await login(alice), await login(bob)];
    try {
      b.send(place(30, { side: 1, price: 4_000_000, qty: 100, clientOrderId: 31 }));
      const bobs = (await only(b, 30)).order;
      a.send({ type: 'CancelOrder', request: 30, order: bobs, clientOrderId: 0 },
        { type: 'CancelOrder', request: 31, order: 0, clientOrderId: 31 },
        { type: 'ModifyOrder', request: 32, order: bobs, clientOrderId: 0, price: 4_000_000, qty: 50 },
        { type: 'CancelAll', request: 33, product: 0 });
      for (const request of [30, 31, 32]) assert.deepEqual(pick(await only(a, request), 'kind', 'reason'), { kind: Rejected, reason: Reason.UNKNOWN_ORDER });
      assert.deepEqual(pick(await only(a, 33), 'kind', 'order', 'reason'), { kind: Cancelled, order: 0, reason: 2 });
      const still = market.server.view.order(2, bobs);
      assert.deepEqual([still?.status, still?.qtyLots], ['new', 100]);
      assert.deepEqual(b.pending(), [], 'bob heard nothing of it');
      b.send({ type: 'CancelAll', request: 31, product: 0 });
      assert.equal((await only(b, 31)).order, bobs);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('binary order entry: request ids', () => {
  it('a retried request id is answered Duplicate with the first outcome, and runs nothing', async () => {
    const a = await login(alice);
    try {
      a.send(place(40, { side: 1, price: 5_000_000, qty: 100 }));
      const first = await only(a, 40);
      const open = market.server.view.openOrders(1).length;
      // Whatever the other fields: the id decides.
      a.send(place(40, { side: 1, price: 5_000_000, qty: 300 }));
      const again = await only(a, 40);
      assert.deepEqual(pick(again, 'kind', 'order', 'reason', 'last'), { kind: Duplicate, order: first.order, reason: 0, last: 1 });
      assert.ok(again.entryIndex > first.entryIndex);
      assert.equal(market.server.view.openOrders(1).length, open, 'no second order');

      // The same id while it is in flight on the connection: refused at once, not run.
      a.send(place(41, { product: P2, side: 1, price: 5_000_001, qty: 100 }), place(41, { product: P2, side: 1, price: 5_000_000, qty: 100 }));
      await a.expectError(ErrorCode.REQUEST_IN_FLIGHT, 41);
      assert.equal((await only(a, 41)).reason, Reason.BAD_TICK);
      a.send(place(41, { product: P2, side: 1, price: 5_000_000, qty: 100 }));
      assert.deepEqual(pick(await only(a, 41), 'kind', 'order', 'reason'), { kind: Duplicate, order: 0, reason: Reason.BAD_TICK }, 'a rejected request stays rejected');
      a.send({ type: 'CancelAll', request: 42, product: 0 });
      await a.answer(42);
    } finally {
      a.close();
    }
  });

  it("two connections of one account: each gets its own answers; both get the account's unsolicited reports", async () => {
    const [a1, a2, b] = [await login(alice), await login(alice), await login(bob)];
    try {
      a1.send(place(50, { side: 1, price: 6_000_000, qty: 100 }));
      const order = (await only(a1, 50)).order;
      a2.send(place(50, { side: 1, price: 6_000_000, qty: 100 }));
      assert.deepEqual(pick(await only(a2, 50), 'kind', 'order'), { kind: Duplicate, order }, 'the id is the account\'s, whatever the connection');
      b.send(place(50, { side: 0, price: 6_000_000, qty: 100 }));
      assert.equal((await b.answer(50)).at(-1)?.kind, Filled);
      for (const c of [a1, a2]) {
        assert.deepEqual(pick(await c.expect('ExecutionReport'), 'kind', 'request', 'order', 'liquidity'),
          { kind: Filled, request: 0, order, liquidity: Liquidity.Maker });
        assert.deepEqual(c.pending(), [], 'nothing twice, nothing of the other connection\'s answers');
      }
    } finally {
      for (const c of [a1, a2, b]) c.close();
    }
  });
});

describe('binary order entry: pipelining and its bounds', () => {
  it('keeps maxInFlight requests in flight: 500 orders, each answered once, in the order sent', async () => {
    const a = await login(alice);
    try {
      const total = 500;
      const window = 64;
      let sent = 0;
      const sendNext = (): void => {
        sent++;
        a.send(place(1_000 + sent, { product: P2, side: 1, price: 9_000_000, qty: 10, clientOrderId: sent }));
      };
      while (sent < window) sendNext();
      let lastEntry = 0;
      for (let i = 1; i <= total; i++) {
        const r = await only(a, 1_000 + i);
        assert.deepEqual([r.kind, r.clientOrderId], [New, i]);
        assert.ok(r.entryIndex > lastEntry, 'in commit order');
        lastEntry = r.entryIndex;
        if (sent < total) sendNext();
      }
      assert.equal(market.server.view.openOrders(1, P2).length, total);
      a.send({ type: 'CancelAll', request: 2_000, product: P2 });
      const cancelled = await a.answer(2_000);
      assert.equal(cancelled.length, total);
      assert.deepEqual(cancelled.map((r) => r.last).filter((l) => l === 1), [1]);
    } finally {
      a.close();
    }
  });

  it('past maxInFlight a request is THROTTLED and not run; resent later, it runs', async () => {
    const small = await openGateway({ maxInFlight: 4 });
    const a = await login(alice, small);
    try {
      assert.equal(small.connectionCount, 1);
      const orders = (from: number, to: number): ReturnType<typeof place>[] =>
        Array.from({ length: to - from + 1 }, (_, i) => place(from + i, { product: P2, side: 1, price: 9_500_000, qty: 10 }));
      a.send(...orders(3_001, 3_010));
      // Refused as they are read; the four in flight are answered once committed.
      for (let request = 3_005; request <= 3_010; request++) await a.expectError(ErrorCode.THROTTLED, request);
      for (let request = 3_001; request <= 3_004; request++) assert.equal((await only(a, request)).kind, New);
      a.send(...orders(3_005, 3_010));
      for (const request of [3_009, 3_010]) await a.expectError(ErrorCode.THROTTLED, request);
      for (let request = 3_005; request <= 3_008; request++) assert.equal((await only(a, request)).kind, New);
      a.send(...orders(3_009, 3_010));
      for (const request of [3_009, 3_010]) assert.equal((await only(a, request)).kind, New);
      assert.equal(market.server.view.openOrders(1, P2).length, 10, 'each ran once');
      a.send({ type: 'CancelAll', request: 3_011, product: P2 });
      assert.equal((await a.answer(3_011)).length, 10);
    } finally {
      a.close();
      await small.close();
    }
  });

  it('Logout: the answers in flight, then LogoutAccepted and the close; the view listener is gone', async () => {
    const listeners = market.server.view.listenerCounts.account;
    const a = await login(alice);
    assert.equal(market.server.view.listenerCounts.account, listeners + 1);
    a.send(place(4_001, { product: P2, side: 1, price: 9_000_000, qty: 10 }), { type: 'CancelAll', request: 4_002, product: P2 }, { type: 'Logout' });
    assert.equal((await only(a, 4_001)).kind, New);
    assert.equal((await only(a, 4_002)).kind, Cancelled);
    await a.expect('LogoutAccepted');
    assert.deepEqual(await a.closedBy(), []);
    await until(() => market.server.view.listenerCounts.account === listeners, 'the listener is removed');
  });

  it('a server with its maxConnections answers one more with OVERLOADED and closes it', async () => {
    const small = await openGateway({ maxConnections: 2 });
    const [c1, c2] = [await TestClient.connect(small.port), await TestClient.connect(small.port)];
    try {
      const c3 = await TestClient.connect(small.port);
      await c3.expectError(ErrorCode.OVERLOADED);
      assert.deepEqual(await c3.closedBy(), []);
      c1.close();
      await until(() => small.connectionCount === 1, 'the first has gone');
      const c4 = await TestClient.connect(small.port);
      c4.send({ type: 'Hello', protocolVersion: PROTOCOL_VERSION });
      await c4.expect('Challenge');
      c4.close();
    } finally {
      c2.close();
      await small.close();
    }
  });

  it('a client that does not read what it is sent is disconnected; the server goes on', async () => {
    const small = await openGateway({ maxQueuedBytes: 64 * 1024 });
    const a = await login(alice, small);
    // Every frame gets an answer or an Error (ids cycle through the in-flight window); none is read.
    a.socket.pause();
    const frames = Buffer.concat(Array.from({ length: 16 * 1024 }, (_, i) => encodeFrame(place(1 + (i % 64), { product: 99, qty: 1 }))));
    const deadline = Date.now() + 30_000;
    while (!a.ended && Date.now() < deadline) {
      if (a.socket.writableLength < 4 * frames.byteLength) a.socket.write(frames);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(a.ended, 'disconnected');
    await until(() => small.connectionCount === 0, 'the connection is gone');
    const b = await login(alice, small);
    b.send(place(5_001, { product: 99, qty: 1 }));
    assert.equal((await only(b, 5_001)).kind, Rejected);
    b.close();
    await small.close();
  });
});

describe('binary order entry: signing in', () => {
  const refused = async (keyId: number, secret: Uint8Array): Promise<void> => {
    const c = await TestClient.connect(gateway.port);
    const answer = await c.signIn(keyId, secret);
    assert.deepEqual([answer.type, answer.type === 'Error' ? answer.code : 0], ['Error', ErrorCode.AUTH_FAILED]);
    assert.deepEqual(await c.closedBy(), []);
  };

  it('a wrong signature, another key\'s secret, an unknown key, a revoked key: AUTH_FAILED, closed', async () => {
    await refused(alice.keyId, Buffer.from(alice.secret.replace(/^./, (d) => (d === '0' ? '1' : '0')), 'hex'));
    await refused(bob.keyId, Buffer.from(alice.secret, 'hex'));
    await refused(alice.keyId, Buffer.from(bob.secret, 'hex'));
    await refused(999, Buffer.from(alice.secret, 'hex'));
    // The secret's hex text is not the secret: its bytes are.
    await refused(alice.keyId, Buffer.from(alice.secret, 'utf8'));
    const key = await expectStatus(market.admin.request('POST', '/v1/admin/api-keys', { accountId: 1 }), 201);
    const { client, account } = await TestClient.login(gateway.port, key.keyId as number, key.secret as string);
    assert.equal(account, 1);
    client.close();
    await expectStatus(market.admin.request('DELETE', `/v1/admin/api-keys/${String(key.keyId)}`), 200);
    await refused(key.keyId as number, Buffer.from(key.secret as string, 'hex'));
  });

  it('a command before Login is UNEXPECTED_MESSAGE; a second Login is NONCE_USED; both close', async () => {
    const c = await TestClient.connect(gateway.port);
    c.send({ type: 'Hello', protocolVersion: PROTOCOL_VERSION }, place(1, { price: 100, qty: 100 }));
    await c.expect('Challenge');
    await c.expectError(ErrorCode.UNEXPECTED_MESSAGE);
    assert.deepEqual(await c.closedBy(), []);
    const a = await login(alice);
    a.send({ type: 'Login', keyId: alice.keyId, signature: new Uint8Array(32) });
    await a.expectError(ErrorCode.NONCE_USED);
    assert.deepEqual(await a.closedBy(), []);
  });
});

describe('binary order entry: heartbeats', () => {
  it('a quiet client gets Heartbeats; a silent one is closed after 3 intervals; one that beats stays', async () => {
    const quick = await openGateway({ heartbeatIntervalMs: 100, tickMs: 10 });
    try {
      const silent = await TestClient.connect(quick.port);
      const startedMs = Date.now();
      silent.send({ type: 'Hello', protocolVersion: PROTOCOL_VERSION });
      await silent.expect('Challenge');
      assert.equal((await silent.next(1_000, true)).type, 'Heartbeat', 'the server keeps the line alive');
      await silent.expectError(ErrorCode.HEARTBEAT_TIMEOUT);
      assert.deepEqual(await silent.closedBy(), []);
      const silenceMs = Date.now() - startedMs;
      assert.ok(silenceMs >= 300 && silenceMs < 1_000, `closed after ${silenceMs} ms`);

      const mute = await TestClient.connect(quick.port);
      await mute.expectError(ErrorCode.HEARTBEAT_TIMEOUT);
      assert.deepEqual(await mute.closedBy(), [], 'no Hello: closed the same way');

      const alive = await login(alice, quick);
      const beat = setInterval(() => alive.send({ type: 'Heartbeat' }), 50);
      await new Promise((resolve) => setTimeout(resolve, 600));
      clearInterval(beat);
      assert.equal(alive.ended, false);
      assert.deepEqual(alive.pending(), []);
      alive.close();
    } finally {
      await quick.close();
    }
  });
});

describe('binary order entry: malformed input', () => {
  const valid = (): Uint8Array => encodeFrame(place(6_001, { product: P2, side: 1, price: 9_000_000, qty: 10 }));
  /** A PlaceOrder frame with a float64 field overwritten. */
  const patched = (at: number, value: number): Uint8Array => {
    const frame = valid();
    new DataView(frame.buffer, frame.byteOffset).setFloat64(at, value, true);
    return frame;
  };
  const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
  const cases: { what: string; loggedIn: boolean; bytes: Uint8Array; code: number }[] = [
    { what: 'a length word past maxFrameBytes', loggedIn: false, bytes: u32(1_000_000), code: ErrorCode.FRAME_TOO_LARGE },
    { what: 'a length word below 2', loggedIn: true, bytes: u32(1), code: ErrorCode.BAD_LENGTH },
    { what: 'a type no client sends', loggedIn: true, bytes: Buffer.from('020000006300', 'hex'), code: ErrorCode.UNKNOWN_TYPE },
    { what: 'a server message from the client', loggedIn: true, bytes: encodeFrame({ type: 'LogoutAccepted' }), code: ErrorCode.UNKNOWN_TYPE },
    { what: 'a PlaceOrder one byte short', loggedIn: true, bytes: Buffer.concat([u32(62), valid().subarray(4, 66)]), code: ErrorCode.BAD_LENGTH },
    { what: 'a NaN price', loggedIn: true, bytes: patched(32, Number.NaN), code: ErrorCode.BAD_FIELD },
    { what: 'a fractional quantity', loggedIn: true, bytes: patched(40, 10.5), code: ErrorCode.BAD_FIELD },
    { what: 'request id 0', loggedIn: true, bytes: patched(8, 0), code: ErrorCode.BAD_FIELD },
    { what: 'a reserved field not zero', loggedIn: true, bytes: Buffer.from('140000001200010000000000000000f03f0000000000000000', 'hex'), code: ErrorCode.BAD_FIELD },
    { what: 'protocol version 2', loggedIn: false, bytes: encodeFrame({ type: 'Hello', protocolVersion: 2 }), code: ErrorCode.UNSUPPORTED_VERSION },
  ];

  it('each gets its Error and a close; the engine state is unchanged', async () => {
    const node = market.server.node;
    const hash = node.stateHash();
    const lastIndex = node.status().lastIndex;
    for (const { what, loggedIn, bytes, code } of cases) {
      const c = loggedIn ? await login(alice) : await TestClient.connect(gateway.port);
      // Whatever follows the bad frame is not read: here, a valid order.
      c.send(bytes, encodeFrame(place(6_002, { product: P2, side: 1, price: 9_000_000, qty: 10 })));
      const m = await c.expect('Error');
      assert.equal(m.code, code, `${what}: ${m.message}`);
      assert.deepEqual(await c.closedBy(), [], what);
    }
    assert.equal(node.stateHash(), hash);
    assert.equal(node.status().lastIndex, lastIndex, 'no command ran');
  });

  it('frames split anywhere, one byte a write, are reassembled', async () => {
    const a = await login(alice);
    try {
      const bytes = Buffer.concat([place(6_003, { product: P2, side: 1, price: 9_000_000, qty: 10 }), { type: 'CancelAll', request: 6_004, product: P2 } as const]
        .map((m) => encodeFrame(m)));
      for (const byte of bytes) {
        a.send(Uint8Array.of(byte));
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal((await only(a, 6_003)).kind, New);
      assert.equal((await only(a, 6_004)).kind, Cancelled);
    } finally {
      a.close();
    }
  });
});

describe('Server with a binary port', () => {
  it('listens where asked and counts its connections; close answers what is in flight, then SHUTTING_DOWN', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bourse-binary-'));
    const server = await Server.start({
      dataDir: dir, fsync: 'never', http: { host: '127.0.0.1', port: 0 }, binary: { host: '127.0.0.1', port: 0 },
      adminKey: ADMIN_KEY, keySecret: KEY_SECRET,
    });
    let closing: Promise<void> | undefined;
    try {
      const admin = new RestClient(server.httpUrl, { adminKey: ADMIN_KEY });
      await expectStatus(admin.request('POST', '/v1/admin/accounts'), 201);
      const key = await expectStatus(admin.request('POST', '/v1/admin/api-keys', { accountId: 1 }), 201);
      const port = server.binaryPort ?? assert.fail('a binary port');
      const { client } = await TestClient.login(port, key.keyId as number, key.secret as string);
      const idle = await TestClient.connect(port);
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      assert.match(metrics, /^bourse_binary_connections 2$/m);
      client.send(place(1_000, { price: 100, qty: 100 }));
      await client.answer(1_000);
      assert.match(await (await fetch(`${server.httpUrl}/metrics`)).text(),
        /^bourse_gateway_commands_total\{gateway="binary",type="PlaceOrder",result="committed"\} 1$/m, 'commands counted by type and result');

      // No product: every order is Rejected, and each is a command the engine ran.
      const before = server.view.lastIndex;
      client.send(...Array.from({ length: 50 }, (_, i) => place(i + 1, { price: 100, qty: 100 })));
      // Closes as soon as the gateway has read them: before they commit, as a rule.
      const deadline = Date.now() + 5_000;
      while (server.node.status().queued === 0 && server.view.lastIndex === before && Date.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      closing = server.close();
      const messages = await client.closedBy();
      await closing;
      const last = messages.pop();
      assert.deepEqual(last?.type === 'Error' ? last.code : last, ErrorCode.SHUTTING_DOWN);
      const answered = messages.map((m) => (m.type === 'ExecutionReport' && m.kind === Rejected && m.last === 1 ? m.request : 0));
      assert.deepEqual(answered, Array.from({ length: answered.length }, (_, i) => i + 1), 'answers only, in order');
      assert.equal(answered.length, server.view.lastIndex - before, 'every command that ran was answered before the close');
      const idleMessages = await idle.closedBy();
      assert.deepEqual(idleMessages.map((m) => (m.type === 'Error' ? m.code : m.type)), [ErrorCode.SHUTTING_DOWN]);
    } finally {
      await (closing ?? server.close());
      await rm(dir, { recursive: true, force: true });
    }
  });
});

