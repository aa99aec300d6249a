/**
 * The worker thread that builds snapshots (see snapshot-builder.ts): one job per message. A
 * build replays up to a snapshot interval of entries, seconds of CPU: the node starts this
 * worker in the idle scheduling class (worker-bootstrap.js).
 */
import { parentPort } from 'node:worker_threads';
import { type BuildJob, buildSnapshot } from './snapshot-builder.ts';

const port = parentPort;
if (port === null) throw new Error('snapshot-worker must run in a worker thread');
port.on('message', (job: BuildJob) => {
  buildSnapshot(job).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: Error) => port.postMessage({ ok: false, error: error.message }),
  );
});
