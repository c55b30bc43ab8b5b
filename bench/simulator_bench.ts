/**
 * Sustained websocket send rate of the simulator in load mode: one local client subscribes to
 * a few markets and counts the messages (array elements) it receives per second.
 *
 * @example
 * ```ts
 * import { runSimulatorBench } from "./simulator_bench.ts";
 * const lines = await runSimulatorBench();
 * ```
 */
import { createLogger } from "../runtime/log.ts";
import { startSimulator } from "../simulator/server.ts";

const WARMUP_MS = 500;
const MEASURE_MS = 3000;

/** Runs the bench and returns human-readable result lines. */
export async function runSimulatorBench(): Promise<string[]> {
  const sim = await startSimulator({ markets: 2000, seed: 1, tickMs: 60_000, lifecycleRate: 0 });
  const ws = new WebSocket(sim.wsUrl);
  let received = 0;
  let bytes = 0;
  ws.onmessage = (e) => {
    const text = String(e.data);
    bytes += text.length;
    if (text === "PONG") return;
    const value = JSON.parse(text);
    received += Array.isArray(value) ? value.length : 1;
  };
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const tokens = sim.universe.markets.filter((m) => m.status === "open").slice(0, 20)
      .flatMap((m) => [...m.tokenIds]);
    ws.send(JSON.stringify({ assets_ids: tokens, type: "market", custom_feature_enabled: true }));
    const ping = setInterval(() => ws.send("PING"), 5000);
    sim.control.load(true);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const startCount = received;
    const startBytes = bytes;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(ping);
    sim.control.load(false);
    const rate = Math.round((received - startCount) / seconds);
    const mb = ((bytes - startBytes) / seconds / 1e6).toFixed(1);
    return [
      `simulator ws load: ${rate} msgs/s received by one local client (${mb} MB/s), sentTrades=${sim.control.sentTrades()}`,
    ];
  } finally {
    const closed = new Promise((r) => ws.addEventListener("close", r));
    ws.close();
    await closed;
    await sim.close();
  }
}

if (import.meta.main) {
  const log = createLogger({ task: "bench" });
  for (const line of await runSimulatorBench()) log.info("bench_result", { line });
}
