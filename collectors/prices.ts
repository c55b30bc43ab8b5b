/**
 * The prices collector: on every minute boundary of the injected clock it walks the tracked
 * universe's Gamma keyset pages and writes one snapshot row per token, stamped with the minute,
 * page by page. Cycles never overlap: a minute that arrives while the previous one is still
 * being collected becomes a `gaps` row (cause "overlap"); a minute that fails, or is still
 * unfinished at the end of the following minute, becomes a `gaps` row with its cause.
 *
 * Gamma's `bestBid`/`bestAsk`/`lastTradePrice` describe outcome 0. For outcome 1 of a binary
 * market the quotes are the exact complements (bid₁ = 1 − ask₀, ask₁ = 1 − bid₀); its last
 * trade price stays null because the complement of a trade price is not a trade.
 *
 * @example
 * ```ts ignore
 * import { runPricesCollector } from "./prices.ts";
 * await runPricesCollector(deps, controller.signal); // until the signal aborts
 * ```
 */
import type { CollectorDeps } from "./_deps.ts";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import type { GapRow } from "../db/ops.ts";
import { createCycleRunner, type CycleResult, storeRejects } from "./_cycle.ts";
import { runOnSchedule } from "./_schedule.ts";
import { MARKETS_SOURCE, walkUniverse } from "./_universe.ts";
import { KnownMarketRecord } from "./_known_markets.ts";

const TASK = "prices";

/** Runs the prices collector until `signal` aborts; rethrows `signal.reason`. */
export async function runPricesCollector(deps: CollectorDeps, signal: AbortSignal): Promise<void> {
  const intervalMs = deps.config.collectors.prices.intervalMs;
  const gap = (slot: Date, cause: string, detail: Record<string, unknown> = {}): GapRow => ({
    collector: TASK,
    scope: "*",
    startAt: slot,
    endAt: new Date(slot.getTime() + intervalMs),
    cause,
    detail,
  });
  // Rows already stored by a minute still being walked, for the gap row if it then fails.
  const stored = new Map<number, number>();
  // Each market's rows as of its last stored walk: an unchanged market is not parsed again.
  const known = new KnownMarketRecord<PriceRowTemplate[]>({ fullEvery: FULL_WALK_EVERY });
  const cycles = createCycleRunner(deps, {
    task: TASK,
    onFailure: (slot, cause, error) => [gap(slot, cause, {
      error: error instanceof Error ? error.message : String(error),
      rowsStored: stored.get(slot.getTime()) ?? 0,
    })],
  });
  await runOnSchedule({
    task: TASK,
    intervalMs,
    now: deps.now,
    log: deps.log,
    deadlineMs: 2 * intervalMs,
    cycle: (slot, cycleSignal) =>
      cycles.run(slot, cycleSignal, () => collectMinute(deps, slot, cycleSignal, { stored, known }))
        .finally(
          () => stored.delete(slot.getTime()),
        ),
    onOverlap: async (slot) => {
      await cycles.outbox.write([{ kind: "gaps", rows: [gap(slot, "overlap")] }, {
        kind: "run",
        row: {
          collector: TASK,
          startedAt: slot,
          finishedAt: slot,
          status: "skipped",
          rowsWritten: 0,
          errors: 0,
          rejects: 0,
          detail: { cause: "overlap" },
        },
      }]);
      deps.context?.counter("skipped_cycles_total");
    },
  }, signal);
}

/** A price row without its minute. */
type PriceRowTemplate = Omit<PriceSnapshotRow, "ts">;

/** Walks between two walks that parse every market again (an hour at the default minute). */
const FULL_WALK_EVERY = 60;

async function collectMinute(
  deps: CollectorDeps,
  minute: Date,
  signal: AbortSignal,
  state: {
    readonly stored: Map<number, number>;
    readonly known: KnownMarketRecord<PriceRowTemplate[]>;
  },
): Promise<CycleResult> {
  // Each page is written as soon as it is parsed, so only one page of markets is held in
  // memory (a full-universe walk is ~180 MB of JSON). A walk that fails part-way leaves the
  // pages already written (true snapshots of that minute) and its gap row says how many.
  // A market unchanged since the walk that stored it is written from the rows it gave then.
  const { stored, known } = state;
  known.startWalk();
  let rejects = 0;
  let markets = 0;
  let tokens = 0;
  let written = 0;
  let unchanged = 0;
  for await (const page of walkUniverse(deps, signal, known)) {
    rejects += await storeRejects(deps, MARKETS_SOURCE, page.rejects);
    markets += page.items.length + page.unchanged.length;
    unchanged += page.unchanged.length;
    const rows: PriceSnapshotRow[] = [];
    for (const id of page.unchanged) {
      for (const row of known.get(id) ?? []) rows.push({ ts: minute, ...row });
    }
    const made = page.items.map((m) => {
      const own: PriceSnapshotRow[] = [];
      appendPriceRows(own, m, minute);
      for (const row of own) rows.push(row);
      return own.map(({ ts: _, ...row }) => row);
    });
    tokens += rows.length;
    written += await insertPriceSnapshots(deps.sql, rows);
    stored.set(minute.getTime(), written);
    page.items.forEach((m, i) => {
      const print = page.prints[i];
      if (print !== undefined) known.record(m.id, print, made[i]!);
    });
  }
  signal.throwIfAborted();
  return { rows: written, rejects, errors: 0, detail: { markets, tokens, unchanged } };
}

/**
 * Appends one snapshot row per token of `market` (token i ↔ `outcomePrices[i]`), stamped `ts`.
 *
 * @example
 * ```ts ignore
 * const rows: PriceSnapshotRow[] = [];
 * appendPriceRows(rows, market, new Date("2026-11-25T10:00:00Z"));
 * ```
 */
export function appendPriceRows(
  rows: PriceSnapshotRow[],
  market: GammaMarket,
  ts: Date,
): void {
  const binary = market.clobTokenIds.length === 2;
  market.clobTokenIds.forEach((tokenId, i) => {
    const first = i === 0;
    const second = i === 1 && binary;
    rows.push({
      ts,
      tokenId,
      price: market.outcomePrices[i] ?? null,
      bestBid: first ? market.bestBid : second ? complement(market.bestAsk) : null,
      bestAsk: first ? market.bestAsk : second ? complement(market.bestBid) : null,
      lastTradePrice: first ? market.lastTradePrice : null,
      volume24h: market.volume24hr,
      liquidity: market.liquidity,
    });
  });
}

/** Exact `1 − x` of a canonical decimal in [0, 1]; null for null or out-of-range input. */
export function complement(x: string | null): string | null {
  if (x === null) return null;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(x);
  if (m === null) return null;
  const frac = m[2] ?? "";
  const one = 10n ** BigInt(frac.length);
  const value = one - BigInt(m[1]! + frac);
  if (value < 0n) return null;
  const digits = value.toString().padStart(frac.length + 1, "0");
  const int = digits.slice(0, digits.length - frac.length);
  const rest = digits.slice(digits.length - frac.length).replace(/0+$/, "");
  return rest === "" ? int : `${int}.${rest}`;
}
