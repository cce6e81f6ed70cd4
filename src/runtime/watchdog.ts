// The CPU watchdog. isolated-vm's own timeout only covers a call's first turn, not code
// that runs after an `await`; so while any isolate runs a task, the main thread polls
// that isolate's CPU clock every POLL_MS and terminates it once the task's owner has used
// more CPU than its limit. A runaway loop is stopped within the limit plus a poll or two.

export const POLL_MS = 2;

export interface Watched {
  /** CPU (ns) used so far by the running task's owner, including this task. */
  ownerCpuNs(): bigint;
  ownerLimitNs(): bigint;
  terminate(reason: 'exceededCpu'): void;
}

const watched = new Set<Watched>();
let timer: NodeJS.Timeout | null = null;

function poll(): void {
  for (const w of watched) {
    if (w.ownerCpuNs() > w.ownerLimitNs()) {
      watched.delete(w);
      w.terminate('exceededCpu');
    }
  }
  if (watched.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

export function watch(w: Watched): void {
  watched.add(w);
  if (!timer) {
    timer = setInterval(poll, POLL_MS);
    timer.unref();
  }
}

export function unwatch(w: Watched): void {
  watched.delete(w);
}
