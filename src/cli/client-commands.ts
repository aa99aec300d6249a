/**
 * `bourse` commands that talk to a node's REST API: cluster status, market data, orders,
 * balances, transfers and snapshots. Where: --url or BOURSE_URL; who: --key/--secret or
 * BOURSE_API_KEY/BOURSE_API_SECRET (signed requests), --admin-key or BOURSE_ADMIN_KEY.
 * Read commands print a table, or JSON with --json. Exit codes: 0 done, 1 the server refused
 * (its error code and message on one line), 2 bad usage, 3 no answer from the server.
 */
import { Command } from 'commander';
import { freshRequestId } from '../client/request-ids.ts';
import { RestClient } from '../client/rest-client.ts';

interface Common {
  url?: string;
  key?: string;
  secret?: string;
  adminKey?: string;
  json?: boolean;
}

class Exit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function client(o: Common, auth: 'none' | 'key' | 'admin'): RestClient {
  const url = o.url ?? process.env.BOURSE_URL ?? 'http://127.0.0.1:8001';
  if (auth === 'admin') {
    const adminKey = o.adminKey ?? process.env.BOURSE_ADMIN_KEY;
    if (adminKey === undefined) throw new Exit(2, 'an admin key is needed: --admin-key or BOURSE_ADMIN_KEY');
    return new RestClient(url, { adminKey });
  }
  if (auth === 'key') {
    const key = Number(o.key ?? process.env.BOURSE_API_KEY);
    const secret = o.secret ?? process.env.BOURSE_API_SECRET;
    if (!Number.isSafeInteger(key) || key < 1 || secret === undefined) throw new Exit(2, 'an API key is needed: --key and --secret, or BOURSE_API_KEY and BOURSE_API_SECRET');
    return new RestClient(url, { key: { keyId: key, secret } });
  }
  return new RestClient(url);
}

async function call(c: RestClient, method: string, path: string, body?: unknown): Promise<unknown> {
  let r: Awaited<ReturnType<RestClient['request']>>;
  try {
    r = await c.request(method, path, body);
  } catch (error) {
    throw new Exit(3, `no answer from ${c.baseUrl}: ${(error as Error).message}`);
  }
  if (r.status >= 400) {
    const e = (r.body as { error?: { code: string; message: string; leader?: { url: string | null } } }).error;
    const where = e?.leader?.url ? ` (the leader is at ${e.leader.url})` : '';
    throw new Exit(1, `${e?.code ?? r.status}: ${e?.message ?? JSON.stringify(r.body)}${where}`);
  }
  return r.body;
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const text = (v: unknown): string => {
    if (v === null || v === undefined) return '-';
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  const cells = rows.map((row) => columns.map((c) => text(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

function print(o: Common, value: unknown, render: () => string): void {
  console.log(o.json === true ? JSON.stringify(value) : render());
}

/** A fresh request id: unique for this account for far longer than the engine remembers ids. */
function requestId(given: string | undefined): number {
  if (given !== undefined) {
    const n = Number(given);
    if (!Number.isSafeInteger(n) || n < 1) throw new Exit(2, '--request-id must be a positive integer');
    return n;
  }
  return freshRequestId();
}

function withCommon(c: Command): Command {
  return c.option('--url <url>', 'a node\'s HTTP URL (BOURSE_URL)').option('--json', 'print JSON');
}

function run(action: (...args: never[]) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    try {
      await action(...(args as never[]));
    } catch (error) {
      if (!(error instanceof Exit)) throw error;
      console.error(`bourse: ${error.message}`);
      process.exit(error.code);
    }
  };
}

async function clusterStatus(o: Common): Promise<void> {
  type Status = { nodeId: number; role: string; term: number; leaderId: number; leaderUrl: string | null; commitIndex: number; lastIndex: number;
    followers: { id: number; url: string | null; lag: number }[] };
  let status = await call(client(o, 'none'), 'GET', '/v1/cluster') as Status;
  if (status.role !== 'leader' && status.leaderUrl !== null) status = await call(new RestClient(status.leaderUrl), 'GET', '/v1/cluster') as Status;
  const rows: Record<string, unknown>[] = [{ node: status.nodeId, role: status.role, term: status.term, commitIndex: status.commitIndex, lastIndex: status.lastIndex, lag: 0 }];
  for (const f of status.followers) {
    const s = f.url === null ? undefined : await call(new RestClient(f.url), 'GET', '/v1/cluster').catch(() => undefined) as Status | undefined;
    rows.push({ node: f.id, role: s?.role ?? 'unreachable', term: s?.term, commitIndex: s?.commitIndex, lastIndex: s?.lastIndex, lag: f.lag });
  }
  print(o, rows, () => table(rows, ['node', 'role', 'term', 'commitIndex', 'lastIndex', 'lag']));
}

export function registerClientCommands(program: Command): void {
  const cluster = program.command('cluster').description('the cluster');
  withCommon(cluster.command('status').description('each node\'s role, term, commit index and lag')).action(run(clusterStatus));

  withCommon(program.command('products').description('the products')).action(run(async (o: Common) => {
    const products = await call(client(o, 'none'), 'GET', '/v1/products') as Record<string, unknown>[];
    print(o, products, () => table(products, ['symbol', 'status', 'tickSize', 'lotSize', 'minQuantity', 'maxQuantity', 'makerFeeBps', 'takerFeeBps']));
  }));

  withCommon(program.command('book <symbol>').description('the order book by price level').option('--depth <n>', 'levels per side', '10'))
    .action(run(async (symbol: string, o: Common & { depth: string }) => {
      const book = await call(client(o, 'none'), 'GET', `/v1/products/${encodeURIComponent(symbol)}/book?depth=${encodeURIComponent(o.depth)}`) as { bids: string[][]; asks: string[][]; seq: number };
      print(o, book, () => {
        const rows = [...book.asks].reverse().map(([price, qty, n]) => ({ side: 'ask', price, quantity: qty, orders: n }))
          .concat(book.bids.map(([price, qty, n]) => ({ side: 'bid', price, quantity: qty, orders: n })));
        return table(rows, ['side', 'price', 'quantity', 'orders']);
      });
    }));

  const keyed = (c: Command): Command => withCommon(c).option('--key <id>', 'API key id (BOURSE_API_KEY)').option('--secret <hex>', 'API key secret (BOURSE_API_SECRET)');
  const admin = (c: Command): Command => withCommon(c).option('--admin-key <key>', 'the admin key (BOURSE_ADMIN_KEY)');
  const orderColumns = ['orderId', 'symbol', 'side', 'type', 'price', 'quantity', 'filledQuantity', 'status'];

  const order = program.command('order').description('orders of the key\'s account');
  keyed(order.command('place <symbol> <side> <quantity>').description('place an order (side: buy or sell)')
    .option('--price <price>', 'limit price (without it: a market order)').option('--type <type>', 'limit, market, stop_limit, stop_market')
    .option('--stop-price <price>', 'stop orders').option('--tif <tif>', 'gtc, ioc, fok').option('--post-only', 'never take liquidity')
    .option('--client-order-id <n>', 'your id for the order').option('--request-id <n>', 'reuse to retry safely'))
    .action(run(async (symbol: string, side: string, quantity: string, o: Common & { price?: string; type?: string; stopPrice?: string; tif?: string; postOnly?: boolean; clientOrderId?: string; requestId?: string }) => {
      const body = {
        requestId: requestId(o.requestId), symbol, side, quantity, type: o.type ?? (o.price === undefined ? 'market' : 'limit'),
        ...(o.price === undefined ? {} : { price: o.price }), ...(o.stopPrice === undefined ? {} : { stopPrice: o.stopPrice }),
        ...(o.tif === undefined ? {} : { timeInForce: o.tif }), ...(o.postOnly === true ? { postOnly: true } : {}),
        ...(o.clientOrderId === undefined ? {} : { clientOrderId: Number(o.clientOrderId) }),
      };
      const answer = await call(client(o, 'key'), 'POST', '/v1/orders', body) as { order: Record<string, unknown> | null; requestId: number; duplicate: boolean };
      print(o, answer, () => `${answer.duplicate ? 'already placed (request ' + answer.requestId + ')' : 'placed'}\n${answer.order === null ? '' : table([answer.order], orderColumns)}`);
    }));
  keyed(order.command('cancel <orderId>').description('cancel an order').option('--request-id <n>', 'reuse to retry safely'))
    .action(run(async (orderId: string, o: Common & { requestId?: string }) => {
      const answer = await call(client(o, 'key'), 'DELETE', `/v1/orders/${encodeURIComponent(orderId)}?requestId=${requestId(o.requestId)}`) as { order: Record<string, unknown> | null };
      print(o, answer, () => `cancelled\n${answer.order === null ? '' : table([answer.order], orderColumns)}`);
    }));
  keyed(order.command('list').description('open orders').option('--symbol <symbol>', 'of one product'))
    .action(run(async (o: Common & { symbol?: string }) => {
      const orders = await call(client(o, 'key'), 'GET', `/v1/orders${o.symbol === undefined ? '' : `?symbol=${encodeURIComponent(o.symbol)}`}`) as Record<string, unknown>[];
      print(o, orders, () => table(orders, orderColumns));
    }));

  keyed(program.command('balances').description('the key\'s account balances')).action(run(async (o: Common) => {
    const balances = await call(client(o, 'key'), 'GET', '/v1/balances') as Record<string, unknown>[];
    print(o, balances, () => table(balances, ['asset', 'available', 'held']));
  }));

  for (const [name, path] of [['deposit', '/v1/admin/deposits'], ['withdraw', '/v1/admin/withdrawals']] as const) {
    admin(program.command(`${name} <account> <asset> <amount>`).description(`${name} funds (admin; --transfer-id makes it safe to repeat)`)
      .requiredOption('--transfer-id <n>', 'a positive id; repeating it never moves funds twice'))
      .action(run(async (account: string, asset: string, amount: string, o: Common & { transferId: string }) => {
        const answer = await call(client(o, 'admin'), 'POST', path, { transferId: Number(o.transferId), accountId: Number(account), asset, amount });
        print(o, answer, () => table([answer as Record<string, unknown>], ['transferId', 'accountId', 'asset', 'amount', 'duplicate']));
      }));
  }

  const snapshot = program.command('snapshot').description('snapshots');
  admin(snapshot.command('take').description('take a snapshot on the node now (admin)')).action(run(async (o: Common) => {
    const answer = await call(client(o, 'admin'), 'POST', '/v1/admin/snapshot');
    print(o, answer, () => table([answer as Record<string, unknown>], ['index', 'term', 'stateHash', 'ms']));
  }));
}
