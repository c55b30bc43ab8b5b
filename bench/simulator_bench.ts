/**
 * Sustained websocket send rate of the simulator in load mode: one local client subscribes to
 * a few markets and counts the messages (array elements) it receives per second. Baseline, in
 * the same run and with the same client: a bare `Deno.serve` websocket that replays the very
 * frames the simulator sent, back to back (kept under 1 MB buffered), so the ratio is the
 * simulator's own cost over the transport's.
 *
 * @example
 * ```ts ignore
 * import { runSimulatorBench } from "./simulator_bench.ts";
 * const { lines } = await runSimulatorBench();
 * ```
 */
import { setTimeout as sleep } from "node:timers/promises";
import { startSimulator } from "../simulator/server.ts";
import { BENCH_SHORT, finishBench, type TargetCheck } from "./_report.ts";

const WARMUP_MS = 500;
const MEASURE_MS = BENCH_SHORT ? 1000 : 3000;
const RECORDED_FRAMES = 2000;

interface Receiver {
  ws: WebSocket;
  received(): { messages: number; bytes: number };
  frames: string[];
  close(): Promise<void>;
}

async function receive(url: string, onOpen: (ws: WebSocket) => void): Promise<Receiver> {
  const ws = new WebSocket(url);
  let messages = 0;
  let bytes = 0;
  const frames: string[] = [];
  ws.onmessage = (e) => {
    const text = String(e.data);
    bytes += text.length;
    if (text === "PONG") return;
    const value = JSON.parse(text);
    messages += Array.isArray(value) ? value.length : 1;
    if (frames.length < RECORDED_FRAMES) frames.push(text);
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  onOpen(ws);
  return {
    ws,
    frames,
    received: () => ({ messages, bytes }),
    close: async () => {
      const closed = new Promise((r) => ws.addEventListener("close", r));
      ws.close();
      await closed;
    },
  };
}

/** Messages/s and MB/s a receiver gets over MEASURE_MS, after WARMUP_MS. */
async function rate(r: Receiver): Promise<{ perSecond: number; mbPerSecond: number }> {
  await sleep(WARMUP_MS);
  const start = r.received();
  const t0 = performance.now();
  await sleep(MEASURE_MS);
  const seconds = (performance.now() - t0) / 1000;
  const end = r.received();
  return {
    perSecond: (end.messages - start.messages) / seconds,
    mbPerSecond: (end.bytes - start.bytes) / seconds / 1e6,
  };
}

/** A websocket server that sends `frames` in a loop to each client until it closes. */
function bareServer(frames: readonly string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = async () => {
      let i = 0;
      while (socket.readyState === WebSocket.OPEN) {
        while (socket.bufferedAmount < 1_000_000 && socket.readyState === WebSocket.OPEN) {
          socket.send(frames[i++ % frames.length]!);
        }
        await sleep(1);
      }
    };
    socket.onmessage = (e) => {
      if (e.data === "PING") socket.send("PONG");
    };
    return response;
  });
  return { url: `ws://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

/** Runs the bench; returns its figure lines (no target: the issue sets none). */
export async function runSimulatorBench(): Promise<{ lines: string[]; targets: TargetCheck[] }> {
  const sim = await startSimulator({ markets: 2000, seed: 1, tickMs: 60_000, lifecycleRate: 0 });
  let simRate;
  let frames: string[];
  try {
    const tokens = sim.universe.markets.filter((m) => m.status === "open").slice(0, 20)
      .flatMap((m) => [...m.tokenIds]);
    const r = await receive(
      sim.wsUrl,
      (ws) =>
        ws.send(
          JSON.stringify({ assets_ids: tokens, type: "market", custom_feature_enabled: true }),
        ),
    );
    const ping = setInterval(() => r.ws.send("PING"), 5000);
    try {
      sim.control.load(true);
      simRate = await rate(r);
      sim.control.load(false);
    } finally {
      clearInterval(ping);
      await r.close();
    }
    frames = r.frames.filter((f) => f.startsWith("[") || f.startsWith("{"));
  } finally {
    await sim.close();
  }
  if (frames.length === 0) throw new Error("the simulator sent no frames to replay");
  const bare = bareServer(frames);
  let bareRate;
  try {
    const r = await receive(bare.url, () => {});
    try {
      bareRate = await rate(r);
    } finally {
      await r.close();
    }
  } finally {
    await bare.close();
  }
  return {
    lines: [
      `simulator ws load: ${Math.round(simRate.perSecond)} msgs/s received by one local client ` +
      `(${simRate.mbPerSecond.toFixed(1)} MB/s)`,
      `bare websocket replaying the same ${frames.length} frames: ${
        Math.round(bareRate.perSecond)
      } msgs/s (${bareRate.mbPerSecond.toFixed(1)} MB/s)`,
      `ratio simulator/bare ${(simRate.perSecond / bareRate.perSecond).toFixed(2)}`,
    ],
    targets: [],
  };
}

if (import.meta.main) {
  const { lines, targets } = await runSimulatorBench();
  finishBench(lines, targets);
}
