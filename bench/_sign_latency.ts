/**
 * Order build + EIP-712 sign latency (issue 29; target p99 ≤ 100 µs, NautilusTrader ~44 µs in
 * Rust): `OrderSigner.buildSignedOrder` on N random valid orders (every tick size, type and
 * side, neg-risk or not; `execution/_random_orders.ts`), each timed alone with
 * `performance.now()` after a warm-up. What is timed: the venue's rules, the amounts, the salt,
 * the struct hash, the order hash and the secp256k1 signature; the orders are generated before
 * timing starts. The JSON body (~2 µs) is not included. Beside the wall-clock percentiles, the
 * process's CPU time per order (see `cpuP99Us`) separates the code's cost from the host's load.
 *
 * `backend` picks who computes the ECDSA signature (`execution/signer_backend.ts`): "auto" (the
 * program's default: the system's libsecp256k1 through FFI when it opens, else noble),
 * "native" or "noble". The result names the backend that signed.
 *
 * `precomputeWindow` asks @noble/curves to precompute the base point's multiples with a wider
 * window than its default 8 (`Point.BASE.precompute(w)`, memory ≈ 2^(w−1) × ⌈256/w⌉ points);
 * it changes the process-wide curve cache, so measure it in its own process.
 *
 * @example
 * ```ts
 * import { signLatency } from "./_sign_latency.ts";
 * const { p50Us, p99Us, n, backend } = await signLatency({ backend: "noble" });
 * ```
 */
import process from "node:process";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { randomOrders } from "../execution/_random_orders.ts";
import { OrderSigner } from "../execution/signer.ts";
import type { SignBackendChoice, SignBackendName } from "../execution/signer_backend.ts";
import { SecretKey } from "../keys/age_key.ts";
import { printText } from "../runtime/log.ts";

/** Options of `signLatency`. */
export interface SignLatencyOptions {
  /** Timed orders (default 20,000). */
  readonly n?: number;
  /** Untimed orders first (default 2,000). */
  readonly warmup?: number;
  /** A base-point precomputation window wider than noble's default 8; omitted: the default. */
  readonly precomputeWindow?: number;
  /** Default "auto", as the program signs. */
  readonly backend?: SignBackendChoice;
}

/** Percentiles of one order's build + sign, in µs. */
export interface SignLatency {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly n: number;
  /**
   * The fastest order: close to what the code costs when nothing else runs (on a busy
   * machine the percentiles mostly measure the other processes).
   */
  readonly minUs: number;
  /**
   * CPU time of the process per order (`process.cpuUsage`, whole µs, plus one such call):
   * time the process spent descheduled is not in it, so on a busy host it shows what the
   * code costs where the wall-clock p99 shows what the other processes cost.
   */
  readonly cpuP50Us: number;
  readonly cpuP99Us: number;
  /** Who signed. */
  readonly backend: SignBackendName;
  /** The libsecp256k1 that signed natively, else null. */
  readonly library: string | null;
  /** Why "auto" did not sign natively, else null. */
  readonly fallbackReason: string | null;
}

/** Measures build + sign of `n` random orders, one at a time. */
export async function signLatency(options: SignLatencyOptions = {}): Promise<SignLatency> {
  const n = options.n ?? 20_000;
  const warmup = options.warmup ?? 2_000;
  if (!Number.isInteger(n) || n < 100) throw new RangeError(`n must be ≥ 100, not ${n}`);
  if (options.precomputeWindow !== undefined) {
    secp256k1.Point.BASE.precompute(options.precomputeWindow, false);
  }
  const source = randomOrders(29);
  // A throwaway key, random per run: the bench never touches a real one.
  const signer = new OrderSigner(new SecretKey(source.hex(32)), { backend: options.backend });
  const orders = Array.from({ length: warmup + n }, (_, i) => source.next(`bench-${i}`));
  for (let i = 0; i < warmup; i++) {
    const { request, market, nowMs } = orders[i]!;
    signer.buildSignedOrder(request, market, nowMs);
  }
  // Let the warm-up's garbage and any pending timers settle before timing.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const micros = new Float64Array(n);
  const cpuMicros = new Float64Array(n);
  let hashes = 0;
  for (let i = 0; i < n; i++) {
    const { request, market, nowMs } = orders[warmup + i]!;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const post = signer.buildSignedOrder(request, market, nowMs);
    micros[i] = (performance.now() - start) * 1000;
    const used = process.cpuUsage(cpu);
    cpuMicros[i] = used.user + used.system;
    hashes += post.order.orderHash.length;
  }
  if (hashes !== n * 66) throw new Error("an order hash was not 32 bytes");
  micros.sort();
  cpuMicros.sort();
  return {
    p50Us: quantile(micros, 0.5),
    p99Us: quantile(micros, 0.99),
    n,
    minUs: micros[0]!,
    cpuP50Us: quantile(cpuMicros, 0.5),
    cpuP99Us: quantile(cpuMicros, 0.99),
    backend: signer.backend,
    library: signer.library,
    fallbackReason: signer.fallbackReason,
  };
}

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

if (import.meta.main) {
  const backend = (Deno.args[0] ?? "auto") as SignBackendChoice;
  const window = Deno.args[1] === undefined ? undefined : Number(Deno.args[1]);
  const result = await signLatency({ backend, precomputeWindow: window });
  // Run by hand: `deno run -A bench/_sign_latency.ts [auto|native|noble] [window]`.
  printText("stdout", JSON.stringify({ precomputeWindow: window ?? 8, ...result }));
}
