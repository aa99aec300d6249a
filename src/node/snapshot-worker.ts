/**
 * The worker thread that builds snapshots (see snapshot-builder.ts): one job per message. A
 * build replays up to a snapshot interval of entries, seconds of CPU: it runs at the lowest
 * CPU priority, so that on a busy machine it takes what the node's own event loop leaves.
 */
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { type BuildJob, buildSnapshot } from './snapshot-builder.ts';

const port = parentPort;
if (port === null) throw new Error('snapshot-worker must run in a worker thread');

/**
 * Lowers this thread's priority alone: on Linux a thread's id names it to setpriority. Where
 * that is not so (no /proc/thread-self), the build runs at the node's priority.
 */
function yieldToTheNode(): void {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return;
  }
  if (Number.isSafeInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, constants.priority.PRIORITY_LOW);
}

yieldToTheNode();
port.on('message', (job: BuildJob) => {
  buildSnapshot(job).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: Error) => port.postMessage({ ok: false, error: error.message }),
  );
});
