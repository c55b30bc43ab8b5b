/** Abortable sleep that rejects with `signal.reason` (not a generic AbortError). */
import { setTimeout as timeout } from "node:timers/promises";

/** Sleeps `ms`; on abort rejects with `signal.reason`. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  try {
    await timeout(Math.max(0, ms), undefined, { signal });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}
