/**
 * One client's TCP connection: its bytes go through a FrameReader into its Session, and the
 * Session's actions are carried out — commands sent to the node, the close — and its frames
 * taken for the turn's one write. The answers and the account's updates meet in a CommitOrder
 * and are handed to the Session when the gateway flushes the connection, once per event-loop
 * turn.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../../log.ts';
import { type LeaderHint, NodeError } from '../../node/errors.ts';
import type { Done, Node } from '../../node/node.ts';
import type { CommittedEntry } from '../../node/subscribers.ts';
import { outcomeOf } from '../outcome.ts';
import type { View } from '../view/view.ts';
import type { AccountUpdate } from '../view/updates.ts';
import { newNonce } from './auth.ts';
import { CommitOrder, type ReportSink } from './commit-order.ts';
import { ErrorCode } from './errors.ts';
import { FrameReader } from './frame-reader.ts';
import type { BinaryLimits } from './limits.ts';
import type { ExecutionReport } from './messages.ts';
import type { UnitsOf } from './reports.ts';
import { type AccountCommand, type Action, type LeaderAddress, Session, type Verify } from './session.ts';

/** What a connection needs of its gateway. */
export interface ConnectionHost {
  readonly node: Pick<Node, 'send'>;
  readonly view: View;
  readonly limits: BinaryLimits;
  readonly logger: Logger;
  readonly verify: Verify;
  readonly unitsOf: UnitsOf;
  /** The leader as far as this node knows. */
  leader(): LeaderHint;
  /** A command ended: `committed`, or the code of the error that stopped it (metrics). */
  counted(type: string, result: string): void;
  /** The connection has frames to write or reports to sort out: flush it at the end of this turn. */
  dirty(connection: Connection): void;
  /** Ends the socket (after what was written) and gives the client a while to close its side. */
  end(socket: Socket): void;
}

/** Where a Redirect points: the leader's order-entry address, if known. */
function redirectTo(hint: LeaderHint): LeaderAddress {
  return { leaderId: hint.leaderId, host: hint.host ?? '', port: hint.binaryPort ?? 0 };
}

export class Connection {
  private readonly session: Session;
  private readonly reader: FrameReader;
  private readonly order = new CommitOrder();
  private unlisten: (() => void) | undefined;
  /** Where to send the client once the answers that arrived are out; set when the node does not lead. */
  private redirect: LeaderAddress | undefined;
  /** The session closed or the socket is gone: nothing more is read, submitted or queued. */
  private ended = false;
  private socketEnded = false;
  /** Shutting down: no new frames; SHUTTING_DOWN once the requests in flight are answered. */
  private draining = false;
  private flushing = false;
  /** When the chunk being read arrived: its commands' arrival, for their commit latency. */
  private receivedMs = 0;
  private readonly sink: ReportSink = {
    answer: (request, reports, count) => this.perform(this.session.onCommandDone(request, reports, count)),
    unsolicited: (report: ExecutionReport) => this.perform(this.session.onUnsolicited(report)),
  };

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    nowMs: number,
  ) {
    const { heartbeatIntervalMs, maxInFlight, maxFrameBytes } = host.limits;
    this.session = new Session({ nonce: newNonce(), nowMs, verify: host.verify, heartbeatIntervalMs, maxInFlight, maxFrameBytes });
    this.reader = new FrameReader(maxFrameBytes);
  }

  /** Bytes from the client. */
  receive(chunk: Uint8Array, nowMs: number): void {
    if (this.ended || this.draining) return;
    this.receivedMs = nowMs;
    // The session stamps frames with its clock: bring it to now rather than the last tick.
    this.perform(this.session.onTick(nowMs));
    this.reader.push(chunk);
    // Bounded by the chunk: each frame consumes bytes of it; an error ends the session.
    for (let frame = this.reader.next(); frame !== undefined && !this.ended; frame = this.reader.next()) {
      if (frame instanceof Uint8Array) {
        this.perform(this.session.onFrame(frame));
        this.listenOnceLoggedIn();
      } else {
        this.perform(this.session.onFrameError(frame));
      }
    }
  }

  /** The shared timer: heartbeats and the silence timeout; answers waiting for a lagging view are retried. */
  tick(nowMs: number): void {
    if (this.ended) return;
    this.perform(this.session.onTick(nowMs));
    if (this.order.waiting) this.host.dirty(this);
  }

  /** This node does not lead: the client is sent to the leader. */
  redirectNow(hint: LeaderHint): void {
    if (!this.ended) this.perform(this.session.onNotLeader(redirectTo(hint)));
  }

  /** Shutting down: frames are no longer read; the session ends once its requests in flight are answered. */
  drain(): void {
    this.draining = true;
    this.host.dirty(this);
  }

  /** Ends the session with an Error (shutdown deadline, server failure). */
  terminate(code: ErrorCode, message: string): void {
    if (!this.ended) this.perform(this.session.terminate(code, message));
  }

  /** The socket closed (either side): the requests in flight still run; their answers go nowhere. */
  closed(): void {
    this.ended = true;
    this.socketEnded = true;
    this.stopListening();
  }

  /** The end of the turn: reports handed out in commit order, a pending redirect or shutdown, one write. */
  flush(): void {
    this.flushing = true;
    try {
      if (!this.ended) this.settle();
    } catch (error) {
      this.host.logger.error({ error: String(error) }, 'gateway: binary connection failed');
      this.terminate(ErrorCode.INTERNAL, 'the server failed');
    } finally {
      this.flushing = false;
    }
    this.write();
    if (this.ended && !this.socketEnded) {
      this.socketEnded = true;
      this.stopListening();
      this.host.end(this.socket);
    }
  }

  private settle(): void {
    this.order.drain(this.host.view.lastIndex, this.host.unitsOf, this.sink);
    if (this.redirect !== undefined) this.perform(this.session.onNotLeader(this.redirect));
    else if (this.draining && this.session.requestsInFlight === 0) {
      this.perform(this.session.terminate(ErrorCode.SHUTTING_DOWN, 'the server is shutting down'));
    }
  }

  private write(): void {
    const bytes = this.session.takeFrames();
    if (bytes === undefined || this.socketEnded) return;
    // What earlier turns wrote and the network has not taken: past the bound, the client reads
    // too slowly and it would only pile up. It gets no Error (it would not read it). A turn's
    // own frames are bounded apart (answers in flight, one turn's entries).
    const queued = this.socket.writableLength;
    if (queued > this.host.limits.maxQueuedBytes) {
      this.host.logger.warn({ account: this.session.account, queued }, 'gateway: binary client reads too slowly; disconnected');
      this.ended = true;
      this.socketEnded = true;
      this.stopListening();
      this.socket.destroy();
      return;
    }
    this.socket.write(bytes);
  }

  private perform(actions: readonly Action[]): void {
    // Bounded by the session's actions of one call. Indexed: the iterator of a for-of here was
    // not optimized away, and its objects came to some 170 bytes per order on a leader.
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      if (a.type === 'submit') this.submit(a.command);
      else this.ended = true;
    }
    if ((actions.length > 0 || this.session.framesPending) && !this.flushing) this.host.dirty(this);
  }

  /** Once logged in, the account's updates from the view: the reports' source. */
  private listenOnceLoggedIn(): void {
    const account = this.session.account;
    if (account === 0 || this.unlisten !== undefined || this.ended) return;
    try {
      // Balances make no report: the session takes none.
      this.unlisten = this.host.view.onAccount(account, (update: AccountUpdate) => {
        this.order.onUpdate(update);
        this.host.dirty(this);
      }, false);
    } catch (error) {
      // The view's listeners are full: without them the connection could answer nothing.
      this.host.logger.error({ error: String(error) }, 'gateway: no room for a binary session');
      this.terminate(ErrorCode.INTERNAL, 'the server has no room for another session');
    }
  }

  private stopListening(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  /** How every command of the connection ends (one callback for all: no closure per command). */
  private readonly done: Done = (error, entry, command) => {
    // Called from inside the node's commit step: a failure here must not reach it.
    try {
      if (error === undefined) this.answered(command as AccountCommand, entry as CommittedEntry);
      else this.failed(command as AccountCommand, error);
    } catch (failure) {
      this.host.logger.error({ error: String(failure) }, 'gateway: binary answer failed');
      this.terminate(ErrorCode.INTERNAL, 'the server failed');
    }
  };

  private submit(command: AccountCommand): void {
    const refused = this.host.node.send(command, this.done, this.receivedMs);
    // Refused at once: answered like a later failure, once this call's actions are carried out.
    if (refused !== undefined) queueMicrotask(() => this.failed(command, refused));
  }

  private answered(command: AccountCommand, entry: CommittedEntry): void {
    this.host.counted(command.type, 'committed');
    if (this.ended) return;
    this.order.onAnswer({
      request: command.request, entryIndex: entry.index, timestampUs: entry.timestampUs,
      outcome: outcomeOf(entry, command.account, command.request), cancelAll: command.type === 'CancelAll',
    });
    this.host.dirty(this);
  }

  private failed(command: AccountCommand, error: unknown): void {
    const code = error instanceof NodeError ? error.code : 'FAILED';
    this.host.counted(command.type, code);
    if (this.ended) return;
    const request = command.request;
    const message = error instanceof Error ? error.message : String(error);
    switch (code) {
      case 'OVERLOADED':
        return this.perform(this.session.onCommandFailed(request, ErrorCode.OVERLOADED, message));
      case 'LEADERSHIP_LOST':
        // Its outcome is unknown: the client resends it, with its id, to the leader.
        this.perform(this.session.onCommandFailed(request, ErrorCode.LEADERSHIP_LOST, message));
        this.redirect ??= redirectTo(this.host.leader());
        return;
      case 'NOT_LEADER':
        this.redirect ??= redirectTo((error as NodeError).leader ?? this.host.leader());
        return this.host.dirty(this);
      case 'CLOSED':
        return this.terminate(ErrorCode.SHUTTING_DOWN, 'the server is shutting down');
      default:
        this.host.logger.error({ error: message }, 'gateway: a binary request failed');
        return this.terminate(ErrorCode.INTERNAL, 'the server failed');
    }
  }
}
