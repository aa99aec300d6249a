/**
 * copyState: the copy is the state (same hash, same answers to every later command) and shares
 * nothing with it (either can go on alone).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { copyState } from '../../src/application/copy-state.ts';
import { Engine } from '../../src/application/engine.ts';
import { stateHash } from '../../src/application/snapshot.ts';
import { State } from '../../src/application/state.ts';
import type { Command } from '../../src/application/commands.ts';
import { commandStream } from '../support/command-stream.ts';

/** Runs `command` at `timeUs`; its events' slots. */
function run(engine: Engine, command: Command, timeUs: number): number[] {
  const out = engine.out;
  out.length = 0;
  const start = engine.execute(command, timeUs);
  return Array.from(out.slots.subarray(start, out.length));
}

describe('copyState', () => {
  it('a copy taken anywhere in a random stream answers every later command as the state does, and the original goes on unchanged by it', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, at) => {
      const commands = commandStream(seed, 300);
      const split = Math.floor(at * commands.length);
      const original = new Engine();
      for (let i = 0; i < split; i++) run(original, commands[i], i + 1);
      const hash = stateHash(original.state);
      const copy = new Engine(copyState(original.state));
      assert.equal(stateHash(copy.state), hash, 'the copy is the state');
      for (let i = split; i < commands.length; i++) {
        assert.deepEqual(run(copy, commands[i], i + 1), run(original, commands[i], i + 1), `command ${i}`);
      }
      assert.equal(stateHash(copy.state), stateHash(original.state));
      const again = new Engine(copyState(original.state));
      for (let i = 0; i < 50; i++) run(original, commands[i % commands.length], commands.length + i + 1);
      assert.notEqual(stateHash(original.state), stateHash(again.state), 'the original moved on');
      assert.equal(stateHash(again.state), stateHash(copy.state), 'without the copy');
    }), { numRuns: 25 });
  });

  it('an object the state reaches twice is one object in the copy, and not the original', () => {
    const engine = new Engine();
    for (const [i, c] of commandStream(3, 0).entries()) run(engine, c, i + 1);
    const copy = copyState(engine.state);
    const product = copy.products[1];
    assert.ok(product !== undefined);
    assert.equal(copy.productsBySymbol.get(product.symbol), product);
    assert.notEqual(product, engine.state.products[1]);
    assert.notEqual(product.bids, engine.state.products[1]?.bids);
    assert.notEqual(copy.orders.price, engine.state.orders.price);
  });

  it('copied into an earlier copy: the state again, its arrays written over, nothing shared with the state', () => {
    const commands = commandStream(11, 400);
    const engine = new Engine();
    for (let i = 0; i < 200; i++) run(engine, commands[i], i + 1);
    const earlier = copyState(engine.state);
    const prices = earlier.orders.price;
    for (let i = 200; i < commands.length; i++) run(engine, commands[i], i + 1);
    const hash = stateHash(engine.state);
    assert.notEqual(stateHash(earlier), hash, 'the state moved on from the earlier copy');
    const copy = copyState(engine.state, earlier);
    assert.equal(copy, earlier);
    assert.equal(stateHash(copy), hash, 'the copy is the state');
    assert.equal(prices.length, engine.state.orders.price.length, 'the orders table kept its size');
    assert.equal(copy.orders.price, prices, 'an array of the same length is written over');
    assert.notEqual(copy.orders.price, engine.state.orders.price);
    // Either goes on alone: the copy answers the next commands as the state does.
    const copied = new Engine(copy);
    for (let i = 0; i < 100; i++) assert.deepEqual(run(copied, commands[i], commands.length + i + 1), run(engine, commands[i], commands.length + i + 1), `command ${i}`);
  });

  it('refuses what is not data', () => {
    const state = new State();
    (state as unknown as Record<string, unknown>).hook = () => undefined;
    assert.throws(() => copyState(state), /data only/);
  });
});
