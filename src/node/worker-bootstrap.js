// Worker threads do not inherit the TypeScript loader: register it, then run the worker's module.
// A background worker (`lowPriority`) first lowers its thread's CPU priority, so that even its
// start-up (compiling its modules) takes only the CPU the node leaves.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

/**
 * This thread alone (on Linux a thread's id names it): SCHED_IDLE where `chrt` can set it, else
 * the lowest nice; elsewhere nothing changes. At nice 19 a building worker was still seen taking
 * a quarter to two thirds of a core while the nodes' own threads waited for one; an idle-class
 * thread gives way to any other at once.
 */
function lowerThreadPriority() {
  let tid;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return;
  }
  if (!Number.isSafeInteger(tid) || tid <= 0 || tid === process.pid) return;
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    setPriority(tid, constants.priority.PRIORITY_LOW);
  }
}

if (workerData.lowPriority === true) lowerThreadPriority();
register();
await import(workerData.entry);
