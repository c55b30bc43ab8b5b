/**
 * Fault injection and rate limits of the simulator: 5xx/429 bursts, Retry-After, the 425
 * window, malformed elements, abrupt socket close, silent stall, withheld snapshots, and the CLI.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { createLogger } from "../runtime/log.ts";
import { runSimulateCommand } from "../simulator/cli.ts";
import { startSimulator } from "../simulator/server.ts";

async function start(extra: Parameters<typeof startSimulator>[0] = {}) {
  const sim = await startSimulator({
    markets: 200,
    seed: 3,
    tickMs: 60_000,
    lifecycleRate: 0,
    ...extra,
  });
  return Object.assign(sim, { [Symbol.asyncDispose]: () => sim.close() });
}

/** Polls `done` every 10 ms: waits on the event instead of guessing how long it takes. */
async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function status(url: string, init?: RequestInit): Promise<[number, string | null]> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return [res.status, res.headers.get("retry-after")];
}

Deno.test("bursts: 5xx per family, 429 with Retry-After, 425 maintenance window", async () => {
  // The fault windows follow this clock, so a slow machine cannot run out a window early.
  let clock = Date.now();
  await using sim = await start({ now: () => clock });
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  sim.control.failNext(2, { status: 503, family: "gamma" });
  assertEquals((await status(`${sim.url}/book?token_id=${m.tokenIds[0]}`))[0], 200);
  assertEquals((await status(`${sim.url}/markets/keyset`))[0], 503);
  assertEquals((await status(`${sim.url}/markets/keyset`))[0], 503);
  assertEquals((await status(`${sim.url}/markets/keyset`))[0], 200);
  sim.control.rateLimitNext(1, { retryAfterSeconds: 3 });
  assertEquals(await status(`${sim.url}/trades`), [429, "3"]);
  sim.control.maintenance(300);
  assertEquals((await status(`${sim.url}/book?token_id=${m.tokenIds[0]}`))[0], 425);
  assertEquals((await status(`${sim.url}/markets/keyset`))[0], 200);
  clock += 299;
  assertEquals((await status(`${sim.url}/book?token_id=${m.tokenIds[0]}`))[0], 425);
  clock += 1;
  assertEquals((await status(`${sim.url}/book?token_id=${m.tokenIds[0]}`))[0], 200);
  const viaHttp = await fetch(`${sim.url}/__control`, {
    method: "POST",
    body: JSON.stringify({ action: "failNext", count: 1, status: 502, family: "data" }),
  });
  assertEquals((await viaHttp.json()).ok, true);
  assertEquals((await status(`${sim.url}/v2/trades`))[0], 502);
  sim.control.malformed({ pages: 1 });
  const page = await (await fetch(`${sim.url}/markets/keyset?limit=5`)).json();
  ok(page.markets.some((x: { id: unknown }) => x.id === null));
});

Deno.test("rate limits: sliding window budget yields 429 with Retry-After", async () => {
  await using sim = await start({ rateLimits: true });
  const results: Array<[number, string | null]> = [];
  for (let i = 0; i < 105; i++) results.push(await status(`${sim.url}/ok`));
  assertEquals(results.slice(0, 100).every(([s]) => s === 200), true);
  const [code, retry] = results[104];
  assertEquals(code, 429);
  ok(Number(retry) >= 1 && Number(retry) <= 10);
});

Deno.test("sockets: abrupt close, silent stall keeps PONG, withheld snapshot", async () => {
  await using sim = await start();
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const open = async () => {
    const ws = new WebSocket(sim.wsUrl);
    const frames: string[] = [];
    ws.onmessage = (e) => frames.push(String(e.data));
    const closed = new Promise<CloseEvent>((r) => ws.addEventListener("close", (e) => r(e)));
    await new Promise((r) => (ws.onopen = r));
    return { ws, frames, closed };
  };
  sim.control.withholdSnapshots(1);
  const a = await open();
  a.ws.send(JSON.stringify({ assets_ids: [...m.tokenIds], type: "market" }));
  await new Promise((r) => setTimeout(r, 100));
  assertEquals(a.frames, []);
  sim.control.stall(true);
  a.ws.send("PING");
  sim.control.advance(20);
  await until(() => a.frames.length > 0, "the PONG");
  assertEquals(a.frames, ["PONG"]);
  sim.control.stall(false);
  sim.control.advance(20);
  await until(() => a.frames.length > 1, "frames after the stall");
  assertEquals(sim.control.dropSockets(), 1);
  const event = await a.closed;
  assertEquals(event.code, 1011);
});

Deno.test("runSimulateCommand logs its URLs and stops on abort", async () => {
  const lines: string[] = [];
  const log = createLogger({}, { write: (l) => lines.push(l) });
  const controller = new AbortController();
  const running = runSimulateCommand(["--port", "0", "--markets", "50", "--faults", "latency=1"], {
    signal: controller.signal,
    log,
  });
  await until(() => lines.length > 0, "the start line");
  const started = JSON.parse(lines[0]);
  assertEquals(started.event, "simulator_started");
  const res = await fetch(`${started.url}/ok`);
  assertEquals(res.status, 200);
  await res.body?.cancel();
  controller.abort();
  await running;
  assertEquals(JSON.parse(lines.at(-1)!).event, "simulator_stopped");
});
