/**
 * `deno task bench broker` (issue 29): the two broker figures the issue sets targets for.
 *
 * 1. Order build + EIP-712 sign, one order at a time (`_sign_latency.ts`): p50 and p99 in µs
 *    against the target p99 ≤ 100 µs (NautilusTrader publishes ~44 µs in Rust), first with the
 *    backend the program signs with by default (the system's libsecp256k1 through FFI when it
 *    opens, else `@noble/curves`), then with the other one in the same run, and their ratio.
 * 2. Paper matching over a realistic book stream with 1,000 resting orders
 *    (`_paper_matching.ts`): book events per second against the target ≥ 500,000, and beside it
 *    the same events into `L2Books` alone (exact books, no orders) measured in the same run, as
 *    the baseline ratio (these machines are noisy).
 *
 * The machine's load average is printed first: on a busy host both figures move, the ratio less.
 * Last line, plain numbers: `broker: S µs sign p99, F events/s paper matching`.
 *
 * @example
 * ```sh
 * deno task bench broker
 * ```
 */
import { type SignLatency, signLatency } from "./_sign_latency.ts";
import { paperMatchingRate } from "./_paper_matching.ts";
import { printText } from "../runtime/log.ts";

const out = (line: string) => printText("stdout", line);
const load = async () =>
  (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

out(`load average before: ${await load()} (${navigator.hardwareConcurrency} CPUs)`);

const signLine = (s: SignLatency) =>
  `order build + sign (${s.backend}${s.library === null ? "" : `, ${s.library}`}): ` +
  `p50 ${s.p50Us.toFixed(1)} µs, p99 ${s.p99Us.toFixed(1)} µs, fastest ${s.minUs.toFixed(1)} µs ` +
  `over ${s.n} orders (target p99 ≤ 100 µs: ${s.p99Us <= 100 ? "met" : "missed"}); ` +
  `CPU time p50 ${s.cpuP50Us} µs, p99 ${s.cpuP99Us} µs`;
const sign = await signLatency();
out(signLine(sign));
if (sign.backend === "native") {
  const noble = await signLatency({ backend: "noble" });
  out(signLine(noble));
  out(
    `native/noble: p50 ${(sign.p50Us / noble.p50Us).toFixed(2)}×, ` +
      `p99 ${(sign.p99Us / noble.p99Us).toFixed(2)}×, fastest ${
        (sign.minUs / noble.minUs).toFixed(2)
      }×`,
  );
} else {
  out(`native: not measured, ${sign.fallbackReason ?? "libsecp256k1 could not be opened"}`);
}

const paper = await paperMatchingRate();
out(
  `paper matching: ${Math.round(paper.eventsPerSecond)} events/s over ${paper.events} events, ` +
    `${paper.resting} orders resting, ${paper.fills} fills, ` +
    `${(paper.touchedShare * 100).toFixed(0)}% of events on a token with orders ` +
    `(target ≥ 500,000: ${paper.eventsPerSecond >= 500_000 ? "met" : "missed"})`,
);
out(
  `baseline L2Books alone: ${Math.round(paper.baselineEventsPerSecond)} events/s; ` +
    `matcher/baseline ${(paper.eventsPerSecond / paper.baselineEventsPerSecond).toFixed(2)}×`,
);
out(`load average after: ${await load()}`);
out(
  `broker: ${sign.p99Us.toFixed(1)} µs sign p99, ${Math.round(paper.eventsPerSecond)} events/s ` +
    `paper matching`,
);
