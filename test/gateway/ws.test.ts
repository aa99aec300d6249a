/**
 * The WebSocket gateway on a real node: the book as a snapshot plus gapless updates that rebuild
 * the REST book, trades and ticker, signed login and private channels that carry one account's
 * own updates, every refusal as an error message on a connection that stays usable, and the
 * protections: message rate, slow consumers, the connection cap.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { RestCredentials } from '../../src/client/rest-client.ts';
import { signRequest } from '../../src/gateway/auth/request-signature.ts';
import { type Market, expectStatus, limitOrder, startMarket } from './support.ts';
import { until } from '../support/until.ts';

type Message = Record<string, unknown>;

/** A test client: every message it receives, queued until a test takes it. */
class Client {
  private readonly queue: Message[] = [];
  private readonly waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    // Text messages arrive as Buffers (binaryType 'nodebuffer').
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as Message;
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i < 0) this.queue.push(m);
      else this.waiters.splice(i, 1)[0].resolve(m);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(m: Market): Promise<Client> {
    const ws = new WebSocket(`${m.server.httpUrl.replace(/^http/, 'ws')}/v1/ws`);
    const client = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        // An error later (a reset) ends in a close, which the tests look at.
        ws.on('error', () => {});
        resolve(client);
      });
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The first message (queued or still to come) that matches. */
  next(match: (m: Message) => boolean = () => true): Promise<Message> {
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Sends a message and takes the first answer of type `type` (an error otherwise). */
  async ask(message: unknown, type: string): Promise<Message> {
    this.send(message);
    const answer = await this.next((m) => m.type === type || m.type === 'error');
    assert.equal(answer.type, type, `${JSON.stringify(message)} was answered with ${JSON.stringify(answer)}`);
    return answer;
  }

  /** Sends a message that must be refused with `code`; the connection stays usable (a ping is answered). */
  async refused(message: unknown, code: string): Promise<Message> {
    this.send(message);
    const error = await this.next((m) => m.type === 'error');
    assert.equal(error.code, code, `${typeof message === 'string' ? message : JSON.stringify(message)}: ${JSON.stringify(error)}`);
    assert.ok(typeof error.message === 'string' && error.message.length > 0, JSON.stringify(error));
    await this.ask({ op: 'ping' }, 'pong');
    assert.equal(this.ws.readyState, WebSocket.OPEN);
    return error;
  }

  /** Everything received and not taken yet. */
  received(): Message[] {
    return this.queue.splice(0);
  }

  /** Everything received before the answer to a ping: the server sends in order, so all it sent before. */
  async sync(): Promise<Message[]> {
    await this.ask({ op: 'ping' }, 'pong');
    return this.received();
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    await this.closed;
  }
}

function login(key: RestCredentials, timestampMs = Date.now(), secret = key.secret): Message {
  return { op: 'login', keyId: key.keyId, timestampMs, signature: signRequest(Buffer.from(secret, 'hex'), timestampMs, 'GET', '/v1/ws', '') };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The client's TCP socket (ws keeps it private): pausing it stops reading, like a stuck client. */
function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/** The server's end of a client's connection. */
function serverEnd(m: Market, client: Client): WebSocket {
  const port = socketOf(client.ws).localPort;
  const found = [...m.server.http.websocketServer.clients].find((ws) => socketOf(ws).remotePort === port);
  assert.ok(found !== undefined, 'the server has no such connection');
  return found;
}

type Level = [string, string, number];

/** A book side kept as the updates say: price -> [quantity, orders]. */
function sideOf(levels: Level[]): Map<string, [string, number]> {
  return new Map(levels.map(([price, quantity, orders]) => [price, [quantity, orders]]));
}

function levelsOf(side: Map<string, [string, number]>, best: 'highest' | 'lowest'): Level[] {
  const sign = best === 'highest' ? -1 : 1;
  return [...side].map(([price, [quantity, orders]]): Level => [price, quantity, orders]).sort((a, b) => sign * (Number(a[0]) - Number(b[0])));
}

function without(m: Message, ...keys: string[]): Message {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !keys.includes(k)));
}

function orderId(answer: Record<string, unknown>): number {
  return (answer.order as { orderId: number }).orderId;
}

describe('WebSocket gateway', { timeout: 60_000 }, () => {
  let m: Market;
  before(async () => {
    m = await startMarket({ wsMaxSubscriptions: 5 });
  });
  after(async () => {
    await m.close();
  });

  it('book: a snapshot, then updates whose seqs continue it without a gap and rebuild the REST book', async () => {
    await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(100, 'buy', '100', '0.5')), 201);
    const a99 = orderId(await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(101, 'buy', '99', '1')), 201));
    const b105 = orderId(await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(100, 'sell', '105', '0.3')), 201));
    const c = await Client.open(m);
    const snapshot = await c.ask({ op: 'subscribe', channel: 'book', symbol: 'BTC-USD', depth: 100 }, 'snapshot');
    assert.equal(snapshot.symbol, 'BTC-USD');
    assert.deepEqual(snapshot.bids, [['100', '0.5', 1], ['99', '1', 1]]);
    assert.deepEqual(snapshot.asks, [['105', '0.3', 1]]);

    // New levels, trades through two levels, a modify, cancels, a cancel-all.
    await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(102, 'buy', '101', '0.2')), 201);
    await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(103, 'buy', '99', '0.25')), 201);
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(101, 'sell', '100', '0.6')), 201);
    await expectStatus(m.alice.request('PATCH', `/v1/orders/${a99}`, { requestId: 104, quantity: '0.4' }), 200);
    await expectStatus(m.bob.request('DELETE', `/v1/orders/${b105}?requestId=102`), 200);
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(103, 'sell', '110', '1')), 201);
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(104, 'sell', '111', '0.5')), 201);
    await expectStatus(m.bob.request('DELETE', '/v1/orders?requestId=105&symbol=BTC-USD'), 200);
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(106, 'sell', '108', '0.01')), 201);

    const updates = (await c.sync()).filter((u) => u.type === 'update');
    assert.ok(updates.length >= 8, `only ${updates.length} updates`);
    const bids = sideOf(snapshot.bids as Level[]);
    const asks = sideOf(snapshot.asks as Level[]);
    let seq = snapshot.seq as number;
    for (const u of updates) {
      assert.equal(u.channel, 'book');
      assert.equal(u.symbol, 'BTC-USD');
      assert.equal(u.seq, seq + 1, `a gap after seq ${seq}: ${JSON.stringify(u)}`);
      seq = u.seq;
      const side = u.side === 'buy' ? bids : asks;
      if (u.quantity === '0') {
        assert.equal(u.orders, 0);
        side.delete(u.price as string);
      } else {
        side.set(u.price as string, [u.quantity as string, u.orders as number]);
      }
    }
    const book = await expectStatus(m.alice.request('GET', '/v1/products/BTC-USD/book?depth=100'), 200);
    assert.equal(book.seq, seq, 'the REST book is at the seq of the last update');
    assert.deepEqual(levelsOf(bids, 'highest'), book.bids);
    assert.deepEqual(levelsOf(asks, 'lowest'), book.asks);
    assert.deepEqual(book.bids, [['100', '0.1', 1], ['99', '0.65', 2]]);
    assert.deepEqual(book.asks, [['108', '0.01', 1]]);

    // Unsubscribed: no more updates.
    assert.deepEqual(await c.ask({ op: 'unsubscribe', channel: 'book', symbol: 'BTC-USD' }, 'unsubscribed'), { type: 'unsubscribed', channel: 'book', symbol: 'BTC-USD' });
    await expectStatus(m.alice.request('DELETE', '/v1/orders?requestId=105'), 200);
    await expectStatus(m.bob.request('DELETE', '/v1/orders?requestId=107'), 200);
    assert.deepEqual(await c.sync(), []);
    await c.close();
  });

  it('trades and ticker deliver the trades placed over REST', async () => {
    const c = await Client.open(m);
    assert.deepEqual(await c.ask({ op: 'subscribe', channel: 'trades', symbol: 'BTC-USD' }, 'subscribed'), { type: 'subscribed', channel: 'trades', symbol: 'BTC-USD' });
    const first = await c.ask({ op: 'subscribe', channel: 'ticker', symbol: 'BTC-USD' }, 'ticker');
    assert.equal(first.symbol, 'BTC-USD');
    await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(200, 'buy', '120', '0.3')), 201);
    await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(201, 'buy', '119.5', '0.2')), 201);
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(200, 'sell', '119', '0.4')), 201);

    const messages = await c.sync();
    const trades = messages.filter((x) => x.type === 'trade');
    const rest = (await expectStatus(m.alice.request('GET', '/v1/products/BTC-USD/trades?limit=2'), 200)) as unknown as Message[];
    // REST lists newest first; the channel sends in trade order.
    assert.ok(trades.every((t) => t.channel === 'trades'));
    assert.deepEqual(trades.map((t) => without(t, 'type', 'channel')), [...rest].reverse());
    assert.deepEqual(trades.map((t) => [t.price, t.quantity, t.takerSide]), [['120', '0.3', 'sell'], ['119.5', '0.1', 'sell']]);
    const tickers = messages.filter((x) => x.type === 'ticker');
    assert.equal(tickers.length, 2, 'a ticker after each trade');
    assert.equal(tickers[1].channel, 'ticker');
    const last = without(tickers[1], 'type', 'channel');
    assert.deepEqual(last, await expectStatus(m.alice.request('GET', '/v1/products/BTC-USD/ticker'), 200));
    assert.deepEqual([last.lastPrice, last.lastQuantity, last.bidPrice, last.bidQuantity], ['119.5', '0.1', '119.5', '0.1']);
    await expectStatus(m.alice.request('DELETE', '/v1/orders?requestId=202'), 200);
    await c.close();
  });

  it('login with a good signature; private channels carry the account\'s own updates only, with its request ids', async () => {
    const a = await Client.open(m);
    const b = await Client.open(m);
    assert.deepEqual(await a.ask(login(m.keys[0]), 'logged_in'), { type: 'logged_in', accountId: 1 });
    assert.deepEqual(await b.ask(login(m.keys[1]), 'logged_in'), { type: 'logged_in', accountId: 2 });
    for (const c of [a, b]) {
      for (const channel of ['orders', 'fills', 'balances']) assert.deepEqual(await c.ask({ op: 'subscribe', channel }, 'subscribed'), { type: 'subscribed', channel });
    }
    const alicesOrder = orderId(await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(300, 'buy', '130', '0.4')), 201));
    const bobsOrder = orderId(await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(310, 'sell', '130', '0.1')), 201));
    await expectStatus(m.alice.request('DELETE', `/v1/orders/${alicesOrder}?requestId=301`), 200);
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(311, 'sell', '130', '5000')), 400);
    await expectStatus(m.alice.request('DELETE', '/v1/orders/999999?requestId=302'), 404);

    const alices = await a.sync();
    const bobs = await b.sync();
    for (const u of [...alices, ...bobs]) assert.equal(u.type, 'update', JSON.stringify(u));
    const of = (list: Message[], channel: string): Message[] => list.filter((u) => u.channel === channel);

    // Alice: her order (new with her request id, partly filled by Bob's order, cancelled by her request), her rejected cancel.
    assert.deepEqual(of(alices, 'orders').map((u) => [u.orderId, u.requestId, u.status, u.filledQuantity ?? null, u.reason]), [
      [alicesOrder, 300, 'new', '0', null],
      [alicesOrder, 0, 'partially_filled', '0.1', null],
      [alicesOrder, 301, 'cancelled', '0.1', 'user'],
      [999999, 302, 'command_rejected', null, 'UNKNOWN_ORDER'],
    ]);
    const alicesFills = of(alices, 'fills');
    assert.deepEqual(alicesFills.map((f) => [f.orderId, f.price, f.quantity, f.liquidity, f.side, f.requestId]), [[alicesOrder, '130', '0.1', 'maker', 'buy', 0]]);
    // Her balances as the channel last told them are those REST reports.
    const last = new Map(of(alices, 'balances').map((u) => [u.asset, { asset: u.asset, available: u.available, held: u.held }]));
    assert.deepEqual([...last.values()].sort((x, y) => String(x.asset).localeCompare(String(y.asset))), await expectStatus(m.alice.request('GET', '/v1/balances'), 200));

    // Bob: his order, filled at once, and his rejected order; his fill.
    assert.deepEqual(of(bobs, 'orders').map((u) => [u.orderId, u.requestId, u.status, u.reason]), [
      [bobsOrder, 310, 'new', null], [bobsOrder, 310, 'filled', null], [0, 311, 'rejected', 'QTY_ABOVE_MAX'],
    ]);
    assert.deepEqual(of(bobs, 'fills').map((f) => [f.orderId, f.liquidity, f.side, f.requestId]), [[bobsOrder, 'taker', 'sell', 310]]);
    const bobsLast = new Map(of(bobs, 'balances').map((u) => [u.asset, { asset: u.asset, available: u.available, held: u.held }]));
    const bobsRest = await expectStatus(m.bob.request('GET', '/v1/balances'), 200) as unknown as Message[];
    assert.deepEqual([...bobsLast.values()].sort((x, y) => String(x.asset).localeCompare(String(y.asset))), bobsRest);
    assert.notDeepEqual(bobsRest, await expectStatus(m.alice.request('GET', '/v1/balances'), 200));

    // Neither saw the other's orders, fills or request ids.
    assert.ok(alices.every((u) => u.orderId !== bobsOrder && u.requestId !== 310 && u.requestId !== 311), 'Alice saw Bob\'s updates');
    assert.ok(bobs.every((u) => u.orderId !== alicesOrder && u.orderId !== 999999 && u.requestId !== 301 && u.requestId !== 302), 'Bob saw Alice\'s updates');
    await a.close();
    await b.close();
  });

  it('every refusal is an error message with a code, and the connection stays usable', async () => {
    const c = await Client.open(m);
    const other = await Client.open(m);
    await c.refused({ op: 'subscribe', channel: 'orders' }, 'UNAUTHENTICATED');
    await c.refused(login(m.keys[0], Date.now(), m.keys[1].secret), 'BAD_SIGNATURE');
    await c.refused({ ...login(m.keys[0]), signature: 'zz' }, 'BAD_SIGNATURE');
    await c.refused(login(m.keys[0], Date.now() - 120_000), 'STALE_TIMESTAMP');
    await c.refused(login({ keyId: 999, secret: m.keys[0].secret }), 'UNAUTHENTICATED');
    // A login signature works once: a replay (here or on another connection) is refused.
    const good = login(m.keys[0]);
    assert.deepEqual(await c.ask(good, 'logged_in'), { type: 'logged_in', accountId: 1 });
    await other.refused(good, 'REPLAYED');
    await c.refused(good, 'REPLAYED');
    await c.refused(login(m.keys[1]), 'ALREADY_LOGGED_IN');
    await other.refused({ op: 'subscribe', channel: 'fills' }, 'UNAUTHENTICATED');
    await c.refused({ op: 'subscribe', channel: 'gossip', symbol: 'BTC-USD' }, 'INVALID_MESSAGE');
    await c.refused({ op: 'dance' }, 'INVALID_MESSAGE');
    await c.refused({ channel: 'book' }, 'INVALID_MESSAGE');
    await c.refused({ op: 'subscribe', channel: 'book', symbol: 'BTC-USD', depth: 0 }, 'INVALID_MESSAGE');
    await c.refused({ op: 'subscribe', channel: 'book', symbol: 'a b' }, 'INVALID_MESSAGE');
    await c.refused('{"op":"ping"', 'BAD_JSON');
    await c.refused('', 'BAD_JSON');
    await c.refused(Buffer.from(JSON.stringify({ op: 'ping' })), 'BAD_MESSAGE');
    await c.refused({ op: 'subscribe', channel: 'book', symbol: 'NOPE-USD' }, 'UNKNOWN_PRODUCT');
    await c.refused({ op: 'unsubscribe', channel: 'ticker', symbol: 'BTC-USD' }, 'NOT_SUBSCRIBED');
    await c.ask({ op: 'subscribe', channel: 'book', symbol: 'BTC-USD' }, 'snapshot');
    await c.refused({ op: 'subscribe', channel: 'book', symbol: 'BTC-USD' }, 'ALREADY_SUBSCRIBED');
    await c.ask({ op: 'subscribe', channel: 'orders' }, 'subscribed');
    await c.refused({ op: 'subscribe', channel: 'orders' }, 'ALREADY_SUBSCRIBED');
    // At most 5 subscriptions per connection (this market's limit).
    await c.ask({ op: 'subscribe', channel: 'trades', symbol: 'BTC-USD' }, 'subscribed');
    await c.ask({ op: 'subscribe', channel: 'ticker', symbol: 'BTC-USD' }, 'ticker');
    await c.ask({ op: 'subscribe', channel: 'fills' }, 'subscribed');
    await c.refused({ op: 'subscribe', channel: 'balances' }, 'TOO_MANY_SUBSCRIPTIONS');
    // A private channel is not per product: a symbol given with it changes nothing.
    assert.deepEqual(await c.ask({ op: 'unsubscribe', channel: 'fills', symbol: 'BTC-USD' }, 'unsubscribed'), { type: 'unsubscribed', channel: 'fills', symbol: null });
    await c.ask({ op: 'subscribe', channel: 'balances' }, 'subscribed');
    // Still in business: the subscriptions deliver.
    await expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(400, 'buy', '1', '0.1')), 201);
    const delivered = await c.sync();
    assert.ok(delivered.some((u) => u.channel === 'book' && u.price === '1'), JSON.stringify(delivered));
    assert.ok(delivered.some((u) => u.channel === 'orders' && u.requestId === 400), JSON.stringify(delivered));
    assert.ok(delivered.some((u) => u.channel === 'balances' && u.asset === 'USD'), JSON.stringify(delivered));
    await expectStatus(m.alice.request('DELETE', '/v1/orders?requestId=401'), 200);
    await c.close();
    await other.close();
  });

  it('a revoked key\'s connection gets nothing more and is closed; the key no longer logs in', async () => {
    const key = await expectStatus(m.admin.request('POST', '/v1/admin/api-keys', { accountId: 2 }), 201);
    const credentials = { keyId: key.keyId as number, secret: key.secret as string };
    const c = await Client.open(m);
    await c.ask(login(credentials), 'logged_in');
    await c.ask({ op: 'subscribe', channel: 'orders' }, 'subscribed');
    await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(500, 'sell', '900', '0.1')), 201);
    assert.deepEqual((await c.sync()).map((u) => [u.requestId, u.status]), [[500, 'new']]);
    await expectStatus(m.admin.request('DELETE', `/v1/admin/api-keys/${credentials.keyId}`), 200);
    await expectStatus(m.bob.request('DELETE', '/v1/orders?requestId=501'), 200);
    // Closed (a ping is then never answered), not served on.
    const closed = await Promise.race([c.closed, c.sync().then((messages) => ({ code: 0, reason: `still open, sent ${JSON.stringify(messages)}` }))]);
    assert.equal(closed.code, 1008, closed.reason);
    assert.match(closed.reason, /revoked/);
    assert.deepEqual(c.received(), [], 'the cancel of Bob\'s order reached a revoked key');
    const again = await Client.open(m);
    await again.refused(login(credentials), 'UNAUTHENTICATED');
    await again.close();
  });

  it('a plain HTTP request to the WebSocket endpoint gets the error shape', async () => {
    const r = await m.server.http.inject({ method: 'GET', url: '/v1/ws' });
    assert.equal(r.statusCode, 426);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'UPGRADE_REQUIRED');
  });

  it('more messages per second than allowed: closed with 1008, and nothing sent after the close is acted on', async () => {
    const view = m.server.view;
    const before = view.listenerCounts;
    const flood = await Client.open(m);
    await flood.ask({ op: 'subscribe', channel: 'book', symbol: 'BTC-USD' }, 'snapshot');
    assert.equal(view.listenerCounts.book, before.book + 1);
    const server = serverEnd(m, flood);
    for (let i = 0; i < 300; i++) flood.send({ op: 'ping' });
    // Stop reading: the client does not see the close, and keeps sending (as a misbehaving client may).
    socketOf(flood.ws).pause();
    await until(() => view.listenerCounts.book === before.book, 'the flooding session ends', 20_000);
    await sleep(200); // The rate limit refills: a message now would pass it.
    const handled = new Promise((resolve) => server.once('message', resolve));
    flood.send({ op: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    await handled;
    assert.deepEqual(view.listenerCounts, before, 'a closed session subscribed');
    socketOf(flood.ws).resume();
    const closed = await flood.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /messages per second/);
    // The others are untouched.
    const fine = await Client.open(m);
    await fine.ask({ op: 'ping' }, 'pong');
    await fine.close();
  });
});

describe('WebSocket gateway: slow consumers', { timeout: 120_000 }, () => {
  const maxBuffered = 64 * 1024;
  let m: Market;
  before(async () => {
    m = await startMarket({ wsMaxBufferedBytes: maxBuffered });
  });
  after(async () => {
    await m.close();
  });

  it('a client that stops reading while updates flow is disconnected with 1008; what the server holds for it stays bounded', async (t) => {
    const view = m.server.view;
    const before = view.listenerCounts;
    const slow = await Client.open(m);
    await slow.ask(login(m.keys[0]), 'logged_in');
    await slow.ask({ op: 'subscribe', channel: 'book', symbol: 'BTC-USD' }, 'snapshot');
    await slow.ask({ op: 'subscribe', channel: 'trades', symbol: 'BTC-USD' }, 'subscribed');
    await slow.ask({ op: 'subscribe', channel: 'ticker', symbol: 'BTC-USD' }, 'ticker');
    for (const channel of ['orders', 'fills', 'balances']) await slow.ask({ op: 'subscribe', channel }, 'subscribed');
    const reader = await Client.open(m);
    await reader.ask({ op: 'subscribe', channel: 'trades', symbol: 'BTC-USD' }, 'subscribed');
    const server = serverEnd(m, slow);
    socketOf(slow.ws).pause();

    // A round: Alice bids at 40 prices, Bob's one order sells into all of them (40 trades, each
    // a book update, a trade, a ticker, Alice's order update, fill and balances).
    let requestId = 1_000;
    const round = async (): Promise<void> => {
      await Promise.all(Array.from({ length: 40 }, (_, k) => expectStatus(m.alice.request('POST', '/v1/orders', limitOrder(requestId++, 'buy', `100.${String(k).padStart(2, '0')}`, '0.0001')), 201)));
      await expectStatus(m.bob.request('POST', '/v1/orders', limitOrder(requestId++, 'sell', '100', '0.004')), 201);
    };
    // What the server holds unsent for a client: at most the cap plus the one message that passed it.
    const bound = maxBuffered + 4_096;
    let rounds = 0;
    let most = 0;
    while (view.listenerCounts.account > before.account) {
      assert.ok(rounds < 2_000, 'the slow consumer was never disconnected');
      await round();
      rounds++;
      most = Math.max(most, server.bufferedAmount);
      assert.ok(server.bufferedAmount <= bound, `${server.bufferedAmount} bytes held for the slow client`);
    }
    t.diagnostic(`disconnected after ${rounds} rounds (${rounds * 40} trades); at most ${most} bytes held for it`);
    // Disconnected: its subscriptions are gone and nothing more is queued for it, however much flows.
    assert.deepEqual(view.listenerCounts, { ...before, trades: before.trades + 1 });
    const held = server.bufferedAmount;
    assert.ok(held <= bound);
    for (let i = 0; i < 5; i++) await round();
    assert.ok(server.bufferedAmount <= held, `${server.bufferedAmount} bytes held after the disconnect (${held} at it)`);
    // The reader kept up all along and got every trade.
    const trades = (await reader.sync()).filter((x) => x.type === 'trade');
    assert.equal(trades.length, (rounds + 5) * 40);

    // Reading again, the client drains what was sent, then finds the close.
    socketOf(slow.ws).resume();
    const closed = await slow.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /slow consumer/);
    await reader.close();
  });
});

describe('WebSocket gateway: connection cap', { timeout: 60_000 }, () => {
  let m: Market;
  before(async () => {
    m = await startMarket({ wsMaxConnections: 2 });
  });
  after(async () => {
    await m.close();
  });

  it('refuses the connection over the cap with 1013; a freed place is taken again', async () => {
    const first = await Client.open(m);
    const second = await Client.open(m);
    const extra = await Client.open(m);
    const refused = await extra.closed;
    assert.equal(refused.code, 1013);
    assert.match(refused.reason, /at most 2 connections/);
    for (const c of [first, second]) await c.ask({ op: 'ping' }, 'pong');
    await first.close();
    await until(() => m.server.http.websocketServer.clients.size === 1, 'the server sees the close', 20_000);
    const again = await Client.open(m);
    await again.ask({ op: 'ping' }, 'pong');
    const over = await Client.open(m);
    assert.equal((await over.closed).code, 1013);
    await second.close();
    await again.close();
  });
});
