/**
 * Properties over random command streams (fast-check): 10,000 commands per run, several runs
 * with fresh seeds (a failure prints its seed and replays with it). After every command: the
 * invariants (conservation, no negative balance, uncrossed books, held == needs of open
 * orders); each asset's balances sum to deposits − withdrawals as the events report them.
 * Along the way: decide never mutates, a reject changes nothing. At the end: replaying the
 * events rebuilds the same state hash, and a snapshot round trip keeps it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { decide } from '../../src/application/decide.ts';
import { Engine } from '../../src/application/engine.ts';
import { EventBuffer } from '../../src/application/events.ts';
import { checkInvariants } from '../../src/application/invariants.ts';
import { Matcher } from '../../src/application/matching/matcher.ts';
import { State } from '../../src/application/state.ts';
import { decodeSnapshot, encodeSnapshot, encodeSnapshotSteps, stateHash } from '../../src/application/snapshot.ts';
import { SlotBuffer } from '../../src/application/layout.ts';
import { eventsOf } from '../../src/codec/events.ts';
import { Driver, funded, recipe } from '../support/command-stream.ts';

const COMMANDS_PER_RUN = 10_000;

/** The state hash as if the clock still read `timestampUs`. */
function hashAt(state: State, timestampUs: number): string {
  const now = state.timestampUs;
  state.timestampUs = timestampUs;
  const hash = stateHash(state);
  state.timestampUs = now;
  return hash;
}

function checkConservation(driver: Driver): void {
  const { accounts } = driver.engine.state;
  for (let asset = 1; asset <= 3; asset++) {
    let sum = 0;
    for (let a = 0; a < accounts.count; a++) sum += accounts.available[a * accounts.stride + asset] + accounts.held[a * accounts.stride + asset];
    assert.equal(sum, driver.net[asset], `asset ${asset}: balances ${sum} != deposits - withdrawals ${driver.net[asset]}`);
  }
}

it(`random streams of ${COMMANDS_PER_RUN} commands keep every invariant`, () => {
  const stats = { commands: 0, trades: 0, rejects: 0, triggered: 0, requests: 0, duplicates: 0, reasons: {} as Record<number, number> };
  // The property draws a seed; the stream is sampled from it, so a failure reports one number.
  const details = fc.check(
    fc.property(fc.integer(), (seed) => {
      const recipes = fc.sample(recipe, { seed, numRuns: COMMANDS_PER_RUN });
      const driver = new Driver();
      funded(driver);
      recipes.forEach((r, i) => {
        const command = driver.command(r);
        const sample = i % 97 === 0;
        const before = sample ? stateHash(driver.engine.state) : '';
        const beforeTime = driver.engine.state.timestampUs;
        if (sample) {
          // decide alone must not change the state.
          const scratch = new EventBuffer();
          decide(driver.engine.state, command, scratch, new Matcher(driver.engine.state, scratch));
          assert.equal(stateHash(driver.engine.state), before, `decide mutated the state on ${JSON.stringify(command)}`);
        }
        driver.run(command);
        const last = driver.log[driver.log.length - 1].slots;
        const events = eventsOf(last, 0, last.length);
        stats.commands++;
        stats.trades += events.filter((e) => e.type === 'Trade').length;
        stats.triggered += events.filter((e) => e.type === 'StopTriggered').length;
        const rejected = events.find((e) => e.type === 'Rejected');
        const recorded = events.find((e) => e.type === 'RequestRecorded');
        const duplicate = events.find((e) => e.type === 'RequestDuplicate');
        if (recorded !== undefined) {
          // The outcome follows the command's own events (stops it triggered run after it), and
          // names the reject reason when there is one.
          if (!events.some((e) => e.type === 'StopTriggered')) assert.equal(events[events.length - 1], recorded, 'RequestRecorded comes last');
          assert.equal(recorded.reason, rejected?.reason ?? 0);
          stats.requests++;
        }
        if (duplicate !== undefined) {
          // A retry runs nothing: one event, the state unchanged but for the clock.
          assert.equal(events.length, 1, 'a retried request yields exactly one event');
          stats.duplicates++;
          if (sample) assert.equal(hashAt(driver.engine.state, beforeTime), before, 'a retry changed the state');
        }
        if (rejected !== undefined) {
          stats.rejects++;
          stats.reasons[rejected.reason] = (stats.reasons[rejected.reason] ?? 0) + 1;
          assert.equal(events.length, recorded === undefined ? 1 : 2, 'a rejected command yields exactly one Rejected (and its RequestRecorded)');
          // A reject changes nothing but the engine's clock (and the record of its request id).
          if (sample && recorded === undefined) assert.equal(hashAt(driver.engine.state, beforeTime), before, 'a reject changed the state');
        }
        const problems = checkInvariants(driver.engine.state);
        assert.deepEqual(problems, [], `after command ${i} ${JSON.stringify(command)}`);
        checkConservation(driver);
      });
      const replay = new Engine(new State());
      for (const entry of driver.log) replay.apply(entry.slots, 0, entry.slots.length, entry.time);
      const hash = stateHash(driver.engine.state);
      assert.equal(stateHash(replay.state), hash, 'replaying the events gives another state');
      const bytes = encodeSnapshot(driver.engine.state);
      const restored = decodeSnapshot(new Float64Array(bytes.slice().buffer));
      assert.equal(stateHash(restored), hash, 'a snapshot round trip changes the state hash');
      // In steps, into a buffer that grows at every write of every kind: the same bytes.
      const out = new SlotBuffer(1);
      const steps = encodeSnapshotSteps(driver.engine.state, out, { requests: true }, 64);
      let longest = 0;
      let pausedAt = 0;
      let step = steps.next();
      while (step.done !== true) {
        longest = Math.max(longest, out.length - pausedAt);
        pausedAt = out.length;
        step = steps.next();
      }
      longest = Math.max(longest, out.length - pausedAt);
      assert.deepEqual(step.value, bytes, 'a snapshot encoded in steps differs');
      assert.ok(longest <= 2 * 64, `a step of ${longest} slots`);
      assert.deepEqual(checkInvariants(restored), []);
    }),
    { numRuns: 5, endOnFailure: true },
  );
  if (details.failed) {
    const cause = details.errorInstance as Error;
    cause.message = `stream seed ${String(details.counterexample?.[0])} (fast-check seed ${details.seed}): ${cause.message}`;
    throw cause;
  }
  if (process.env.BOURSE_TEST_STATS === "1") console.log(stats);
  // The streams must exercise matching, rejects and stops, or the properties prove little.
  assert.ok(stats.trades > stats.commands / 10, `too few trades: ${JSON.stringify(stats)}`);
  assert.ok(stats.rejects < stats.commands / 2, `too many rejects: ${JSON.stringify(stats)}`);
  assert.ok(stats.rejects > 0 && stats.triggered > 0, JSON.stringify(stats));
  assert.ok(stats.requests > stats.commands / 10 && stats.duplicates > 0, `request ids too rare: ${JSON.stringify(stats)}`);
});
