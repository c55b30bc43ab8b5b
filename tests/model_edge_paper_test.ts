/**
 * The model-edge playbook end to end on the simulator's planted scenario (`simulator/plant.ts`)
 * through `runPaper`: stored forecasts are handed to the executor at their instant, sized by the
 * capped Kelly fraction of the ledger's equity, sent through the risk engine and filled by the
 * paper broker into a real PostgreSQL ledger. Hand computation (fee 0.02 × p(1 − p) a share):
 *
 * - Token 1701 (pair market A's YES; quiet ask 0.42 × 1000, bid 0.38) forecast at 0.60:
 *   c = 0.42 + 0.02 × 0.42 × 0.58 = 0.424872, EV 0.175128 ≥ 0.03; full Kelly
 *   (0.6 − 0.424872)/(1 − 0.424872) = 0.3045…, a quarter 0.076… capped at 0.05; equity is the
 *   2000 deposited, so the budget is 100: floor(100 / 0.424872) = 235.36 shares, costing
 *   235.36 × 0.42 = 98.8512 plus the fee 0.02 × 235.36 × 0.2436 = 1.14667 (floored to 1e-5),
 *   99.99787 in all. One FAK at 0.42; it fills whole 100 ms later on the quiet book.
 * - Token 1801 (pair market B's YES; ask 0.62) forecast at 0.64: EV 0.64 − 0.62 − 0.004712 =
 *   0.015288 < 0.03: declined, with that reason, and nothing sent.
 * - A forecast made by the market baseline (no model) is declined whatever its numbers.
 */
import assert from "node:assert/strict";
import { formatDec, parseDec, ZERO } from "../edge/decimal.ts";
import { migrate } from "../db/migrate.ts";
import { createLedger } from "../execution/ledger.ts";
import type { ModelForecast } from "../execution/model_playbook.ts";
import { listStoredForecasts } from "../execution/model_trades.ts";
import { runPaper } from "../execution/paper.ts";
import { RiskEngine } from "../execution/risk.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { plantScenario } from "../simulator/plant.ts";
import { withDatabase } from "./_db.ts";

const d = parseDec;
const MAX_AGE_MS = 5000;
const T0 = 1_800_000_000_000;

function forecast(tokenId: string, marketId: string, probability: number, version: number | null) {
  return {
    marketId,
    tokenId,
    outcomeIndex: 0,
    probability,
    instant: T0 + 500,
    modelVersion: version,
  } satisfies ModelForecast;
}

Deno.test("model edge on the planted scenario: a forecast far from its price is bought as sized by hand; one below the threshold is declined with its reason", async () => {
  const { relations, events } = plantScenario({
    seed: 7,
    feeRateBp: 200,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const lines: string[] = [];
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const risk = new RiskEngine({
      maxOrderNotional: d("200"),
      maxMarketNotional: d("500"),
      maxGroupNotional: d("1000"),
      maxTotalNotional: d("2000"),
      maxOpenOrders: 20,
      maxOrdersPerSecond: 100,
      maxDailyLoss: d("500"),
      priceBand: d("0.02"),
      maxBookAgeMs: MAX_AGE_MS,
      minEdge: d("0.005"),
    });
    const run = await runPaper(events, new RelationSet(relations), {
      ledger: createLedger(db.sql, { log: silentLogger() }),
      log: createLogger({}, { write: (line) => lines.push(line) }),
      latencyMs: 100,
      cash: "2000",
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: 2000,
      limits: { maxBookAgeMs: MAX_AGE_MS, minEdge: ZERO },
      runId: "m",
      mirrorNo: true,
      risk,
      forecasts: [
        forecast("1701", "17", 0.6, 4),
        forecast("1801", "18", 0.64, 4),
        forecast("1401", "14", 0.9, null),
      ],
      model: {
        minEv: d("0.03"),
        kellyMultiplier: d("0.25"),
        kellyCap: d("0.05"),
        maxBookAgeMs: MAX_AGE_MS,
        maxForecastAgeMs: 60_000,
        priceBand: d("0.02"),
        maxOrderNotional: d("200"),
      },
    });
    assert.equal(run.forecastTrades.length, 3);
    const [bought, low, baseline] = run.forecastTrades;
    assert.equal(bought!.outcome, "filled_whole", bought!.decision.reason);
    assert.equal(formatDec(bought!.decision.order!.shares), "235.36");
    assert.equal(formatDec(bought!.decision.order!.price), "0.42");
    assert.equal(formatDec(bought!.decision.budget!), "100");
    assert.equal(formatDec(bought!.decision.cost!), "99.99787");
    assert.equal(formatDec(bought!.leg.bought), "235.36");
    assert.equal(formatDec(bought!.leg.notional + bought!.leg.fees), "99.99787");
    assert.equal(low!.outcome, "declined");
    assert.equal(low!.orders, 0);
    assert.equal(
      low!.decision.reason,
      "EV 0.015288 a share at the best ask 0.62 below the threshold 0.03",
    );
    assert.equal(baseline!.outcome, "declined");
    assert.match(baseline!.decision.reason, /^baseline forecast/);

    // The ledger holds the one order and its fill, at the hand-computed cost.
    const rows = await db.sql<{ token_id: string; size: string; price: string; fee: string }[]>`
      select f.token_id, f.size::text, f.price::text, f.fee::text
      from fills f join intents i using (client_order_id)
      where i.order_type = 'FAK' and f.token_id in ('1701', '1801', '1401')`;
    assert.equal(rows.length, 1);
    assert.equal(formatDec(d(rows[0]!.size)), "235.36");
    assert.equal(formatDec(d(rows[0]!.price)), "0.42");
    assert.equal(formatDec(d(rows[0]!.fee)), "1.14667");
    const [cash] = await db.sql<{ spent: string }[]>`
      select sum(c.amount)::text as spent from cash c join fills f on f.fill_id = c.ref
      where f.token_id = '1701'`;
    assert.equal(formatDec(d(cash!.spent)), "-99.99787");

    // Every decision is logged with the forecast, price, EV, size and why.
    const logged = lines.map((l) => JSON.parse(l)).filter((l) =>
      l.event === "executor_model_decision"
    );
    assert.equal(logged.length, 3);
    const act = logged.find((l) => l.tokenId === "1701")!;
    assert.equal(act.action, "act");
    assert.equal(act.probability, "0.6");
    assert.equal(act.bestAsk, "0.42");
    assert.equal(act.order.shares, "235.36");
    assert.equal(act.evAtBest, "0.175128");
    assert.match(act.reason, /^EV \S+ a share ≥ 0\.03; Kelly 0\.05 of equity 2000 = 100$/);
    assert.equal(logged.find((l) => l.tokenId === "1801")!.action, "decline");
  });
});

Deno.test("listStoredForecasts() gives a paper run the window's model forecasts of the followed tokens, oldest first", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const row = (instant: number, tokenId: string, outcome: number, version: number | null) =>
      db.sql`insert into forecasts (instant, market_id, token_id, outcome_index, horizon,
          model_version, market_price, probability)
        values (${new Date(instant)}, '17', ${tokenId}, ${outcome}, '24h', ${version}, 0.4,
          ${outcome === 0 ? 0.6 : 0.4})`;
    await row(T0 + 2000, "1702", 1, 4);
    await row(T0 + 1000, "1701", 0, 4);
    await row(T0 + 1000, "1702", 1, 4);
    await row(T0 + 1000, "1801", 0, null); // baseline: left out
    await row(T0 + 1000, "9901", 0, 4); // not followed: left out
    await row(T0 - 1, "1701", 0, 4); // before the window
    await row(T0 + 3000, "1701", 0, 4); // at its end: outside
    const forecasts = await listStoredForecasts(db.sql, {
      since: new Date(T0),
      until: new Date(T0 + 3000),
      tokenIds: ["1701", "1702", "1801"],
    });
    assert.deepEqual(forecasts, [
      {
        marketId: "17",
        tokenId: "1701",
        outcomeIndex: 0,
        probability: 0.6,
        instant: T0 + 1000,
        modelVersion: 4,
      },
      {
        marketId: "17",
        tokenId: "1702",
        outcomeIndex: 1,
        probability: 0.4,
        instant: T0 + 1000,
        modelVersion: 4,
      },
      {
        marketId: "17",
        tokenId: "1702",
        outcomeIndex: 1,
        probability: 0.4,
        instant: T0 + 2000,
        modelVersion: 4,
      },
    ]);
  });
});
