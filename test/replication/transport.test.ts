/**
 * The peer transport over real sockets: frames between authenticated peers; a wrong secret,
 * another cluster, a non-member, junk and oversize frames are refused and logged; a dropped
 * peer is dialed again and frames flow once it is back.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { Logger } from '../../src/log.ts';
import { type PeerAddress, PeerTransport } from '../../src/replication/transport.ts';
import { freePort, freePorts } from '../support/process-cluster.ts';
import { until } from '../support/until.ts';

const SECRET = 'a shared secret of enough length';

class Recorder implements Logger {
  readonly lines: string[] = [];
  info(): void {}
  warn(fields: object, message?: string): void {
    this.lines.push(`${message ?? ''} ${JSON.stringify(fields)}`);
  }
  error(fields: object, message?: string): void {
    this.lines.push(`${message ?? ''} ${JSON.stringify(fields)}`);
  }
}

interface Peer {
  transport: PeerTransport;
  received: { from: number; body: number[] }[];
  log: Recorder;
}

function peer(id: number, addresses: PeerAddress[], options: { clusterId?: string; secret?: string; maxFrameBytes?: number } = {}): Peer {
  const received: { from: number; body: number[] }[] = [];
  const log = new Recorder();
  const self = addresses.find((a) => a.id === id) as PeerAddress;
  const transport = new PeerTransport({
    clusterId: options.clusterId ?? 'c1', nodeId: id, secret: options.secret ?? SECRET, logger: log,
    listen: { host: self.host, port: self.port }, peers: addresses.filter((a) => a.id !== id),
    onFrame: (from, body) => received.push({ from, body: [...body] }), maxFrameBytes: options.maxFrameBytes,
  });
  return { transport, received, log };
}

async function addresses(n: number): Promise<PeerAddress[]> {
  const list: PeerAddress[] = [];
  const ports = await freePorts(n);
  for (let id = 1; id <= n; id++) list.push({ id, host: '127.0.0.1', port: ports[id - 1] });
  return list;
}

/** Peers 1 and 2 of one cluster, both started. */
async function startedPair(): Promise<{ a: PeerAddress[]; p1: Peer; p2: Peer }> {
  const a = await addresses(2);
  const p1 = peer(1, a);
  const p2 = peer(2, a);
  await Promise.all([p1.transport.start(), p2.transport.start()]);
  return { a, p1, p2 };
}

describe('peer transport', () => {
  it('authenticated peers exchange frames in both directions, in order, batched per turn', async () => {
    const { p1, p2 } = await startedPair();
    try {
      await until(() => p1.transport.connectedPeers().includes(2) && p2.transport.connectedPeers().includes(1), 'both are connected');
      for (let i = 0; i < 100; i++) p1.transport.send(2, new Uint8Array([i, i + 1, i + 2]));
      p2.transport.send(1, new Uint8Array([9]));
      await until(() => p2.received.length === 100 && p1.received.length === 1, 'every message arrived');
      assert.deepEqual(p2.received.map((r) => r.body[0]), Array.from({ length: 100 }, (_, i) => i));
      assert.ok(p2.received.every((r) => r.from === 1 && r.body.length === 3));
      assert.deepEqual(p1.received, [{ from: 2, body: [9] }]);
    } finally {
      await Promise.all([p1.transport.close(), p2.transport.close()]);
    }
  });

  it('a message sent in parts arrives as one body, the parts back to back', async () => {
    const { p1, p2 } = await startedPair();
    try {
      await until(() => p1.transport.connectedPeers().includes(2), 'node 1 is connected to node 2');
      const whole = new Uint8Array(4_096 + 24).map((_, i) => i % 251);
      p1.transport.send(2, whole.subarray(0, 8), whole.subarray(8, 4_000), whole.subarray(4_000));
      p1.transport.send(2, new Uint8Array([5]));
      await until(() => p2.received.length === 2, 'both messages arrived');
      assert.deepEqual(p2.received[0].body, [...whole]);
      assert.deepEqual(p2.received[1].body, [5]);
    } finally {
      await Promise.all([p1.transport.close(), p2.transport.close()]);
    }
  });

  it('a wrong secret, another cluster id or a non-member is refused and logged, in both directions', async () => {
    const a = await addresses(2);
    const honest = peer(1, a);
    await honest.transport.start();
    const cases: [string, Peer, RegExp][] = [
      ['wrong secret', peer(2, a, { secret: 'another secret, also long enough' }), /prove the cluster secret/],
      ['other cluster', peer(2, a, { clusterId: 'c2' }), /cluster|not node/],
    ];
    try {
      for (const [name, intruder, pattern] of cases) {
        await intruder.transport.start();
        intruder.transport.send(1, new Uint8Array([1]));
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(honest.received.length, 0, `${name}: nothing delivered`);
        assert.ok(!honest.transport.connectedPeers().includes(2) && !intruder.transport.connectedPeers().includes(1), `${name}: not connected`);
        const all = [...honest.log.lines, ...intruder.log.lines].join('\n');
        assert.match(all, pattern, `${name}: the refusal is logged (${all})`);
        await intruder.transport.close();
        honest.log.lines.length = 0;
      }
      // A node id that is not a member (3) dials node 1.
      const outsider = peer(3, [...a, { id: 3, host: '127.0.0.1', port: await freePort() }]);
      await outsider.transport.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.match(honest.log.lines.join('\n'), /node 3 is not a member/);
      await outsider.transport.close();
    } finally {
      await honest.transport.close();
    }
  });

  it('junk before authentication and frames over the size limit close the connection, logged', async () => {
    const a = await addresses(2);
    const p1 = peer(1, a, { maxFrameBytes: 1_024 });
    await p1.transport.start();
    try {
      const junk = connect({ host: '127.0.0.1', port: a[0].port });
      junk.resume(); // read (and ignore) the greeting, so that the close is seen
      await new Promise<void>((resolve) => junk.once('connect', () => resolve()));
      junk.write(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]));
      await new Promise<void>((resolve) => junk.once('close', () => resolve()));
      assert.match(p1.log.lines.join('\n'), /refused/);
      // An authenticated peer that sends an oversize frame is cut off too.
      const p2 = peer(2, a);
      await p2.transport.start();
      await until(() => p2.transport.connectedPeers().includes(1), 'node 2 is connected to node 1');
      p2.transport.send(1, new Uint8Array(4_096));
      await until(() => p1.log.lines.some((l) => /4100 bytes refused/.test(l)), 'the oversize frame is refused');
      assert.equal(p1.received.length, 0);
      await p2.transport.close();
    } finally {
      await p1.transport.close();
    }
  });

  it('a peer that goes away is dialed again; messages meanwhile are dropped and counted, then flow again', async () => {
    const pair = await startedPair();
    const { a, p1 } = pair;
    let p2 = pair.p2;
    try {
      await until(() => p1.transport.connectedPeers().includes(2), 'node 1 is connected to node 2');
      await p2.transport.close();
      await until(() => !p1.transport.connectedPeers().includes(2), 'node 1 is disconnected from node 2');
      p1.transport.send(2, new Uint8Array([1]));
      assert.ok(p1.transport.dropped >= 1, 'a message to an unreachable peer is dropped, not queued without bound');
      p2 = peer(2, a);
      await p2.transport.start();
      await until(() => p1.transport.connectedPeers().includes(2), 'node 1 is connected to node 2 again');
      p1.transport.send(2, new Uint8Array([7]));
      await until(() => p2.received.length === 1, 'the message arrived');
      assert.deepEqual(p2.received[0], { from: 1, body: [7] });
    } finally {
      await Promise.all([p1.transport.close(), p2.transport.close()]);
    }
  });
});
