/**
 * Paper trading the simulator's planted episodes (`simulator/plant.ts`) through the scanner, the
 * executor and the paper broker (`execution/paper.ts`) into a real PostgreSQL ledger, against a
 * hand computation under the documented fill model (docs/execution.md, "Fill model"): an order
 * reaches the book `latencyMs` after it is sent and takes the levels there at their prices, each
 * fill paying the taker fee shares × rate × p(1 − p), floored to 1e-5.
 *
 * Every plant lasts at least 300 ms; with 100 ms of latency the thinnest leg's FOK arrives at
 * +100 ms and the other legs at +200 ms, so every leg meets its planted level whole, and the
 * paper P&L of each episode is the planted truth's profit (`plant_profit.ts`: the venue's fee
 * rule written out, not the edge engine). With 200 ms the 300 ms plants end before the other
 * legs arrive: the thinnest leg is bought, the others find only the quiet books, no finishing
 * price fits the edge left, and the leg is sold back at the quiet bid — a loss computed below.
 */
import assert from "node:assert/strict";
import { formatDec, parseDec, ZERO } from "../edge/decimal.ts";
import { migrate } from "../db/migrate.ts";
import { createLedger } from "../execution/ledger.ts";
import { runPaper } from "../execution/paper.ts";
import { RiskEngine } from "../execution/risk.ts";
import { haltTrading } from "../execution/trading_state.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { plantScenario } from "../simulator/plant.ts";
import { fillCost, takerFeeOf } from "../simulator/plant_profit.ts";
import { withDatabase } from "./_db.ts";

const FEE = { rateBp: 200, exponent: 1 };
const MAX_AGE_MS = 5000;

function scenario() {
  return plantScenario({
    seed: 7,
    depth: "12.37",
    feeRateBp: FEE.rateBp,
    maxBookAgeMs: MAX_AGE_MS,
  });
}

async function paper(
  latencyMs: number,
  risk?: RiskEngine,
  options: { halted?: boolean; lines?: string[] } = {},
) {
  const { relations, events } = scenario();
  let out: Awaited<ReturnType<typeof runPaper>> | null = null;
  let ledgerRows: { cash: string; fills: number; intents: number } | null = null;
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const ledger = createLedger(db.sql, { log: silentLogger() });
    if (options.halted === true) await haltTrading(db.sql, { reason: "test", by: "test" });
    out = await runPaper(events, new RelationSet(relations), {
      ledger,
      log: options.lines === undefined
        ? silentLogger()
        : createLogger({}, { write: (line) => options.lines!.push(line) }),
      latencyMs,
      cash: "10000",
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: 2000,
      limits: { maxBookAgeMs: MAX_AGE_MS, minEdge: ZERO },
      runId: "t",
      mirrorNo: true,
      ...(risk === undefined ? {} : { risk }),
    });
    const [row] = await db.sql<{ cash: string; fills: number; intents: number }[]>`
      select (select sum(amount) from cash)::text as cash,
        (select count(*) from fills)::int as fills,
        (select count(*) from intents)::int as intents`;
    ledgerRows = row!;
  });
  return { run: out!, ledger: ledgerRows! };
}

Deno.test("paper P&L of every planted episode equals its hand-computed profit; decoys are never traded", async () => {
  const { truth } = scenario();
  const lines: string[] = [];
  const { run, ledger } = await paper(100, undefined, { lines });
  const expected = truth.filter((t) => t.expected);
  assert.equal(expected.length, 9, "three durations × basket, conversion, implication");
  assert.equal(
    run.trades.length,
    expected.length,
    "one trade per planted episode, none on a decoy",
  );
  let exact = 0;
  for (const t of expected) {
    const trade = run.trades.find((x) =>
      x.episode.relationKey === t.relationKey && x.episode.channel === t.channel &&
      x.episode.startedAt === t.startAt
    );
    assert.ok(trade !== undefined, `${t.relationKey} ${t.channel} at ${t.startAt} was traded`);
    assert.equal(trade.result.outcome, "filled_whole", trade.result.decision.reason);
    assert.equal(
      formatDec(trade.result.pnl),
      t.profit,
      `${t.relationKey} ${t.channel} ${t.startAt}`,
    );
    if (formatDec(trade.result.pnl) === t.profit) exact++;
  }
  assert.equal(exact, 9);
  // The ledger holds what was replayed: cash is the deposit less the hold channels' cost plus
  // the conversions' profit, which is the broker's own cash.
  assert.equal(formatDec(parseDec(ledger.cash)), run.cash);
  const sent = run.trades.reduce((n, x) => n + x.result.orders, 0);
  assert.equal(ledger.intents, sent);
  assert.ok(ledger.fills >= sent, "every order filled at least once");
  // Every decision is logged with the plan, each leg's book age and why it acted.
  const opened = lines.map((l) => JSON.parse(l)).filter((l) =>
    l.event === "executor_decision" && l.step === "open"
  );
  assert.equal(opened.length, expected.length);
  for (const d of opened) {
    assert.equal(d.action, "act");
    assert.match(d.reason, /^profit \S+ on the current books; thinnest leg \d+ first$/);
    assert.equal(d.bookAgesMs.length, d.plan.legs.length);
    assert.ok(d.bookAgesMs.every((age: number) => age >= 0 && age <= MAX_AGE_MS));
    assert.equal(d.planProfit, d.plan.profit);
  }
});

Deno.test("paper trading a leg whose plant ends in flight sells it back at the quiet bid, at the hand-computed loss", async () => {
  const { truth, relations } = scenario();
  const { run } = await paper(200);
  const short = truth.filter((t) => t.expected && t.endAt - t.startAt === 300);
  for (const t of short) {
    const trade = run.trades.find((x) =>
      x.episode.relationKey === t.relationKey && x.episode.channel === t.channel &&
      x.episode.startedAt === t.startAt
    )!;
    assert.equal(
      trade.result.outcome,
      "unwound",
      `${t.relationKey}: ${trade.result.decision.reason}`,
    );
    const first = trade.result.decision.first[0]!;
    const bought = trade.result.legs[first.leg]!;
    // The plan's shares of that leg (12.37, the planted depth, or fewer where fees make the last
    // hundredths unprofitable), all bought at the planted price.
    const planned = trade.episode.peakPlan.legs[first.leg]!.shares;
    assert.equal(bought.bought, planned);
    const sharesH = planned / 1_000_000n;
    // Hand computation: bought at the planted price, sold at the quiet bid of that token (the
    // fair price − 2¢ for a YES, 1 − (fair + 2¢) for a NO), each fill paying its own fee.
    const market = relations.flatMap((r) => r.markets).find((m) =>
      m.yesTokenId === first.tokenId || m.noTokenId === first.tokenId
    )!;
    const isYes = market.yesTokenId === first.tokenId;
    const buyMills = Number(first.price / 100_000n);
    const fair = fairMills(t.relationKey, { buyMills, isYes, channel: t.channel });
    const sellMills = isYes ? fair - 20 : 1000 - (fair + 20);
    const expectedPnl = sharesH * BigInt(sellMills) * 1000n - takerFeeOf(sharesH, sellMills, FEE) -
      fillCost(sharesH, buyMills, FEE);
    assert.equal(formatDec(trade.result.pnl), formatDec(expectedPnl));
  }
  assert.equal(short.length, 3);
});

/** A planted leg's fair price in mills, from the price it was planted at. */
function fairMills(
  relationKey: string,
  o: { readonly buyMills: number; readonly isYes: boolean; readonly channel: string },
): number {
  // Basket: YES planted at fair − 1¢. Conversion: NO at 1 − (fair + 1¢). Implication: NO of A
  // (fair 0.40) and YES of B (fair 0.60).
  if (relationKey === "pair-implication") return o.isYes ? 600 : 400;
  if (o.channel === "neg_risk_basket") return o.buyMills + 10;
  return 1000 - o.buyMills - 10;
}

Deno.test("paper trading passes every order through the risk engine: a refused first leg misses the episode, nothing sent", async () => {
  const risk = new RiskEngine({
    maxOrderNotional: parseDec("100"),
    maxMarketNotional: parseDec("1000"),
    maxGroupNotional: parseDec("1000"),
    maxTotalNotional: parseDec("1000"),
    maxOpenOrders: 10,
    maxOrdersPerSecond: 100,
    maxDailyLoss: parseDec("100"),
    priceBand: parseDec("0.05"),
    maxBookAgeMs: MAX_AGE_MS,
    // 0.002 a share: the implication pair's few hundredths of a cent on 12.23 shares fall short.
    minEdge: parseDec("0.002"),
  });
  const { run, ledger } = await paper(100, risk);
  const pair = run.trades.filter((x) => x.episode.relationKey === "pair-implication");
  assert.equal(pair.length, 3);
  for (const { result } of pair) {
    assert.deepEqual([result.outcome, result.orders, result.refused], ["missed", 0, 1]);
    assert.equal(result.pnl, ZERO);
  }
  const others = run.trades.filter((x) => x.episode.relationKey !== "pair-implication");
  assert.ok(others.length === 6 && others.every((x) => x.result.outcome === "filled_whole"));
  assert.equal(ledger.intents, others.reduce((n, x) => n + x.result.orders, 0));
});

Deno.test("paper trading on a halted ledger sends nothing: every episode is missed, its order refused", async () => {
  const { run, ledger } = await paper(100, undefined, { halted: true });
  assert.equal(run.trades.length, 9);
  for (const { result } of run.trades) {
    assert.deepEqual([result.outcome, result.orders, result.refused], ["missed", 0, 1]);
  }
  assert.equal(ledger.intents, 0);
  assert.equal(run.cash, "10000");
});

Deno.test("paper trading enforces the risk engine's breaches: a day's loss past the limit halts the rest of the run", async () => {
  const risk = new RiskEngine({
    maxOrderNotional: parseDec("100"),
    maxMarketNotional: parseDec("1000"),
    maxGroupNotional: parseDec("1000"),
    maxTotalNotional: parseDec("1000"),
    maxOpenOrders: 10,
    maxOrdersPerSecond: 100,
    maxDailyLoss: parseDec("0.01"),
    priceBand: parseDec("0.05"),
    maxBookAgeMs: MAX_AGE_MS,
    minEdge: ZERO,
  });
  // 200 ms: the first plant (a 300 ms basket) is bought on one leg and sold back at a loss.
  const { run } = await paper(200, risk);
  const [first, ...rest] = run.trades.toSorted((a, b) => a.episode.startedAt - b.episode.startedAt);
  assert.equal(first!.result.outcome, "unwound");
  assert.ok(first!.result.pnl < -parseDec("0.01"), formatDec(first!.result.pnl));
  assert.equal(risk.mode, "halted");
  assert.equal(rest.length, 8);
  for (const { result } of rest) {
    assert.deepEqual([result.outcome, result.orders, result.refused], ["missed", 0, 1]);
  }
});
