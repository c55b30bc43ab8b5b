/**
 * `pmcollect edge` on the real PostgreSQL: a three-market neg-risk event with stored books whose
 * YES bids sum to 1.05, so buying NO on all three and converting earns 0.05 a share before
 * fees. Fees and the group's structure are recorded in the metadata history, and the group's
 * completeness comes from the relation registry (refreshed by the command when it has no row).
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { insertBookSnapshots } from "../db/books.ts";
import { fromStoredJson, recordMarketMetadata } from "../db/market_metadata.ts";
import { feeScheduleOf as feeSchedule } from "../tradability/rules.ts";
import type { Queryable } from "../db/client.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, type TestDatabase, withDatabase } from "./_db.ts";
import { parseEdgeArgs, printEdge, runEdgeCommand } from "../cli/edge_command.ts";
import { setRelationStatus } from "../relations/registry.ts";
import type { Book } from "../polymarket/clob_book.ts";
import { testRecorder } from "./_recorder.ts";

const EARLY = new Date("2026-11-30T10:00:00Z");
const LATE = new Date("2026-11-30T12:00:00Z");

async function seed(sql: Queryable, options: { lastIndex?: string; feeOf3?: string | null } = {}) {
  await sql`insert into events (event_id, neg_risk, neg_risk_market_id)
            values ('E1', true, '0xgroup')`;
  const bids = ["0.40", "0.35", "0.30"];
  for (let i = 0; i < 3; i++) {
    const index = i === 2 ? (options.lastIndex ?? "02") : `0${i}`;
    const fee = i === 2 && options.feeOf3 !== undefined ? options.feeOf3 : "0.04";
    await sql`insert into markets (market_id, condition_id, question_id, event_id, question,
                neg_risk, neg_risk_market_id, tick_size, min_order_size, active, closed, end_date)
              values (${`m${i}`}, ${`0xc${i}`}, ${`0x${"ab".repeat(31)}${index}`}, 'E1',
                ${`Will candidate ${i} win?`}, true, '0xgroup', 0.01, 5, true, false,
                '2027-01-01T00:00:00Z')`;
    // The fee schedule and the group's structure as the markets collector records them.
    await recordMarketMetadata(sql, [{
      marketId: `m${i}`,
      fields: {
        feeRate: fee,
        feeExponent: fee === null ? null : "1",
        negRisk: true,
        negRiskMarketId: "0xgroup",
        questionIndex: parseInt(index, 16),
        eventNegRiskAugmented: false,
      },
      rules: null,
    }], { at: new Date("2026-11-01T00:00:00Z"), source: "gamma" });
    await sql`insert into tokens (token_id, condition_id, market_id, outcome, outcome_index)
              values (${`y${i}`}, ${`0xc${i}`}, ${`m${i}`}, 'Yes', 0),
                     (${`n${i}`}, ${`0xc${i}`}, ${`m${i}`}, 'No', 1)`;
    const yes = (ts: Date, bid: string) => ({
      ts,
      tokenId: `y${i}`,
      conditionId: `0xc${i}`,
      exchangeTs: ts,
      bestBid: bid,
      bestAsk: "0.99",
      mid: null,
      spread: null,
      bidSize: "100",
      askSize: "100",
      tickSize: "0.01",
      hash: null,
      bids: [{ price: bid, size: "100" }],
      asks: [{ price: (Number(bid) + 0.02).toFixed(2), size: "100" }],
    });
    // Earlier the bids summed to 0.90: no edge. The NO book of m0 lists an ask of 0.55 while
    // YES asks 0.42: 0.97 < 1, a data alarm.
    const no = {
      ...yes(LATE, "0.45"),
      tokenId: `n${i}`,
      bids: [{ price: "0.45", size: "100" }],
      asks: [{ price: i === 0 ? "0.55" : (1 - Number(bids[i]) + 0.02).toFixed(2), size: "100" }],
    };
    await insertBookSnapshots(sql, [
      yes(EARLY, (Number(bids[i]) - 0.05).toFixed(2)),
      yes(LATE, bids[i]!),
      no,
    ]);
  }
}

/** One printed channel, as the tests read it back. */
interface ChannelObject {
  channel: string;
  subject: string;
  complete: boolean;
  reason: string | null;
  profit: string | null;
  shares: string | null;
  cost: string | null;
  payoff: string | null;
  booksTo: string | null;
  books: { token: string; source: string; since: string | null; ageMs: number | null }[];
  conversion: { calls: { indexSet: string }[] } | null;
  legs: { token: string; side: string; shares: string; avgPrice: string; fees: string }[];
}

/** The command on the server (through its config), on PGlite through the open database. */
async function edgeJson(db: TestDatabase, args: string[]): Promise<ChannelObject[]> {
  const lines: string[] = [];
  const context = {
    log: silentLogger(),
    signal: new AbortController().signal,
    write: (line: string) => lines.push(line),
    now: () => new Date("2026-11-30T12:01:00Z"),
  };
  const code = db.url === undefined
    ? await printEdge(db.sql, parseEdgeArgs(args), context)
    : await runEdgeCommand(loadConfig({ DATABASE_URL: db.url }), { ...context, args });
  assert.equal(code, 0);
  return JSON.parse(lines.join("\n")) as ChannelObject[];
}

for (const backend of BACKENDS) {
  Deno.test(`edge --json prints the conversion plan, no basket, the LP and the data alarm (${backend})`, () =>
    withDatabase(backend, async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: "off" });
      await seed(db.sql);
      const out = await edgeJson(db, ["--event", "E1", "--json", "--convert-fee-bips", "0"]);
      assert.deepStrictEqual(out.map((o) => o.channel), [
        "neg_risk_conversion",
        "neg_risk_basket",
        "lp",
        "data_alarm",
      ]);
      const [conversion, basket, lp, alarm] = out as [
        ChannelObject,
        ChannelObject,
        ChannelObject,
        ChannelObject,
      ];
      // NO at 0.60/0.65/0.70 for 100 each; fees 100 × 0.04 × p(1−p): 0.96 + 0.91 + 0.84.
      assert.deepStrictEqual(
        [
          conversion.complete,
          conversion.profit,
          conversion.shares,
          conversion.cost,
          conversion.payoff,
        ],
        [true, "2.29", "100", "197.71", "200"],
      );
      assert.deepStrictEqual(
        conversion.legs.map((l) => [l.token, l.side, l.shares, l.avgPrice, l.fees]),
        [["n0", "BUY", "100", "0.6", "0.96"], ["n1", "BUY", "100", "0.65", "0.91"], [
          "n2",
          "BUY",
          "100",
          "0.7",
          "0.84",
        ]],
      );
      assert.equal(conversion.conversion?.calls[0]?.indexSet, "0x7");
      assert.deepStrictEqual([basket.complete, basket.profit, basket.legs], [true, null, []]);
      // Held to resolution the same NOs pay 200 in every outcome: the LP finds the same plan.
      assert.equal(lp.profit, "2.29");
      assert.equal(alarm.subject, "m0");
      assert.match(alarm.reason ?? "", /YES ask 0.42 \+ NO ask 0.55 < 1/);
      assert.equal(conversion.booksTo, LATE.toISOString());
    }));
}

Deno.test("edge without --json prints one headline and one line per leg", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await seed(db.sql);
    const lines: string[] = [];
    const code = await runEdgeCommand(loadConfig({ DATABASE_URL: db.url! }), {
      log: silentLogger(),
      signal: new AbortController().signal,
      write: (line) => lines.push(...line.split("\n")),
      args: ["--event", "E1", "--convert-fee-bips", "0"],
      now: () => new Date("2026-11-30T12:01:00Z"),
    });
    assert.equal(code, 0);
    assert.ok(
      lines.includes(
        "neg_risk_conversion 0xgroup: profit 2.29 on 100 shares, cost 197.71, payoff 200, " +
          "capital 197.71 locked until now",
      ),
      lines.join("\n"),
    );
    assert.ok(lines.includes("  BUY 100 NO n0 avg 0.6 fees 0.96 cost 60.96"), lines.join("\n"));
    assert.ok(
      lines.some((l) => l.startsWith("neg_risk_basket 0xgroup: no plan (no positive edge)")),
    );
  }));

Deno.test("edge --at uses the books of that instant; unknown feeBips means no conversion", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await seed(db.sql);
    const atEleven = ["--event", "E1", "--json", "--at", "2026-11-30T11:00:00Z"];
    const withBips = [...atEleven, "--convert-fee-bips", "0"];
    const early = await edgeJson(db, [...withBips, "--rest-max-age-ms", "3600000"]);
    assert.deepStrictEqual([early[0]!.channel, early[0]!.profit, early[0]!.booksTo], [
      "neg_risk_conversion",
      null,
      EARLY.toISOString(),
    ]);
    assert.deepStrictEqual(early[0]!.books[0], {
      token: "y0",
      source: "rest_snapshot",
      since: EARLY.toISOString(),
      ageMs: 3_600_000,
      note: "stream not covered: no_snapshot",
    });
    // Within the default bound (6 minutes) an hour-old REST book is no book at all.
    const stale = await edgeJson(db, withBips);
    assert.deepStrictEqual([stale[0]!.profit, stale[0]!.booksTo], [null, null]);
    assert.match(
      stale[0]!.reason ?? "",
      /no book for market m0: stream not covered: no_snapshot, REST snapshot 3600000 ms old \(bound 360000 ms\)$/,
    );
    const noBips = await edgeJson(db, ["--event", "E1", "--json"]);
    assert.deepStrictEqual([noBips[0]!.profit, noBips[0]!.reason], [
      null,
      "adapter feeBips unknown",
    ]);
  }));

Deno.test("edge gives no plan on an incomplete group or an unknown fee", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await seed(db.sql, { lastIndex: "05" }); // question 2 is missing from storage
    const out = await edgeJson(db, ["--event", "E1", "--json", "--convert-fee-bips", "0"]);
    for (const o of out.slice(0, 3)) {
      assert.deepStrictEqual([o.complete, o.profit], [false, null]);
      assert.match(o.reason ?? "", /partition relation is incomplete$/);
    }
  }).then(() =>
    withDatabase("server", async (db) => {
      await migrate(db.sql, { log: silentLogger(), timescale: "off" });
      await seed(db.sql, { feeOf3: null });
      const out = await edgeJson(db, ["--event", "E1", "--json", "--convert-fee-bips", "0"]);
      assert.deepStrictEqual([out[0]!.profit, out[0]!.reason], [
        null,
        "fee schedule unknown for market m2",
      ]);
    })
  ));

Deno.test("main.ts edge exits 2 without --event, and --event belongs to edge only", async () => {
  const { main } = await import("../main.ts");
  assert.equal(await main(["edge", "--json"], { DATABASE_URL: "postgres://127.0.0.1:1/none" }), 2);
  assert.equal(await main(["status", "--event", "E1"], {}), 2);
});

Deno.test("edge prices a group only while its partition is confirmed, and not before its metadata", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await seed(db.sql);
    const args = ["--event", "E1", "--json", "--convert-fee-bips", "0"];
    assert.equal((await edgeJson(db, args))[0]!.profit, "2.29");
    // A rules amendment made the registry's partition stale: nothing is priced until confirmed.
    await db.sql`update relations set status = 'stale' where relation_key = 'partition:0xgroup'`;
    const stale = await edgeJson(db, args);
    assert.deepStrictEqual([stale[0]!.complete, stale[0]!.profit], [false, null]);
    assert.match(stale[0]!.reason ?? "", /partition relation is stale$/);
    await setRelationStatus(db.sql, "partition:0xgroup", "confirmed");
    assert.equal((await edgeJson(db, args))[0]!.profit, "2.29");
    // Before the metadata was first recorded, neither fees nor structure are known.
    const before = await edgeJson(db, [...args, "--at", "2026-10-31T00:00:00Z"]);
    assert.deepStrictEqual([before[0]!.complete, before[0]!.profit], [false, null]);
    assert.match(before[0]!.reason ?? "", /no metadata for market m0 at that time$/);
  }));

Deno.test("edge --relation prices a confirmed relation only, and says when a key is unknown", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await seed(db.sql);
    await db.sql`insert into relations (relation_key, type, members, provenance, status,
                   rules_digest, detail)
                 values ('proposal:implies:m0:m1', 'implies', '{m0,m1}', 'lexical:jaccard',
                   'proposed', '', '{}')`;
    const out = await edgeJson(db, ["--relation", "proposal:implies:m0:m1", "--json"]);
    // The seed's m0 book alarm is reported too: alarms come with every subject read.
    assert.deepStrictEqual(out.map((o) => [o.channel, o.profit, o.reason]), [
      ["implication", null, "relation is proposed, only confirmed relations are priced"],
      ["data_alarm", null, "yes_ask_plus_no_ask_below_one: YES ask 0.42 + NO ask 0.55 < 1"],
    ]);
    // A reviewer confirms it: NO of m0 at 0.60 + YES of m1 at 0.37, 100 each; fees
    // 100 × 0.04 × 0.6 × 0.4 = 0.96 and 100 × 0.04 × 0.37 × 0.63 = 0.9324: profit 1.1076.
    await setRelationStatus(db.sql, "proposal:implies:m0:m1", "confirmed");
    const [pair] = await edgeJson(db, ["--relation", "proposal:implies:m0:m1", "--json"]);
    assert.deepStrictEqual([pair!.subject, pair!.profit, pair!.cost], [
      "m0=>m1",
      "1.1076",
      "98.8924",
    ]);
    const lines: string[] = [];
    const code = await printEdge(db.sql, parseEdgeArgs(["--relation", "ladder_date:none"]), {
      log: silentLogger(),
      write: (line) => lines.push(line),
    });
    assert.deepStrictEqual([code, lines], [1, [
      "relation ladder_date:none: not found (relations come from the registry: pmcollect " +
      "relations refreshes it)",
    ]]);
  }));

Deno.test("feeSchedule(): the metadata's schedule, 0 on a fee-free market, else unknown", () => {
  const none = fromStoredJson({});
  assert.equal(feeSchedule(null), null, "never observed by then");
  assert.equal(feeSchedule(none), null, "nothing known about fees");
  assert.equal(feeSchedule({ ...none, feesEnabled: true }), null, "enabled, rate unknown");
  assert.deepStrictEqual(feeSchedule({ ...none, feesEnabled: false }), {
    rate: "0",
    exponent: 1,
    takerOnly: true,
  });
  assert.deepStrictEqual(
    feeSchedule({ ...none, feesEnabled: true, feeRate: "0.072", feeExponent: "1" }),
    { rate: "0.072", exponent: 1, takerOnly: true },
  );
});

Deno.test("edge prices on the recorded stream's book, and never a market that resolved or closed before the instant", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await seed(db.sql);
    // The stream has m0's YES book from 11:59 on: a bid of 0.41 instead of the REST 0.40.
    const rec = testRecorder(db.sql, { session: 3 });
    const streamed = LATE.getTime() - 60_000;
    const book = {
      market: "0xc0",
      tokenId: "y0",
      timestamp: streamed,
      hash: null,
      bids: [{ price: "0.41", size: "100" }],
      asks: [{ price: "0.43", size: "100" }],
      bestBid: "0.41",
      bestAsk: "0.43",
      mid: "0.42",
      spread: "0.02",
      bidSizeTotal: "100",
      askSizeTotal: "100",
      tickSize: "0.01",
      minOrderSize: null,
      negRisk: true,
      lastTradePrice: null,
      receivedAt: streamed,
    } as unknown as Book;
    rec.record([{ kind: "book", book }], 1);
    await rec.flush();
    const args = ["--event", "E1", "--json", "--convert-fee-bips", "0"];
    const live = await edgeJson(db, args);
    const y0 = live[0]!.books.find((b) => b.token === "y0")!;
    assert.deepStrictEqual([y0.source, y0.since, y0.ageMs], [
      "stream",
      new Date(streamed).toISOString(),
      0,
    ]);
    // 0.41 + 0.35 + 0.30 = 1.06: 6 cents a share before fees; fees 100 × 0.04 × p(1 − p) on NO
    // at 0.59, 0.65, 0.70: 0.9676 + 0.91 + 0.84.
    assert.equal(live[0]!.profit, "3.2824");
    // m0 resolves at 12:00:30: at 12:01 nothing in the group may be priced, before it may.
    await db.sql`insert into resolutions (condition_id, market_id, status, resolved_at, source,
                   strength) values ('0xc0', 'm0', 'resolved', ${new Date(LATE.getTime() + 30_000)},
                   'gamma', 2)`;
    const after = await edgeJson(db, args);
    assert.deepStrictEqual([after[0]!.profit, after[0]!.reason], [
      null,
      "incomplete group (missing, placeholder or Other question): market m0 is not open (resolved)",
    ]);
    const before = await edgeJson(db, [
      ...args,
      "--at",
      new Date(LATE.getTime() + 20_000).toISOString(),
    ]);
    assert.equal(before[0]!.profit, "3.2824");
    // A market seen closed (no closedTime) is closed from when it was seen.
    await db.sql`delete from resolutions`;
    await db.sql`update markets set closed = true, updated_at = ${LATE} where market_id = 'm1'`;
    const closed = await edgeJson(db, args);
    assert.match(closed[0]!.reason ?? "", /: market m1 is not open \(closed\)$/);
  }));
