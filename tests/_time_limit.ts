/**
 * Deno has no per-test timeout: a test that waits forever hangs the whole run. `timeLimit`
 * bounds one test body: past `ms` its signal aborts and the test fails with a clear error (the
 * sanitizers then report whatever it left running); `testWithin(ms)` registers tests so.
 * .ci/run bounds the run as a whole.
 *
 * @example
 * ```ts ignore
 * import { testWithin } from "./_time_limit.ts";
 * const test = testWithin(60_000);
 * test("the daemon stops on SIGTERM", async (signal) => { ... });
 * ```
 */

/** A test body that fails after `ms` instead of waiting forever. */
export function timeLimit(
  ms: number,
  fn: (signal: AbortSignal) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new Error(`the test did not finish within its ${ms} ms limit`);
        reject(err); // first, so a body that settles on the abort cannot mask the timeout
        controller.abort(err);
      }, ms);
    });
    try {
      await Promise.race([fn(controller.signal), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `Deno.test(name, fn)` with every body bounded by `timeLimit(ms, …)`. */
export function testWithin(
  ms: number,
): (name: string, fn: (signal: AbortSignal) => Promise<void>) => void {
  return (name, fn) => Deno.test(name, timeLimit(ms, fn));
}
