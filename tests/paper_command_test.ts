/**
 * `pmcollect paper` over a recorded stream in the database: the planted scenario's frames (both
 * tokens of every market, as the venue sends them) recorded by the stream recorder, the
 * relations seeded in the catalog, then the command itself. Its run's ledger is a schema of its
 * own whose cash and fills agree with the report it prints, and the episodes it trades earn the
 * planted truth's profit (fee-free plants, so the truth is plain arithmetic).
 */
import assert from "node:assert/strict";
import { runPaperCommand } from "../cli/paper_command.ts";
import type { Queryable } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { formatDec, ONE, parseDec } from "../edge/decimal.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { type PlantedScenario, plantScenario } from "../simulator/plant.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { serverTimescale, withDatabase } from "./_db.ts";
import { testRecorder } from "./_recorder.ts";

const MAX_AGE_MS = 5000;

/** The scenario's relations as catalog rows (as tests/scanner_backtest_db_test.ts seeds them). */
async function seedCatalog(sql: Queryable, scenario: PlantedScenario): Promise<void> {
  for (const r of scenario.relations) {
    for (const m of r.markets) {
      await sql`insert into markets (market_id, event_id, condition_id, tick_size, min_order_size,
          end_date, question_index, fee_rate, fee_exponent, fee_taker_only)
        values (${m.marketId}, ${`ev-${r.key}`}, ${m.conditionId}, ${m.tickSize},
          ${m.minOrderSize}, ${m.endDate}, ${m.questionIndex ?? null}, 0, 1, true)
        on conflict do nothing`;
      await sql`insert into tokens (token_id, market_id, outcome_index)
        values (${m.yesTokenId}, ${m.marketId}, 0), (${m.noTokenId}, ${m.marketId}, 1)
        on conflict do nothing`;
    }
    const group = r.kind === "group";
    await sql`insert into relations (relation_key, type, members, provenance, status, rules_digest)
      values (${r.key}, ${group ? "partition" : "implies"}, ${r.markets.map((m) => m.marketId)},
        'test', ${group && !r.complete ? "incomplete" : "confirmed"}, 'd')`;
  }
}

const mirror = (price: string) => formatDec(ONE - parseDec(price));

/** One planted event as the venue's frame: both tokens of the market (NO mirrored). */
function frames(event: BookEvent, scenario: PlantedScenario): object[] {
  const market = scenario.relations.flatMap((r) => r.markets).find((m) =>
    m.yesTokenId === event.tokenId
  )!;
  const common = { market: market.conditionId, timestamp: String(event.exchangeTs) };
  const levels = (list: readonly (readonly [string, string])[], flip: boolean) =>
    list.map(([price, size]) => ({ price: flip ? mirror(price) : price, size }));
  if (event.kind === "book") {
    return [
      {
        ...common,
        event_type: "book",
        asset_id: market.yesTokenId,
        hash: "h",
        bids: levels(event.bids, false),
        asks: levels(event.asks, false),
      },
      {
        ...common,
        event_type: "book",
        asset_id: market.noTokenId,
        hash: "h",
        bids: levels(event.asks, true),
        asks: levels(event.bids, true),
      },
    ];
  }
  assert.equal(event.kind, "price_change");
  return [{
    ...common,
    event_type: "price_change",
    price_changes: event.changes.flatMap((c) => [
      { asset_id: market.yesTokenId, price: c.price, size: c.size, side: c.side },
      {
        asset_id: market.noTokenId,
        price: mirror(c.price),
        size: c.size,
        side: c.side === "BUY" ? "SELL" : "BUY",
      },
    ]),
  }];
}

Deno.test("pmcollect paper trades the recorded planted episodes into a ledger schema of its own", async () => {
  const t0 = Date.UTC(2026, 11, 6, 9, 0);
  const scenario = plantScenario({ seed: 11, depth: "20", maxBookAgeMs: MAX_AGE_MS, startAt: t0 });
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    await seedCatalog(db.sql, scenario);
    let clock = t0;
    const rec = testRecorder(db.sql, { now: () => clock });
    for (const event of scenario.events) {
      clock = event.receivedAt;
      for (const frame of frames(event, scenario)) {
        rec.record(parseWsFrame(JSON.stringify(frame), clock).messages, event.connection);
      }
    }
    await rec.flush();
    const config = loadConfig({
      DATABASE_URL: db.url!,
      PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: String(MAX_AGE_MS),
      PMCOLLECT_SCANNER_MAX_SKEW_MS: "2000",
      PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: "0",
      PMCOLLECT_RISK_MIN_EDGE: "0",
    });
    const out: string[] = [];
    const last = scenario.events.at(-1)!.receivedAt;
    const code = await runPaperCommand(config, {
      log: silentLogger(),
      signal: new AbortController().signal,
      write: (line) => out.push(line),
      args: [
        "--since",
        new Date(t0).toISOString(),
        "--until",
        new Date(last + 1).toISOString(),
      ],
    });
    assert.equal(code, 0, out.join("\n"));
    const schema = /^paper run in schema (paper_\w+):/.exec(out[0]!)?.[1];
    assert.ok(schema !== undefined, out[0]);
    try {
      const expected = scenario.truth.filter((x) => x.expected);
      const traded = out.filter((l) => / filled_whole /.test(l));
      assert.equal(traded.length, expected.length, out.join("\n"));
      for (const truth of expected) {
        const at = new Date(truth.startAt).toISOString();
        const line = traded.find((l) => l.startsWith(at) && l.includes(truth.channel));
        assert.ok(line !== undefined, `${at} ${truth.channel}\n${out.join("\n")}`);
        assert.match(line, new RegExp(`pnl ${truth.profit.replace(".", "\\.")} `));
      }
      const [row] = await db.sql.unsafe<{ cash: string; fills: number }[]>(
        `select (select sum(amount) from ${schema}.cash)::text as cash,
           (select count(*) from ${schema}.fills)::int as fills`,
      );
      const end = /^cash at the end (\S+)$/.exec(out.at(-1)!)?.[1];
      assert.equal(formatDec(parseDec(row!.cash)), end);
      assert.ok(row!.fills >= expected.length * 2, `${row!.fills} fills`);
    } finally {
      await db.sql.unsafe(`drop schema ${schema} cascade`);
    }
  });
});
