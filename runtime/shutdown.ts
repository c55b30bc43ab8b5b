/**
 * Signal handling for the whole process. The first SIGINT or SIGTERM aborts the root
 * controller (every task then drains and the database closes) and arms a hard-exit timer: if
 * the program has not finished within `deadlineMs`, it exits with code 1. A second signal
 * exits at once with 130 (SIGINT) or 143 (SIGTERM), the shell's 128 + signal number — unless
 * it arrives within `echoMs` (default 1 s) of the first: one Ctrl-C under `deno task` reaches
 * the program twice (from the terminal and forwarded by the task runner), and that must not
 * skip the flush.
 *
 * @example
 * ```ts
 * import { installShutdown } from "./shutdown.ts";
 * const root = new AbortController();
 * const dispose = installShutdown({ controller: root, log, deadlineMs: 20_000 });
 * try { await runEverything(root.signal); } finally { dispose(); }
 * ```
 */
import type { Logger } from "./log.ts";

/** Exit code when the graceful shutdown overruns its deadline. */
export const EXIT_DEADLINE_EXCEEDED = 1;
/** Exit codes for a second signal: 128 + the signal number. */
export const EXIT_SECOND_SIGNAL: Readonly<Record<ShutdownSignal, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
};

export type ShutdownSignal = "SIGINT" | "SIGTERM";

export interface ShutdownOptions {
  /** The root controller; aborted with a `ShutdownRequested` reason on the first signal. */
  readonly controller: AbortController;
  readonly log: Logger;
  /** Time from the first signal to the forced exit (code 1). */
  readonly deadlineMs: number;
  /** A repeat within this many ms of the first signal is the same request (default 1000). */
  readonly echoMs?: number;
  /** Clock for `echoMs`; default `Date.now`. */
  readonly now?: () => number;
  /** Default `Deno.exit`. */
  readonly exit?: (code: number) => void;
  /** Subscribes to an OS signal and returns the unsubscriber; default Deno.addSignalListener. */
  readonly addSignalListener?: (signal: ShutdownSignal, handler: () => void) => () => void;
}

/** The abort reason of the root signal after SIGINT/SIGTERM. */
export class ShutdownRequested extends Error {
  readonly signal: ShutdownSignal;
  constructor(signal: ShutdownSignal) {
    super(`Shutdown requested by ${signal}`);
    this.name = "ShutdownRequested";
    this.signal = signal;
  }
}

/**
 * Installs SIGINT/SIGTERM handlers; returns a disposer that removes them and disarms the
 * hard-exit timer (call it once the program has shut down cleanly).
 */
export function installShutdown(options: ShutdownOptions): () => void {
  const { controller, log, deadlineMs } = options;
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const listen = options.addSignalListener ?? addDenoSignalListener;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const now = options.now ?? Date.now;
  const echoMs = options.echoMs ?? 1000;
  let received: ShutdownSignal | undefined;
  let receivedAt = 0;

  const onSignal = (signal: ShutdownSignal) => {
    if (received !== undefined && now() - receivedAt < echoMs) {
      log.info("shutdown_signal_repeated", { signal, first: received });
      return;
    }
    if (received !== undefined) {
      log.warn("shutdown_forced", {
        signal,
        first: received,
        exitCode: EXIT_SECOND_SIGNAL[signal],
      });
      exit(EXIT_SECOND_SIGNAL[signal]);
      return;
    }
    received = signal;
    receivedAt = now();
    log.info("shutdown_started", { signal, deadlineMs });
    timer = setTimeout(() => {
      log.error("shutdown_deadline_exceeded", { signal, deadlineMs });
      exit(EXIT_DEADLINE_EXCEEDED);
    }, deadlineMs);
    if (!controller.signal.aborted) controller.abort(new ShutdownRequested(signal));
  };

  const removers = (["SIGINT", "SIGTERM"] as const).map((signal) =>
    listen(signal, () => onSignal(signal))
  );
  return () => {
    clearTimeout(timer);
    for (const remove of removers) remove();
  };
}

function addDenoSignalListener(signal: ShutdownSignal, handler: () => void): () => void {
  if (Deno.build.os === "windows" && signal === "SIGTERM") return () => {};
  Deno.addSignalListener(signal, handler);
  return () => Deno.removeSignalListener(signal, handler);
}
