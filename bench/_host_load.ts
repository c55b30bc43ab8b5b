/**
 * How busy the host was around and during a benchmark, so that a low ratio can be told apart
 * from a slower program (issue 26: the writer bench measured 1.28× on a quiet host and 0.68× on
 * a busy one, with nothing to say which was which).
 *
 * Three readings, all from Linux's own counters (no figure where /proc is missing):
 * - **quiet windows** before and after the run: for one second the benchmark does nothing, and
 *   the share of the host's CPU time spent busy then is other processes' load (plus steal, CPU
 *   time the hypervisor gave to other guests), with the 1-minute load average;
 * - **a CPU probe**: a fixed loop of integer work timed several times in each quiet window,
 *   beside this process's CPU time over the same run: the share of a run spent waiting for a
 *   core is contention that the counters may average away. Its slowest run over its fastest is
 *   printed too, but does not make the verdict: after a run it is mostly this process's own
 *   garbage collector working on the probe's thread (up to 1.4× here with nothing else running,
 *   the process's CPU time equal to the wall time);
 * - **during the run**: the host's busy share and how much of it was this process (the rest is
 *   the database server, psql and anything else on the machine).
 *
 * @example
 * ```ts ignore
 * import { watchHostLoad } from "./_host_load.ts";
 * const watch = await watchHostLoad();
 * await runTheBench();
 * lines.push(...(await watch.stop()));
 * ```
 */
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

/** Other load (share of all cores, in a quiet window) from which the host counts as busy. */
const BUSY_SHARE = 0.25;
/** Share of a probe run spent waiting for a core from which the host counts as contended. */
const BUSY_WAIT = 0.2;
const QUIET_MS = 1_000;
const PROBE_RUNS = 5;

/** Totals of the host's CPU counters (all cores), in ticks. */
interface CpuTimes {
  readonly busy: number;
  readonly steal: number;
  readonly total: number;
}

/** A quiet window: what the host did while the benchmark did nothing. */
interface Quiet {
  readonly busyShare: number;
  readonly stealShare: number;
  readonly loadAverage: string;
  readonly probeMs: readonly number[];
  /** Per probe run: the share of its wall time this process used no CPU (waited for a core). */
  readonly probeWait: readonly number[];
}

/** A started watch; `stop()` ends it and returns the lines to print. */
export interface HostLoadWatch {
  stop(): Promise<string[]>;
}

/** The host's CPU counters, or null where /proc/stat cannot be read. */
export async function readCpuTimes(): Promise<CpuTimes | null> {
  const text = await Deno.readTextFile("/proc/stat").catch(() => null);
  const line = text?.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) return null;
  // user nice system idle iowait irq softirq steal (guest times are inside user/nice)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy, steal: steal ?? 0, total: busy + idle! + iowait! + (steal ?? 0) };
}

/** CPU ticks (user + system) this process has used, or null without /proc. */
export async function ownCpuTicks(): Promise<number | null> {
  const text = await Deno.readTextFile("/proc/self/stat").catch(() => null);
  if (text === null) return null;
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
}

/** Milliseconds of a fixed loop of integer work (~80-100 ms on a core of this machine). */
export function cpuProbe(): number {
  const t = performance.now();
  let x = 1;
  for (let i = 0; i < 3_000_000; i++) x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
  if (x < 0) throw new Error("unreachable: the probe's state is never negative");
  return performance.now() - t;
}

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ") || "n/a";
}

function share(part: number, whole: number): number {
  return whole <= 0 ? 0 : part / whole;
}

async function quietWindow(): Promise<Quiet | null> {
  const a = await readCpuTimes();
  await sleep(QUIET_MS);
  const b = await readCpuTimes();
  if (a === null || b === null) return null;
  const probeMs: number[] = [];
  const probeWait: number[] = [];
  for (let i = 0; i < PROBE_RUNS; i++) {
    const cpu = process.cpuUsage();
    const ms = cpuProbe();
    const used = process.cpuUsage(cpu);
    probeMs.push(ms);
    probeWait.push(Math.max(0, 1 - (used.user + used.system) / 1000 / ms));
  }
  return {
    busyShare: share(b.busy - a.busy, b.total - a.total),
    stealShare: share(b.steal - a.steal, b.total - a.total),
    loadAverage: await loadAverage(),
    probeMs,
    probeWait,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

function quietLine(label: string, q: Quiet, fastest: number): string {
  const slowest = Math.max(...q.probeMs);
  return `host ${label}: ${pct(q.busyShare)} of ${navigator.hardwareConcurrency} cores busy ` +
    `with the bench idle (steal ${pct(q.stealShare)}), load average ${q.loadAverage}; ` +
    `CPU probe ${Math.min(...q.probeMs).toFixed(0)}-${slowest.toFixed(0)} ms ` +
    `(slowest ${(slowest / fastest).toFixed(2)}× the fastest of the run; at most ` +
    `${pct(Math.max(...q.probeWait))} of a run waiting for a core)`;
}

/** Busy or quiet, by the thresholds above, and why. */
function verdictLine(windows: readonly Quiet[]): string {
  const other = Math.max(...windows.map((q) => q.busyShare + q.stealShare));
  const wait = Math.max(...windows.flatMap((q) => q.probeWait));
  const busy = other >= BUSY_SHARE || wait >= BUSY_WAIT;
  return busy
    ? `host verdict: BUSY (other load up to ${pct(other)} of the cores, the probe waiting for a ` +
      `core up to ${pct(wait)} of a run): ratios from this run understate the program, compare ` +
      `with a quiet run`
    : `host verdict: quiet (other load at most ${pct(other)}, the probe waiting for a core at ` +
      `most ${pct(wait)} of a run)`;
}

/**
 * Starts watching: a quiet window now, the counters through the run, a quiet window at
 * `stop()`. Where /proc is missing the lines say so instead of giving figures.
 */
export async function watchHostLoad(): Promise<HostLoadWatch> {
  const before = await quietWindow();
  const runStart = await readCpuTimes();
  const ownStart = await ownCpuTicks();
  return {
    async stop() {
      const runEnd = await readCpuTimes();
      const ownEnd = await ownCpuTicks();
      const after = await quietWindow();
      if (before === null || after === null || runStart === null || runEnd === null) {
        return ["host load: not measured (no /proc/stat)"];
      }
      const total = runEnd.total - runStart.total;
      const busy = share(runEnd.busy - runStart.busy, total);
      const own = ownStart === null || ownEnd === null ? null : share(ownEnd - ownStart, total); // both in USER_HZ ticks
      const fastest = Math.min(...before.probeMs, ...after.probeMs);
      return [
        quietLine("before", before, fastest),
        `host during the run: ${pct(busy)} of all cores busy (steal ` +
        `${pct(share(runEnd.steal - runStart.steal, total))})` +
        (own === null ? "" : `, this process ${pct(own)}, the rest (server, psql, others) ` +
          `${pct(Math.max(0, busy - own))}`),
        quietLine("after", after, fastest),
        verdictLine([before, after]),
      ];
    },
  };
}
