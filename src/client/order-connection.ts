/**
 * One binary order-entry connection (docs/protocol.md): connect, Hello, answer the Challenge
 * with a signed Login, then frames both ways. Heartbeats keep it alive; silence ends it. It
 * reports what the server sends and that it closed; BourseClient decides what to do next.
 */
import { Socket } from 'node:net';
import { sign } from '../gateway/binary/auth.ts';
import { decodeServerFrame } from '../gateway/binary/decode.ts';
import { FrameWriter } from '../gateway/binary/encode.ts';
import { FrameReader } from '../gateway/binary/frame-reader.ts';
import { type ClientMessage, PROTOCOL_VERSION, type ServerMessage } from '../gateway/binary/messages.ts';

export interface LeaderAddress {
  leaderId: number;
  host: string;
  port: number;
}

export interface ConnectionEvents {
  /** Every message after LoginAccepted but heartbeats and the redirect. */
  message(m: ServerMessage): void;
  /** The connection is gone, for any reason; `redirect` when the server named the leader. */
  closed(reason: string, redirect: LeaderAddress | undefined): void;
}

export interface Credentials {
  keyId: number;
  /** The key's secret bytes. */
  secret: Uint8Array;
}

/** The largest frame a server sends is far below this. */
const MAX_FRAME_BYTES = 64 * 1024;

export class OrderConnection {
  private readonly reader = new FrameReader(MAX_FRAME_BYTES);
  private readonly writer = new FrameWriter();
  private heartbeatMs = 1_000;
  private lastReceivedMs = Date.now();
  private lastSentMs = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private redirect: LeaderAddress | undefined;
  private ended = false;
  /** Until signed in: settles `open`. */
  private pending: { resolve: (c: OrderConnection) => void; reject: (e: Error) => void; deadline: NodeJS.Timeout } | undefined;
  account = 0;
  maxInFlight = 1;

  private constructor(
    private readonly socket: Socket,
    private readonly credentials: Credentials,
    private readonly events: ConnectionEvents,
  ) {}

  /** Connects and signs in; rejects if either fails (after a Redirect, with the leader named). */
  static open(host: string, port: number, credentials: Credentials, events: ConnectionEvents, timeoutMs: number): Promise<OrderConnection> {
    const socket = new Socket();
    const c = new OrderConnection(socket, credentials, events);
    return new Promise((resolve, reject) => {
      c.pending = { resolve, reject, deadline: setTimeout(() => c.end(`no login within ${timeoutMs} ms`), timeoutMs) };
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => c.receive(chunk));
      socket.on('error', (error) => c.end(error.message));
      socket.on('close', () => c.end('the connection closed'));
      socket.connect(port, host, () => c.send({ type: 'Hello', protocolVersion: PROTOCOL_VERSION }));
    });
  }

  send(m: ClientMessage): void {
    this.sendAll([m]);
  }

  /** Several messages in one socket write. */
  sendAll(messages: readonly ClientMessage[]): void {
    if (this.ended || messages.length === 0) return;
    this.lastSentMs = Date.now();
    for (const m of messages) this.writer.write(m);
    // One buffer for the batch, the socket's to keep: no frame of its own per message.
    this.socket.write(this.writer.take());
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.socket.destroy();
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return this.events.closed(reason, this.redirect);
    clearTimeout(pending.deadline);
    pending.reject(Object.assign(new Error(reason), { redirect: this.redirect }));
  }

  private receive(chunk: Buffer): void {
    this.lastReceivedMs = Date.now();
    this.reader.push(chunk);
    // Bounded by the chunk: each frame consumes some of its bytes.
    for (let frame = this.reader.next(); frame !== undefined && !this.ended; frame = this.reader.next()) {
      if (!(frame instanceof Uint8Array)) return this.end(`bad frame from the server: ${frame.message}`);
      const decoded = decodeServerFrame(frame);
      if (!decoded.ok) return this.end(`bad message from the server: ${decoded.error.message}`);
      this.handle(decoded.value);
    }
  }

  private handle(m: ServerMessage): void {
    switch (m.type) {
      case 'Challenge':
        this.heartbeatMs = m.heartbeatIntervalMs;
        this.maxInFlight = m.maxInFlight;
        return this.send({ type: 'Login', keyId: this.credentials.keyId, signature: sign(this.credentials.secret, m.nonce, this.credentials.keyId) });
      case 'LoginAccepted': {
        this.account = m.account;
        this.timer = setInterval(() => this.beat(), Math.max(10, Math.floor(this.heartbeatMs / 2)));
        this.timer.unref();
        const pending = this.pending;
        this.pending = undefined;
        if (pending !== undefined) {
          clearTimeout(pending.deadline);
          pending.resolve(this);
        }
        return;
      }
      case 'Redirect':
        this.redirect = { leaderId: m.leaderId, host: m.host, port: m.port };
        return;
      case 'Heartbeat':
        return;
      case 'Error':
        if (this.pending !== undefined) return this.end(`refused: ${m.message}`);
        return this.events.message(m);
      default:
        return this.events.message(m);
    }
  }

  private beat(): void {
    const now = Date.now();
    if (now - this.lastReceivedMs > 3 * this.heartbeatMs) return this.end('the server went silent');
    if (now - this.lastSentMs >= this.heartbeatMs) this.send({ type: 'Heartbeat' });
  }
}
