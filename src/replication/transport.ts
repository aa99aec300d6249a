/**
 * The peer transport: TCP between cluster members.
 *
 * - Each node dials every peer and sends its messages on that connection; it receives on the
 *   connections peers dialed to it.
 * - Mutual authentication at connect: the acceptor sends a nonce; the dialer proves the shared
 *   cluster secret with HMAC-SHA256 over (cluster id, both node ids, that nonce) and sends its
 *   own nonce; the acceptor proves the secret back. A wrong cluster, an unknown node or a bad
 *   proof is refused and logged; nothing else is read from that connection.
 * - Frames: a u32 length, then the body (at most `maxFrameBytes`). Messages to a peer gather
 *   during a turn and leave in one write (batching).
 * - Bounded: past `maxBufferedBytes` queued for a peer, further messages are dropped — the
 *   consensus core retransmits — and a lost connection is dialed again with back-off.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { type Logger, silentLogger } from '../log.ts';

export interface PeerAddress {
  id: number;
  host: string;
  port: number;
}

export interface TransportOptions {
  clusterId: string;
  nodeId: number;
  secret: string;
  listen: { host: string; port: number };
  peers: readonly PeerAddress[];
  /** A frame body from an authenticated peer; 8-byte aligned, valid during the call only. */
  onFrame: (from: number, body: Uint8Array) => void;
  logger?: Logger;
  maxFrameBytes?: number;
  maxBufferedBytes?: number;
}

const HELLO = 1;
const AUTH = 2;
const WELCOME = 3;
const DATA = 4;

interface Outbound {
  peer: PeerAddress;
  socket: Socket | undefined;
  ready: boolean;
  queued: Uint8Array[];
  queuedBytes: number;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
}

function mac(secret: string, ...parts: (string | number)[]): Buffer {
  return createHmac('sha256', secret).update(parts.join('|')).digest();
}

function frame(kind: number, body: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(8 + body.byteLength);
  b.writeUInt32LE(4 + body.byteLength, 0);
  b.writeUInt32LE(kind, 4);
  b.set(body, 8);
  return b;
}

function jsonFrame(kind: number, value: object): Buffer {
  return frame(kind, Buffer.from(JSON.stringify(value)));
}

/**
 * Splits a byte stream into frames; refuses oversize ones. Each body is copied once, straight
 * into its own 8-aligned buffer (bodies are read as float64 slots), however many chunks it
 * arrives in.
 */
class FrameReader {
  private readonly head = Buffer.alloc(8);
  private headBytes = 0;
  private kind = 0;
  private body: Uint8Array | undefined;
  private bodyBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Frames completed by `chunk` as (kind, body); a string when the stream is bad. */
  push(chunk: Buffer): { kind: number; body: Uint8Array }[] | string {
    const frames: { kind: number; body: Uint8Array }[] = [];
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.body === undefined) {
        const take = Math.min(8 - this.headBytes, chunk.byteLength - at);
        chunk.copy(this.head, this.headBytes, at, at + take);
        this.headBytes += take;
        at += take;
        if (this.headBytes < 8) break;
        this.headBytes = 0;
        const length = this.head.readUInt32LE(0);
        if (length < 4 || length > this.maxFrameBytes + 4) return `frame of ${length} bytes refused`;
        this.kind = this.head.readUInt32LE(4);
        this.body = new Uint8Array(new ArrayBuffer((length - 4 + 7) & ~7), 0, length - 4);
        this.bodyBytes = 0;
      }
      const take = Math.min(this.body.byteLength - this.bodyBytes, chunk.byteLength - at);
      this.body.set(chunk.subarray(at, at + take), this.bodyBytes);
      this.bodyBytes += take;
      at += take;
      if (this.bodyBytes === this.body.byteLength) {
        frames.push({ kind: this.kind, body: this.body });
        this.body = undefined;
      }
    }
    return frames;
  }
}

export class PeerTransport {
  private server: Server | undefined;
  private readonly outbound = new Map<number, Outbound>();
  private readonly inbound = new Set<Socket>();
  private readonly logger: Logger;
  private readonly maxFrameBytes: number;
  private readonly maxBufferedBytes: number;
  private flushScheduled = false;
  private closed = false;
  /** Messages dropped because a peer's buffer was full or it was unreachable. */
  dropped = 0;

  constructor(private readonly options: TransportOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxFrameBytes = options.maxFrameBytes ?? 128 * 1024 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024 * 1024;
    for (const peer of options.peers) {
      this.outbound.set(peer.id, { peer, socket: undefined, ready: false, queued: [], queuedBytes: 0, backoffMs: 50, timer: undefined });
    }
  }

  async start(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.options.listen.port, this.options.listen.host, () => resolve());
    });
    for (const o of this.outbound.values()) this.dial(o);
  }

  /**
   * Queues a message for `to`, its body the concatenation of `parts`; it leaves with the others
   * of this turn. The parts are written as they are, not copied: they must not change after.
   */
  send(to: number, ...parts: Uint8Array[]): void {
    const o = this.outbound.get(to);
    if (o === undefined || this.closed) return;
    let bodyBytes = 0;
    for (const part of parts) bodyBytes += part.byteLength;
    if (!o.ready || o.queuedBytes + bodyBytes > this.maxBufferedBytes ||
        (o.socket !== undefined && o.socket.writableLength > this.maxBufferedBytes)) {
      this.dropped++;
      return;
    }
    const header = Buffer.allocUnsafe(8);
    header.writeUInt32LE(4 + bodyBytes, 0);
    header.writeUInt32LE(DATA, 4);
    o.queued.push(header, ...parts);
    o.queuedBytes += bodyBytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Peers with an authenticated outbound connection. */
  connectedPeers(): number[] {
    return [...this.outbound.values()].filter((o) => o.ready).map((o) => o.peer.id);
  }

  /** Writes what is queued now, not at the end of the turn. */
  flush(): void {
    this.flushScheduled = false;
    for (const o of this.outbound.values()) {
      if (o.queued.length === 0 || o.socket === undefined || !o.ready) continue;
      // Corked: the turn's frames leave in one writev, with no copy into a joined buffer.
      o.socket.cork();
      for (const chunk of o.queued) o.socket.write(chunk);
      o.socket.uncork();
      o.queued = [];
      o.queuedBytes = 0;
    }
  }

  // ---- dialing (outbound: this node sends) ----------------------------------------------

  private dial(o: Outbound): void {
    if (this.closed) return;
    const socket = connect({ host: o.peer.host, port: o.peer.port });
    socket.setNoDelay(true);
    o.socket = socket;
    const reader = new FrameReader(64 * 1024);
    const myNonce = randomBytes(32).toString('hex');
    let serverNonce = '';
    socket.on('data', (chunk: Buffer) => {
      const frames = reader.push(chunk);
      if (typeof frames === 'string') return this.refuse(socket, `peer ${o.peer.id}: ${frames}`);
      for (const f of frames) {
        const text = Buffer.from(f.body).toString('utf8');
        let msg: { clusterId?: string; nodeId?: number; nonce?: string; mac?: string };
        try {
          msg = JSON.parse(text) as typeof msg;
        } catch {
          return this.refuse(socket, `peer ${o.peer.id}: malformed handshake`);
        }
        if (f.kind === HELLO) {
          if (msg.clusterId !== this.options.clusterId || msg.nodeId !== o.peer.id || typeof msg.nonce !== 'string') {
            return this.refuse(socket, `peer at ${o.peer.host}:${o.peer.port} is not node ${o.peer.id} of cluster ${this.options.clusterId}`);
          }
          serverNonce = msg.nonce;
          socket.write(jsonFrame(AUTH, {
            clusterId: this.options.clusterId, nodeId: this.options.nodeId, nonce: myNonce,
            mac: mac(this.options.secret, 'dialer', this.options.clusterId, this.options.nodeId, o.peer.id, serverNonce).toString('hex'),
          }));
        } else if (f.kind === WELCOME) {
          const expected = mac(this.options.secret, 'acceptor', this.options.clusterId, o.peer.id, this.options.nodeId, myNonce);
          if (typeof msg.mac !== 'string' || !safeEqual(expected, Buffer.from(msg.mac, 'hex'))) {
            return this.refuse(socket, `peer ${o.peer.id} failed to prove the cluster secret`);
          }
          o.ready = true;
          o.backoffMs = 50;
          this.logger.info({ peer: o.peer.id }, 'transport: connected to peer');
        }
      }
    });
    const lost = (): void => {
      if (o.socket !== socket) return;
      o.socket = undefined;
      o.ready = false;
      o.queued = [];
      o.queuedBytes = 0;
      if (this.closed) return;
      o.timer = setTimeout(() => this.dial(o), o.backoffMs + Math.floor(Math.random() * o.backoffMs));
      o.backoffMs = Math.min(1_000, o.backoffMs * 2);
    };
    socket.on('error', lost);
    socket.on('close', lost);
  }

  // ---- accepting (inbound: this node receives) ------------------------------------------

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.inbound.add(socket);
    socket.on('close', () => this.inbound.delete(socket));
    socket.on('error', () => this.inbound.delete(socket));
    const nonce = randomBytes(32).toString('hex');
    socket.write(jsonFrame(HELLO, { clusterId: this.options.clusterId, nodeId: this.options.nodeId, nonce }));
    let peer = 0;
    const handshake = new FrameReader(64 * 1024);
    let data: FrameReader | undefined;
    socket.on('data', (chunk: Buffer) => {
      const frames = (data ?? handshake).push(chunk);
      if (typeof frames === 'string') return this.refuse(socket, `from ${socket.remoteAddress}: ${frames}`);
      for (const f of frames) {
        if (peer !== 0) {
          if (f.kind === DATA) this.options.onFrame(peer, f.body);
          continue;
        }
        if (f.kind !== AUTH) return this.refuse(socket, `from ${socket.remoteAddress}: data before authentication`);
        let msg: { clusterId?: string; nodeId?: number; nonce?: string; mac?: string };
        try {
          msg = JSON.parse(Buffer.from(f.body).toString('utf8')) as typeof msg;
        } catch {
          return this.refuse(socket, `from ${socket.remoteAddress}: malformed handshake`);
        }
        const id = msg.nodeId ?? 0;
        if (msg.clusterId !== this.options.clusterId) {
          return this.refuse(socket, `from ${socket.remoteAddress}: a node of cluster "${String(msg.clusterId)}", not "${this.options.clusterId}"`);
        }
        if (!this.outbound.has(id) || typeof msg.nonce !== 'string' || typeof msg.mac !== 'string') {
          return this.refuse(socket, `from ${socket.remoteAddress}: node ${id} is not a member`);
        }
        const expected = mac(this.options.secret, 'dialer', this.options.clusterId, id, this.options.nodeId, nonce);
        if (!safeEqual(expected, Buffer.from(msg.mac, 'hex'))) {
          return this.refuse(socket, `from ${socket.remoteAddress}: node ${id} failed to prove the cluster secret`);
        }
        peer = id;
        data = new FrameReader(this.maxFrameBytes);
        socket.write(jsonFrame(WELCOME, {
          mac: mac(this.options.secret, 'acceptor', this.options.clusterId, this.options.nodeId, id, msg.nonce).toString('hex'),
        }));
      }
    });
  }

  private refuse(socket: Socket, reason: string): void {
    this.logger.warn({ reason }, 'transport: refused a peer connection');
    socket.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const o of this.outbound.values()) {
      if (o.timer !== undefined) clearTimeout(o.timer);
      o.socket?.destroy();
    }
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
