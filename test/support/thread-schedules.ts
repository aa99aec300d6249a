/** How each thread of a process is scheduled (Linux), read from /proc. */
import { readFileSync, readdirSync } from 'node:fs';

export interface Schedule {
  /** The scheduling policy: 0 normal, 3 SCHED_BATCH, 5 SCHED_IDLE. */
  policy: number;
  nice: number;
}

/** Each thread of process `pid` (this one by default): id -> how it is scheduled. */
export function threadSchedules(pid: number | 'self' = 'self'): Map<string, Schedule> {
  return new Map(readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 0, nice field 16, policy field 38.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [tid, { policy: Number(fields[38]), nice: Number(fields[16]) }];
  }));
}
