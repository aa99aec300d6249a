/**
 * A strict client of the binary protocol over a real socket, for the tests (not a test file
 * itself): what it sends is encoded by the codec, what it receives must be whole, valid frames;
 * messages queue up for the test to take one at a time.
 */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { sign } from '../../../src/gateway/binary/auth.ts';
import { decodeServerFrame } from '../../../src/gateway/binary/decode.ts';
import { encodeFrame } from '../../../src/gateway/binary/encode.ts';
import { errorName } from '../../../src/gateway/binary/errors.ts';
import { FrameReader } from '../../../src/gateway/binary/frame-reader.ts';
import {
  type ClientMessage,
  type ExecutionReport,
  LARGEST_MESSAGE_BYTES,
  type MessageOf,
  PROTOCOL_VERSION,
  type ServerMessage,
} from '../../../src/gateway/binary/messages.ts';
import { expectOk } from './support.ts';

export type PlaceOrder = MessageOf<'PlaceOrder'>;

export class TestClient {
  private readonly reader = new FrameReader(LARGEST_MESSAGE_BYTES);
  private readonly received: ServerMessage[] = [];
  private wake: (() => void) | undefined;
  private endedNow = false;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // A reset after the server closed is how some closes look: 'close' follows.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.endedNow = true;
      this.wake?.();
      resolve();
    }));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve(new TestClient(socket));
      });
    });
  }

  /** Connects, says Hello, answers the Challenge with a signed Login; the account logged in as. */
  static async login(port: number, keyId: number, secretHex: string): Promise<{ client: TestClient; account: number }> {
    const client = await TestClient.connect(port);
    const accepted = await client.signIn(keyId, Buffer.from(secretHex, 'hex'));
    assert.equal(accepted.type, 'LoginAccepted', JSON.stringify(accepted));
    return { client, account: accepted.type === 'LoginAccepted' ? accepted.account : 0 };
  }

  /** Hello, the Challenge, a Login signed with `secret`: what the server answered the Login with. */
  async signIn(keyId: number, secret: Uint8Array): Promise<ServerMessage> {
    this.send({ type: 'Hello', protocolVersion: PROTOCOL_VERSION });
    const challenge = await this.expect('Challenge');
    this.send({ type: 'Login', keyId, signature: sign(secret, challenge.nonce, keyId) });
    return this.next();
  }

  get ended(): boolean {
    return this.endedNow;
  }

  /** Messages, or raw bytes, in one socket write. */
  send(...messages: (ClientMessage | Uint8Array)[]): void {
    const frames = messages.map((m) => (m instanceof Uint8Array ? m : encodeFrame(m)));
    this.socket.write(Buffer.concat(frames));
  }

  /** The next message (Heartbeats skipped unless asked for); fails after `timeoutMs` or if the connection closes first. */
  async next(timeoutMs = 5_000, heartbeats = false): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.shift();
      if (m !== undefined) {
        if (m.type === 'Heartbeat' && !heartbeats) continue;
        return m;
      }
      if (this.endedNow) assert.fail('the connection closed while a message was expected');
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** The next message, which must be of this type. */
  async expect<T extends ServerMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<ServerMessage, { type: T }>> {
    const m = await this.next(timeoutMs);
    assert.equal(m.type, type, `expected ${type}, got ${show(m)}`);
    return m as Extract<ServerMessage, { type: T }>;
  }

  /** The next message, an Error with this code (and request); the message text is returned. */
  async expectError(code: number, request = 0): Promise<string> {
    const m = await this.expect('Error');
    assert.equal(m.code, code, `expected ${errorName(code)}, got ${show(m)}`);
    assert.equal(m.request, request, show(m));
    return m.message;
  }

  /** The answer to `request`: reports up to the one marked last, none of another request among them. */
  async answer(request: number): Promise<ExecutionReport[]> {
    const reports: ExecutionReport[] = [];
    for (;;) {
      const r = await this.expect('ExecutionReport');
      assert.equal(r.request, request, `a report of request ${request} expected: ${show(r)}`);
      reports.push(r);
      if (r.last === 1) return reports;
    }
  }

  /** Resolves once the server has closed the connection, with what it sent meanwhile (Heartbeats aside). */
  async closedBy(timeoutMs = 5_000): Promise<ServerMessage[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    return this.received.splice(0).filter((m) => m.type !== 'Heartbeat');
  }

  /** Messages received and not taken yet (Heartbeats aside). */
  pending(): ServerMessage[] {
    return this.received.filter((m) => m.type !== 'Heartbeat');
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.reader.push(chunk);
    for (let frame = this.reader.next(); frame !== undefined; frame = this.reader.next()) {
      assert.ok(frame instanceof Uint8Array, `the server sends well-framed frames: ${JSON.stringify(frame)}`);
      // The reader's frames are views it reuses: the message keeps a copy (a nonce is a view of its frame).
      this.received.push(expectOk(decodeServerFrame(frame.slice()), 'a server frame'));
    }
    this.wake?.();
  }
}

export function show(m: ServerMessage): string {
  return m.type === 'Error' ? `Error ${errorName(m.code)} (request ${m.request}): ${m.message}` : JSON.stringify(m);
}

/** A PlaceOrder with defaults (a GTC limit buy of product 1, stp CancelNewest). */
export function place(request: number, fields: Partial<PlaceOrder> = {}): PlaceOrder {
  return {
    type: 'PlaceOrder', request, product: 1, clientOrderId: 0, side: 0, orderType: 1, tif: 1, postOnly: 0, stp: 1,
    price: 0, qty: 0, quoteBudget: 0, stopPrice: 0, ...fields,
  };
}
