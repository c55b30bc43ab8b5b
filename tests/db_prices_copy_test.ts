/**
 * The COPY path of insertPriceSnapshots on the real PostgreSQL server (PGlite keeps unnest):
 * exact decimals on every tick size, NULLs, odd text, idempotent replays and correct counts,
 * including a batch that only partly overlaps what is stored and batches larger than one COPY.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import {
  insertPriceSnapshots,
  PRICE_COPY_BATCH_ROWS,
  type PriceSnapshotRow,
} from "../db/prices.ts";
import { silentLogger } from "../runtime/log.ts";
import { type TestDatabase, withDatabase } from "./_db.ts";

const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const T0 = Date.UTC(2026, 10, 25, 10, 0);

function row(minute: number, price: string | null, tokenId = TOKEN): PriceSnapshotRow {
  return {
    ts: new Date(T0 + minute * 60_000),
    tokenId,
    price,
    bestBid: price,
    bestAsk: null,
    lastTradePrice: price === null ? null : "0.0025",
    volume24h: "12345.678901",
    liquidity: null,
  };
}

async function migrated(db: TestDatabase) {
  await migrate(db.sql, { log: silentLogger(), timescale: "off" });
}

const copy = { method: "copy" } as const;

Deno.test("COPY path stores exact decimals and NULLs, and a replay adds nothing", () =>
  withDatabase("server", async (db) => {
    await migrated(db);
    const prices = ["0.01", "0.001", "0.005", "0.0025", "0.9975", "0.999", "1", "0", null];
    const rows = prices.map((p, i) => row(i, p));
    assert.equal(await insertPriceSnapshots(db.sql, rows, copy), prices.length);
    assert.equal(await insertPriceSnapshots(db.sql, rows, copy), 0, "replayed batch adds nothing");
    const stored = await db.sql`
      select price::text, best_bid::text, best_ask, last_trade_price::text,
             volume_24h::text, liquidity
      from price_snapshots order by ts`;
    assert.deepEqual(stored.map((r) => r.price), prices);
    assert.deepEqual(stored.map((r) => r.best_bid), prices);
    assert.ok(stored.every((r) => r.best_ask === null && r.liquidity === null));
    assert.deepEqual(
      stored.map((r) => r.last_trade_price),
      prices.map((p) => p === null ? null : "0.0025"),
    );
    assert.ok(stored.every((r) => r.volume_24h === "12345.678901"));
  }));

Deno.test("COPY path counts only new rows of a partly replayed batch, inside a transaction too", () =>
  withDatabase("server", async (db) => {
    await migrated(db);
    const first = [0, 1, 2].map((m) => row(m, "0.5"));
    assert.equal(await insertPriceSnapshots(db.sql, first, copy), 3);
    // Minutes 1-2 exist (with another price, which must stay); minutes 3-4 are new.
    const overlap = [1, 2, 3, 4].map((m) => row(m, "0.75"));
    assert.equal(await insertPriceSnapshots(db.sql, overlap, copy), 2);
    const inTx = await db.sql.begin((tx) =>
      insertPriceSnapshots(tx, [4, 5].map((m) => row(m, "0.25")), copy)
    );
    assert.equal(inTx, 1);
    const stored = await db.sql`select price::text from price_snapshots order by ts`;
    assert.deepEqual(stored.map((r) => r.price), ["0.5", "0.5", "0.5", "0.75", "0.75", "0.25"]);
  }));

Deno.test("COPY path escapes text and splits large writes into several COPY batches", () =>
  withDatabase("server", async (db) => {
    await migrated(db);
    const odd = "tab\there\\back\nline\rcr";
    const count = PRICE_COPY_BATCH_ROWS * 2 + 7;
    const rows = Array.from({ length: count }, (_, i) => row(i % 1000, "0.01", `${i}-${odd}`));
    assert.equal(await insertPriceSnapshots(db.sql, rows, copy), count);
    assert.equal(await insertPriceSnapshots(db.sql, rows, copy), 0);
    const [stats] = await db.sql`
      select count(*)::int as n, count(*) filter (where token_id = ${`0-${odd}`})::int as odd
      from price_snapshots`;
    assert.deepEqual({ ...stats }, { n: count, odd: 1 });
  }));

Deno.test("COPY path keeps the first of a row repeated in a later batch of the same write", () =>
  withDatabase("server", async (db) => {
    await migrated(db);
    // With one stream, the second batch's COPY starts while the first one's COMMIT may still
    // be running: its repeated rows must wait for that COMMIT, then go through unnest.
    for (const concurrency of [1, 3]) {
      await db.sql`truncate price_snapshot_data`;
      const first = Array.from({ length: PRICE_COPY_BATCH_ROWS }, (_, i) => row(i, "0.5", `t${i}`));
      const again = Array.from({ length: 10 }, (_, i) => row(i, "0.75", `t${i}`));
      const fresh = row(0, "0.25", "another");
      const rows = [...first, ...again, fresh];
      assert.equal(
        await insertPriceSnapshots(db.sql, rows, { ...copy, concurrency }),
        first.length + 1,
      );
      const [stats] = await db.sql`
        select count(*)::int as n, count(*) filter (where price = 0.75)::int as later
        from price_snapshots`;
      assert.deepEqual(
        { ...stats },
        { n: first.length + 1, later: 0 },
        `concurrency ${concurrency}`,
      );
    }
  }));
