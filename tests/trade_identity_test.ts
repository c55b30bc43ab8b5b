/**
 * Trade identity in the database: a fill seen by the websocket and by the Data API backfill is
 * one row with both receive times, and migration 0004 re-keys v0.1 rows (merging the fills v0.1
 * stored twice) with the same identity the program computes.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { tradeKey } from "../db/trade_identity.ts";
import { insertTrades, type TradeRow, writeTrades } from "../db/trades.ts";
import { MIGRATIONS } from "../migrations/bundle.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, withDatabase } from "./_db.ts";

const log = silentLogger();
const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const SECOND = Date.UTC(2026, 10, 20, 12, 0, 0);
const TX = "0x" + "ab".repeat(32);

function live(ms: number, overrides: Partial<TradeRow> = {}): TradeRow {
  return {
    ts: new Date(ms),
    tokenId: TOKEN,
    tradeKey: "#0",
    conditionId: null,
    receivedAt: new Date(ms + 80),
    price: "0.52",
    size: "10",
    side: "BUY",
    feeRateBps: "0",
    txHash: TX,
    source: "ws",
    ...overrides,
  };
}

function backfilled(second: number, overrides: Partial<TradeRow> = {}): TradeRow {
  return {
    ...live(second, overrides),
    receivedAt: new Date(second + 3_600_000),
    feeRateBps: null,
    txHash: (overrides.txHash ?? TX).toUpperCase().replace("0X", "0x"),
    source: "data_api",
    ...overrides,
  };
}

for (const backend of BACKENDS) {
  Deno.test(`a fill caught live and backfilled is one row with both receive times on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: "off" });
      const ws = [live(SECOND + 250), live(SECOND + 250, { tradeKey: "#1" })];
      assert.equal(await insertTrades(db.sql, ws), 2);
      // The Data API: the same two fills (whole second, other decimal spelling, upper-case
      // hash), plus one the websocket missed.
      const api = [
        backfilled(SECOND, { price: "0.520" }),
        backfilled(SECOND, { tradeKey: "#1", size: "10.0" }),
        backfilled(SECOND, { tradeKey: "#2" }),
      ];
      assert.deepEqual(await writeTrades(db.sql, api), { inserted: 1, merged: 2 });
      assert.deepEqual(await writeTrades(db.sql, api), { inserted: 0, merged: 0 });
      assert.deepEqual(await writeTrades(db.sql, ws), { inserted: 0, merged: 0 });
      const rows = await db.sql<
        {
          ts: Date;
          exchange_ts: Date | null;
          received_at: Date | null;
          backfill_received_at: Date | null;
          source: string;
        }[]
      >`select ts, exchange_ts, received_at, backfill_received_at, source from trades
        order by trade_key`;
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.ts.getTime() === SECOND));
      const both = rows.filter((r) => r.received_at !== null && r.backfill_received_at !== null);
      assert.equal(both.length, 2);
      assert.ok(both.every((r) => r.source === "ws" && r.exchange_ts?.getTime() === SECOND + 250));
      const only = rows.find((r) => r.received_at === null);
      assert.equal(only?.source, "data_api");
      assert.equal(only?.backfill_received_at?.getTime(), SECOND + 3_600_000);
    }));

  Deno.test(`migration 0004 re-keys v0.1 trades and merges the fills stored twice on ${backend}`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log, timescale: "off", migrations: MIGRATIONS.slice(0, 3) });
      const ms = (n: number) => new Date(SECOND + n);
      const TX_B = "0x" + "cd".repeat(32);
      // v0.1 rows: websocket keys from the millisecond, Data API keys with a "da:" prefix.
      const v01 = [
        // A: caught live and backfilled (stored twice by v0.1).
        [ms(123), "wsA#0", "0.52", "10", "BUY", TX, "ws", ms(200)],
        [
          ms(0),
          "da:A#0",
          "0.520",
          "10.00",
          "BUY",
          TX.toUpperCase().replace("0X", "0x"),
          "data_api",
          null,
        ],
        // B: two identical fills of one transaction, both live and backfilled.
        [ms(450), "wsB#0", "0.3", "5", "SELL", TX_B, "ws", ms(500)],
        [ms(450), "wsB#1", "0.3", "5", "SELL", TX_B, "ws", ms(501)],
        [ms(0), "da:B#0", "0.3", "5", "SELL", TX_B, "data_api", null],
        [ms(0), "da:B#1", "0.3", "5", "SELL", TX_B, "data_api", null],
        // C: backfilled only; D: live only, before the venue sent transaction hashes.
        [ms(2000), "da:C#0", "0.7", "1", "BUY", "0x" + "ef".repeat(32), "data_api", null],
        [ms(3999), "wsD#0", "0.7", "1", "BUY", null, "ws", ms(4100)],
      ] as const;
      for (const [ts, key, price, size, side, tx, source, receivedAt] of v01) {
        await db.sql`insert into trades (ts, token_id, trade_key, price, size, side, tx_hash,
                                         source, received_at)
                     values (${ts}, ${TOKEN}, ${key}, ${price}, ${size}, ${side}, ${tx},
                             ${source}, ${receivedAt})`;
      }
      const checkpointAt = new Date(SECOND + 86_400_000);
      await db.sql`insert into backfill_checkpoints (task_key, kind, scope, start_at, end_at,
                                                     done_until, done_at, updated_at)
                   values ('t', 'trades', ${TOKEN}, ${ms(-60_000)}, ${ms(60_000)},
                           ${ms(60_000)}, ${checkpointAt}, ${checkpointAt})`;
      await migrate(db.sql, { log, timescale: "off" });

      const rows = await db.sql<
        {
          ts: Date;
          trade_key: string;
          price: string;
          size: string;
          side: string;
          tx_hash: string | null;
          source: string;
          exchange_ts: Date | null;
          received_at: Date | null;
          backfill_received_at: Date | null;
        }[]
      >`select ts, trade_key, price::text, size::text, side, tx_hash, source, exchange_ts,
               received_at, backfill_received_at
        from trades order by ts, exchange_ts, trade_key`;
      assert.equal(rows.length, 5, "A once, B twice, C, D");
      for (const r of rows) {
        const identity = {
          tokenId: TOKEN,
          timestamp: r.ts.getTime(),
          price: r.price,
          size: r.size,
          side: r.side as "BUY" | "SELL",
          transactionHash: r.tx_hash,
        };
        assert.equal(r.ts.getTime() % 1000, 0);
        assert.equal(r.trade_key, tradeKey(identity, Number(r.trade_key.split("#")[1])));
      }
      const bySource = rows.map((r) => [
        r.source,
        r.exchange_ts?.getTime() ?? null,
        r.received_at !== null,
        r.backfill_received_at?.getTime() ?? null,
      ]);
      assert.deepEqual(bySource, [
        ["ws", SECOND + 123, true, checkpointAt.getTime()],
        ["ws", SECOND + 450, true, checkpointAt.getTime()],
        ["ws", SECOND + 450, true, checkpointAt.getTime()],
        ["data_api", null, false, checkpointAt.getTime()],
        ["ws", SECOND + 3999, true, null],
      ]);

      // The program keys these fills exactly as the migration did: nothing is added again.
      const again = [
        live(SECOND + 123),
        live(SECOND + 450, { price: "0.3", size: "5", side: "SELL", txHash: TX_B }),
        backfilled(SECOND, {
          tradeKey: "#1",
          price: "0.3",
          size: "5",
          side: "SELL",
          txHash: TX_B,
        }),
        backfilled(SECOND + 2000, { price: "0.7", size: "1", txHash: "0x" + "ef".repeat(32) }),
        live(SECOND + 3999, { price: "0.7", size: "1", txHash: null }),
      ];
      assert.equal(await insertTrades(db.sql, again), 0);
    }));
}
