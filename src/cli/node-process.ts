/**
 * How a node process is started: by `bourse start` and by the test and bench clusters, so that
 * what is measured is what runs.
 */
import { execFileSync } from 'node:child_process';

/** The `bourse` command's script. */
export const BIN = new URL('../../bin/bourse.js', import.meta.url).pathname;

/**
 * V8 flags of a node process; bin/bourse.js carries the same in its first line, for a node
 * started as `bourse node`.
 * - No parallel or concurrent collection work (the scavenges, the marking, the compaction): a
 *   node is one single-threaded core, and its collections stay on that thread. V8's helper
 *   threads would otherwise run at once on every core, taking them from the other processes on
 *   the machine (the replicas, the gateways' clients) exactly when those wait to be scheduled:
 *   the latency tail grew. Sweeping stays concurrent: it is one background job, and with it on
 *   the main thread (`--single-threaded-gc`, which these flags were) each scavenge also freed
 *   the dead ArrayBuffers (a third of a leader's scavenge) and each full collection swept the
 *   old generation in its pause. At 52 k orders/s, mean pauses in four alternating runs: leader
 *   scavenges 2.3-2.4 -> 1.4-2.1 ms, followers' 4.0-6.0 -> 2.2-2.9 ms; full collections' last
 *   pause 7-11 -> 4-6 ms. (Other subsets of these flags crash V8 11: keep them together.)
 * - `--heap-growing-percent=300`: the old generation may grow to 4× what survived the last full
 *   collection before the next. V8's own choice for a heap of tens of MB left so little room that
 *   a node ran a full collection every half second though almost nothing in it had died.
 */
export const NODE_V8_FLAGS: readonly string[] = [
  '--no-parallel-scavenge', '--no-parallel-marking', '--no-parallel-compaction', '--no-parallel-pointer-update',
  '--no-concurrent-marking', '--no-cppheap-concurrent-marking', '--heap-growing-percent=300',
];

/** The node binary's arguments that start a node process with the configuration file `config`. */
export function nodeProcessArgs(config: string): string[] {
  return [...NODE_V8_FLAGS, BIN, 'node', '--config', config];
}

/**
 * Puts every thread of this process in the batch scheduling class (SCHED_BATCH; a thread made
 * later inherits its maker's class), where `chrt` can. A batch thread that wakes does not
 * preempt the one running: where the nodes and their clients share cores, a node that sends to
 * its replicas and clients finishes its turn before they run, rather than being preempted at
 * each send, and each of them then reads more at once. Returns why it could not, if it could not.
 */
export function useBatchScheduling(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    execFileSync('chrt', ['--batch', '--all-tasks', '--pid', '0', String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
