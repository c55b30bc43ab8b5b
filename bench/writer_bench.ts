/**
 * Bulk writer benchmark: 1,000,000 price-snapshot rows through the project's writer
 * (`insertPriceSnapshots`) against `psql \copy` of the same rows, in the stored encoding
 * (token keys, millionths; migration 0007), into an identical table, in the same run on the
 * same server; plus the writer into embedded PGlite.
 *
 * The server uses the COPY path (`method: "copy"`); PGlite the default unnest path.
 *
 * Run: `deno task bench` (all benchmarks) or `deno run -A bench/writer_bench.ts`.
 */
import { insertPriceSnapshots, type PriceSnapshotRow } from "../db/prices.ts";
import { migrate } from "../db/migrate.ts";
import { createTestDatabase, TEST_DATABASE_URL } from "../tests/_db.ts";
import { silentLogger } from "../runtime/log.ts";
import { tokenKeys } from "../db/_keys.ts";
import { INT4_MAX, INT8_MAX, microText } from "../db/_micro.ts";

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

/** Runs the benchmark and returns printable lines. */
export async function runWriterBench(count = 1_000_000): Promise<string[]> {
  const log = silentLogger();
  const rows = makeRows(count);
  const db = await createTestDatabase("server");
  const schema = db.schema;
  const lines: string[] = [];
  try {
    await migrate(db.sql, { log, timescale: "off" });
    await db.sql`create table price_snapshots_copy (like price_snapshot_data including all)`;
    // A token's key is assigned once in its life; the steady state (every key known, as on
    // every minute after the first) is what is timed, so both sides start with the keys.
    const ids = [...new Set(rows.map((r) => r.tokenId))];
    const keyList = await tokenKeys(db.sql, ids);
    const text = copyText(rows, new Map(ids.map((id, i) => [id, keyList[i]!])));

    let t = performance.now();
    await psqlCopy(schema, text);
    const copySeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const inserted = await insertPriceSnapshots(db.sql, rows, { method: "copy" });
    const writerSeconds = (performance.now() - t) / 1000;
    if (inserted !== count) throw new Error(`writer inserted ${inserted} of ${count} rows`);
    const replayed = await insertPriceSnapshots(db.sql, rows.slice(0, 100_000), {
      method: "copy",
    });
    if (replayed !== 0) throw new Error(`a replay inserted ${replayed} rows`);

    const copyRate = count / copySeconds;
    const writerRate = count / writerSeconds;
    lines.push(
      `writer  postgres: ${fmt(writerRate)} rows/s (${count} rows in ${
        writerSeconds.toFixed(2)
      } s)`,
      `psql \\copy       : ${fmt(copyRate)} rows/s (${count} rows in ${copySeconds.toFixed(2)} s)`,
      `ratio writer/copy: ${(writerRate / copyRate).toFixed(2)} (target >= 0.90)`,
    );
  } finally {
    await db.dispose();
  }

  const embeddedCount = Math.min(count, 200_000);
  const embedded = await createTestDatabase("embedded");
  try {
    await migrate(embedded.sql, { log, timescale: "off" });
    const t = performance.now();
    await insertPriceSnapshots(embedded.sql, rows.slice(0, embeddedCount));
    const seconds = (performance.now() - t) / 1000;
    lines.push(`writer  PGlite  : ${fmt(embeddedCount / seconds)} rows/s (${embeddedCount} rows)`);
  } finally {
    await embedded.dispose();
  }
  return lines;
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US");
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  for (const line of await runWriterBench()) console.log(line);
}
