/**
 * Bulk writer benchmark: 1,000,000 price-snapshot rows through the project's writer
 * (`insertPriceSnapshots`) against `psql \copy` of the same rows, in the stored encoding
 * (token keys, millionths; migration 0008), into an identical table, in the same run on the
 * same server; plus the writer into embedded PGlite.
 *
 * Like against like: each comparison gives both sides the same number of COPY streams, once
 * with one stream (the writer with `concurrency: 1`, one psql) and once with
 * `PRICE_WRITE_CONCURRENCY` streams (the writer's default; that many psql processes, each
 * copying its share of the rows). Each round empties both tables, and rounds alternate which
 * side goes first; each side keeps its best round (the host is shared and noisy).
 *
 * The server uses the COPY path (`method: "copy"`); PGlite the default unnest path.
 *
 * The bench also says how busy the host was (bench/_host_load.ts: quiet windows before and
 * after, a CPU probe, the busy share during the run), so that a low ratio on a busy host can be
 * told apart from a slower writer.
 *
 * Run: `deno task bench` (all benchmarks) or `deno run -A bench/writer_bench.ts`.
 */
import {
  insertPriceSnapshots,
  PRICE_WRITE_CONCURRENCY,
  type PriceSnapshotRow,
} from "../db/prices.ts";
import { migrate } from "../db/migrate.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "../tests/_db.ts";
import { silentLogger } from "../runtime/log.ts";
import { atLeast, BENCH_SHORT, finishBench, type TargetCheck } from "./_report.ts";
import { tokenKeys } from "../db/_keys.ts";
import { INT4_MAX, INT8_MAX, microText } from "../db/_micro.ts";
import { watchHostLoad } from "./_host_load.ts";

/** Synthetic rows shaped like a real minute: 77-digit token ids, tick-grid prices. */
export function makeRows(count: number, tokens = 100_000): PriceSnapshotRow[] {
  const base = Date.UTC(2026, 10, 25, 0, 0);
  const rows = new Array<PriceSnapshotRow>(count);
  for (let i = 0; i < count; i++) {
    const token = i % tokens;
    const minute = Math.floor(i / tokens);
    const cents = 1 + ((i * 7919) % 98);
    const price = `0.${String(cents).padStart(2, "0")}`;
    rows[i] = {
      ts: new Date(base + minute * 60_000),
      tokenId: `${71321045679252212594626385532706912750332728571942532289631n + BigInt(token)}`,
      price,
      bestBid: price,
      bestAsk: `0.${String(Math.min(cents + 1, 99)).padStart(2, "0")}`,
      lastTradePrice: price,
      volume24h: `${(i % 100000) + 0.5}`,
      liquidity: `${i % 5000}`,
    };
  }
  return rows;
}

/**
 * The same rows as COPY text of price_snapshot_data, encoded as the writer stores them
 * (token keys, millionths), so that psql and the writer send the same bytes' worth of rows.
 */
function copyText(rows: readonly PriceSnapshotRow[], keys: ReadonlyMap<string, number>): string {
  const lines = new Array<string>(rows.length);
  const m4 = (v: string | null) => (v === null ? "\\N" : microText(v, INT4_MAX) ?? "\\N");
  const m8 = (v: string | null) => (v === null ? "\\N" : microText(v, INT8_MAX) ?? "\\N");
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    lines[i] = `${r.ts.toISOString()}\t${keys.get(r.tokenId)}\t${m4(r.price)}\t` +
      `${m4(r.bestBid)}\t${m4(r.bestAsk)}\t${m4(r.lastTradePrice)}\t${m8(r.volume24h)}\t` +
      `${m8(r.liquidity)}\t\\N`;
  }
  return lines.join("\n") + "\n";
}

/** Splits rows into `parts` contiguous shares of (nearly) equal size. */
function split<T>(rows: readonly T[], parts: number): T[][] {
  const size = Math.ceil(rows.length / parts);
  return Array.from({ length: parts }, (_, i) => rows.slice(i * size, (i + 1) * size));
}

async function psqlCopy(schema: string, text: string): Promise<void> {
  const child = new Deno.Command("psql", {
    args: [
      TEST_DATABASE_URL,
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      `\\copy ${schema}.price_snapshots_copy (ts, token_key, price, best_bid, best_ask, ` +
      `last_trade_price, volume_24h, liquidity, exact) from stdin`,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`psql \\copy failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Target of issue 3: the writer at no less than this share of psql's rate, same streams. */
const RATIO_TARGET = 0.9;

/** Runs the benchmark; returns its figure lines and targets. */
export async function runWriterBench(
  count = BENCH_SHORT ? 200_000 : 1_000_000,
  rounds = BENCH_SHORT ? 2 : 3,
): Promise<{ lines: string[]; targets: TargetCheck[] }> {
  const log = silentLogger();
  const rows = makeRows(count);
  const db = await createTestDatabase("server");
  const schema = db.schema;
  const lines: string[] = [`${count} rows per run; best of ${rounds} alternating rounds each`];
  const targets: TargetCheck[] = [];
  const hostLoad = await watchHostLoad();
  try {
    await migrate(db.sql, { log, timescale: "off" });
    await db.sql`create table price_snapshots_copy (like price_snapshot_data including all)`;
    // A token's key is assigned once in its life; the steady state (every key known, as on
    // every minute after the first) is what is timed, so both sides start with the keys.
    const ids = [...new Set(rows.map((r) => r.tokenId))];
    const keyList = await tokenKeys(db.sql, ids);
    const keys = new Map(ids.map((id, i) => [id, keyList[i]!]));
    for (const streams of [1, PRICE_WRITE_CONCURRENCY]) {
      const texts = split(rows, streams).map((part) => copyText(part, keys));
      const psql = async () => {
        await Promise.all(texts.map((text) => psqlCopy(schema, text)));
      };
      const writer = async () => {
        const inserted = await insertPriceSnapshots(db.sql, rows, {
          method: "copy",
          concurrency: streams,
        });
        if (inserted !== count) throw new Error(`writer inserted ${inserted} of ${count} rows`);
      };
      let copySeconds = Infinity;
      let writerSeconds = Infinity;
      for (let round = 0; round < rounds; round++) {
        await db.sql`truncate price_snapshot_data, price_snapshots_copy`;
        if (round % 2 === 0) {
          copySeconds = Math.min(copySeconds, await seconds(psql));
          writerSeconds = Math.min(writerSeconds, await seconds(writer));
        } else {
          writerSeconds = Math.min(writerSeconds, await seconds(writer));
          copySeconds = Math.min(copySeconds, await seconds(psql));
        }
      }
      const [copied] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from price_snapshots_copy`;
      if (copied?.n !== count) throw new Error(`psql copied ${copied?.n} of ${count} rows`);
      const ratio = copySeconds / writerSeconds;
      const label = `${streams} stream${streams === 1 ? "" : "s"}`;
      lines.push(
        `${label}: writer ${fmt(count / writerSeconds)} rows/s (${writerSeconds.toFixed(2)} s), ` +
          `psql \\copy ${fmt(count / copySeconds)} rows/s (${copySeconds.toFixed(2)} s), ` +
          `ratio writer/copy ${ratio.toFixed(2)}`,
      );
      targets.push(atLeast(`ratio writer/copy, ${label}`, ratio, RATIO_TARGET));
    }
    const replayed = await insertPriceSnapshots(db.sql, rows.slice(0, 100_000), {
      method: "copy",
    });
    if (replayed !== 0) throw new Error(`a replay inserted ${replayed} rows`);
  } finally {
    await db.dispose();
  }
  lines.push(...(await hostLoad.stop()));

  const embeddedCount = Math.min(count, 200_000);
  const embedded = await createTestDatabase("embedded");
  try {
    await migrate(embedded.sql, { log, timescale: "off" });
    const t = performance.now();
    await insertPriceSnapshots(embedded.sql, rows.slice(0, embeddedCount));
    const s = (performance.now() - t) / 1000;
    lines.push(`writer  PGlite  : ${fmt(embeddedCount / s)} rows/s (${embeddedCount} rows)`);
  } finally {
    await embedded.dispose();
  }
  return { lines, targets };
}

async function seconds(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US");
}

if (import.meta.main) {
  const { lines, targets } = await runWriterBench();
  finishBench(lines, targets);
}
