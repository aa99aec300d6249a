/**
 * Private streams: with a listener on every account from the start, each account's updates
 * come in commit order and tell every change — balances kept from the BalanceUpdates alone,
 * and open orders kept from the OrderUpdates alone, equal the view's (and so the engine's)
 * after every window of commands. Fills are the account's trades, with the fills read back;
 * every Rejected event naming an account reaches it; the updates of an entry carry its request
 * id exactly when they belong to the account that sent it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../../src/application/commands.ts';
import type { AccountUpdate, Fill, OrderUpdate } from '../../../src/gateway/view/updates.ts';
import { View } from '../../../src/gateway/view/view.ts';
import { ACCOUNTS, commandStream } from '../../support/command-stream.ts';
import { type OpenOrderFields, eventsOf, openOrderFields, runStream } from './support.ts';

/** Accounts listened to: the fee account, the stream's accounts, and a few it may create (or name without creating). */
const LISTENED = ACCOUNTS + 4;

const TERMINAL = new Set(['filled', 'cancelled', 'rejected']);

/** What a client keeps from its private updates alone. */
class Client {
  readonly updates: AccountUpdate[] = [];
  readonly balances = new Map<number, { available: number; held: number }>();
  /** Order id -> its last update, while open. */
  readonly open = new Map<number, OrderUpdate>();
  readonly ended = new Set<number>();
  readonly fills: Fill[] = [];

  constructor(readonly account: number) {}

  take(u: AccountUpdate): void {
    assert.equal(u.account, this.account);
    const last = this.updates.at(-1);
    assert.ok(last === undefined || last.entryIndex <= u.entryIndex, 'updates come in commit order');
    if (last !== undefined && last.entryIndex === u.entryIndex) {
      assert.ok(last.kind === 'balance' ? u.kind === 'balance' : true, 'an entry\'s balances come after its other updates');
    }
    this.updates.push(u);
    switch (u.kind) {
      case 'balance':
        this.balances.set(u.asset, { available: u.available, held: u.held });
        return;
      case 'fill':
        this.fills.push(u);
        return;
      case 'command_rejected':
        return;
      case 'order':
        if (u.status === 'rejected') return;
        assert.ok(!this.ended.has(u.order), `no update of order ${u.order} after it ended`);
        if (u.status === 'cancelled') assert.ok(u.qtyLots >= u.filledLots);
        else assert.equal(u.qtyLots, u.filledLots + u.leavesLots);
        if (u.status === 'new' && !this.open.has(u.order)) assert.equal(u.filledLots, 0);
        else assert.ok(this.open.has(u.order), `order ${u.order} was new first`);
        if (TERMINAL.has(u.status)) {
          assert.equal(u.leavesLots, 0);
          this.open.delete(u.order);
          this.ended.add(u.order);
        } else {
          this.open.set(u.order, u);
        }
    }
  }

  openOrders(): OpenOrderFields[] {
    return [...this.open.values()].sort((a, b) => a.order - b.order).map(openOrderFields);
  }
}

describe('view: private updates', () => {
  for (const seed of [8, 9]) {
    it(`seed ${seed}: balances and open orders kept from the updates alone equal the view's; fills, rejects, request ids`, async () => {
      const view = new View({ limits: { fillsPerAccount: 1_000_000 } });
      const clients: Client[] = [];
      const sessions: AccountUpdate[][] = [];
      for (let a = 0; a < LISTENED; a++) {
        const client = new Client(a);
        clients.push(client);
        view.onAccount(a, (u) => client.take(u));
        // An order-entry session's listener of the same account: everything but balances.
        sessions.push([]);
        view.onAccount(a, (u) => sessions[a].push(u), false);
      }
      let windows = 0;
      await runStream(seed, commandStream(seed, 3_000), ({ node, results }) => {
        assert.ok(node.state.accounts.count <= LISTENED, 'every account is listened to');
        const byEntry = new Map<number, AccountUpdate[]>();
        for (const c of clients) {
          for (const u of c.updates) byEntry.set(u.entryIndex, [...(byEntry.get(u.entryIndex) ?? []), u]);
        }

        // Rejections: one update per Rejected event naming an account, of that account, in that entry.
        let rejections = 0;
        for (const { index, event: e } of eventsOf(results)) {
          if (e.type !== 'Rejected' || e.account <= 0 || e.account >= LISTENED) continue;
          rejections++;
          const got = (byEntry.get(index) ?? []).filter((u) => u.kind === 'command_rejected' || (u.kind === 'order' && u.status === 'rejected'));
          assert.equal(got.length, 1, `entry ${index}: one rejection update`);
          const u = got[0];
          assert.equal(u.account, e.account);
          assert.equal(u.kind === 'order' ? u.reason : u.kind === 'command_rejected' ? u.reason : -1, e.reason);
          assert.equal(u.kind === 'order', e.command === COMMANDS.PlaceOrder.code, 'a refused PlaceOrder is an order update');
          if (u.kind === 'command_rejected') assert.deepEqual([u.command, u.order, u.transfer], [e.command, e.order, e.transfer]);
          if (u.kind === 'order' || u.kind === 'command_rejected') assert.equal(u.clientOrderId, e.clientOrderId);
        }
        assert.ok(rejections > 200, `many rejections (${rejections})`);

        // Request ids: on the sender's updates of the entry, on no one else's; duplicates change nothing.
        let tagged = 0;
        for (const r of results) {
          const recorded = r.events.find((e) => e.type === 'RequestRecorded');
          const updates = byEntry.get(r.index) ?? [];
          if (r.events.some((e) => e.type === 'RequestDuplicate')) assert.deepEqual(updates, [], 'a retried request changes nothing');
          for (const u of updates) {
            const want = recorded !== undefined && recorded.account === u.account ? recorded.request : 0;
            assert.equal(u.request, want, `entry ${r.index}: request id of a ${u.kind} update of account ${u.account}`);
            if (want !== 0) tagged++;
          }
        }
        assert.ok(tagged > 500, `many updates answer a request (${tagged})`);

        // Fills: the account's side of each trade, as read back from the view.
        for (const c of clients) {
          const trades = [...eventsOf(results)].flatMap(({ event: e }) => e.type !== 'Trade' ? [] : [
            ...(e.makerAccount === c.account ? [[e.trade, e.makerOrder, e.qtyLots, e.makerFee, 'maker']] : []),
            ...(e.takerAccount === c.account ? [[e.trade, e.takerOrder, e.qtyLots, e.takerFee, 'taker']] : []),
          ]);
          assert.deepEqual(c.fills.map((f) => [f.trade, f.order, f.qtyLots, f.fee, f.liquidity]), trades, `fills of account ${c.account}`);
          assert.deepEqual(view.fills(c.account), [...c.fills].reverse(), `fills read back of account ${c.account}`);
        }
        assert.ok(windows > 20);
        for (const c of clients) {
          assert.deepEqual(sessions[c.account], c.updates.filter((u) => u.kind !== 'balance'), `account ${c.account} without balances`);
        }
      }, {
        view,
        between: ({ node }) => {
          windows++;
          for (const c of clients) {
            if (c.account >= node.state.accounts.count) {
              const changes = c.updates.filter((u) => u.kind !== 'command_rejected' && !(u.kind === 'order' && u.status === 'rejected'));
              assert.deepEqual(changes, [], 'an account that does not exist does not change');
              continue;
            }
            const balances = view.balances(c.account)!.map((b) => ({ asset: b.asset, ...(c.balances.get(b.asset) ?? { available: 0, held: 0 }) }));
            assert.deepEqual(balances, view.balances(c.account), `balances of account ${c.account} from its updates`);
            assert.deepEqual(c.openOrders(), view.openOrders(c.account).map(openOrderFields), `open orders of account ${c.account} from its updates`);
          }
        },
      });
    });
  }
});
