import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { silentLogger } from "./log.ts";
import { installShutdown, ShutdownRequested, type ShutdownSignal } from "./shutdown.ts";

/** Signal listeners the test can fire by hand, instead of signalling the test runner. */
function fakeSignals() {
  const handlers = new Map<ShutdownSignal, () => void>();
  return {
    addSignalListener: (signal: ShutdownSignal, handler: () => void) => {
      handlers.set(signal, handler);
      return () => void handlers.delete(signal);
    },
    fire: (signal: ShutdownSignal) => handlers.get(signal)?.(),
    count: () => handlers.size,
  };
}

Deno.test("installShutdown() aborts the root once, and a second signal exits at once with 128 + n", () => {
  const signals = fakeSignals();
  const exits: number[] = [];
  const controller = new AbortController();
  let clock = 0;
  const dispose = installShutdown({
    controller,
    log: silentLogger(),
    deadlineMs: 60_000,
    exit: (code) => void exits.push(code),
    addSignalListener: signals.addSignalListener,
    now: () => clock,
  });
  signals.fire("SIGTERM");
  clock = 2_000;
  assert.ok(controller.signal.aborted);
  assert.ok(controller.signal.reason instanceof ShutdownRequested);
  assert.equal(controller.signal.reason.signal, "SIGTERM");
  assert.deepEqual(exits, []);
  signals.fire("SIGINT");
  assert.deepEqual(exits, [130]);
  signals.fire("SIGTERM");
  assert.deepEqual(exits, [130, 143]);
  dispose();
  assert.equal(signals.count(), 0);
});

Deno.test("installShutdown() treats a repeat within echoMs as the same request (deno task forwards Ctrl-C)", () => {
  const signals = fakeSignals();
  const exits: number[] = [];
  let clock = 0;
  const dispose = installShutdown({
    controller: new AbortController(),
    log: silentLogger(),
    deadlineMs: 60_000,
    exit: (code) => void exits.push(code),
    addSignalListener: signals.addSignalListener,
    now: () => clock,
    echoMs: 1_000,
  });
  signals.fire("SIGINT");
  clock = 15;
  signals.fire("SIGINT");
  assert.deepEqual(exits, [], "the forwarded copy of the same Ctrl-C does not force an exit");
  clock = 1_500;
  signals.fire("SIGINT");
  assert.deepEqual(exits, [130]);
  dispose();
});

Deno.test("installShutdown() exits with 1 when the deadline passes, and not after dispose", async () => {
  const signals = fakeSignals();
  const exits: number[] = [];
  const options = {
    log: silentLogger(),
    deadlineMs: 10,
    exit: (code: number) => void exits.push(code),
    addSignalListener: signals.addSignalListener,
  };
  const late = installShutdown({ ...options, controller: new AbortController() });
  signals.fire("SIGINT");
  await delay(40);
  assert.deepEqual(exits, [1]);
  late();

  const clean = installShutdown({ ...options, controller: new AbortController() });
  signals.fire("SIGINT");
  clean();
  await delay(40);
  assert.deepEqual(exits, [1]);
});
