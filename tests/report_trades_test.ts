/**
 * `pmcollect report --day D` on a paper run of the simulator's planted scenario (three
 * durations × basket, conversion and implication, fee 0.02 × p(1 − p), 100 ms latency: every
 * plant filled whole at its planted profit, as tests/paper_planted_test.ts shows) plus one model
 * forecast bought on the quiet book. The report's counts are the planted ones, and its P&L and
 * capital per channel are what the ledger holds for that channel's tokens: cash from fills and
 * fees, the conversions' collateral, the complete sets held at 1 a set, and the model's shares
 * at the quiet best bid (0.38) it was marked at.
 */
import assert from "node:assert/strict";
import { formatDec, mulDec, parseDec, ZERO } from "../edge/decimal.ts";
import { migrate } from "../db/migrate.ts";
import { createLedger } from "../execution/ledger.ts";
import { runPaper } from "../execution/paper.ts";
import { runReportCommand } from "../cli/report_command.ts";
import { listTradeDay } from "../cli/_report_trades.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { plantScenario } from "../simulator/plant.ts";
import { withDatabase } from "./_db.ts";

const d = parseDec;
const MAX_AGE_MS = 5000;
const T0 = 1_800_000_000_000;
const DAY = new Date(T0).toISOString().slice(0, 10);

Deno.test("report --day on a planted paper run: per channel counts are the planted episodes, P&L and capital what the ledger holds", async () => {
  const { relations, events, truth } = plantScenario({
    seed: 7,
    feeRateBp: 200,
    maxBookAgeMs: MAX_AGE_MS,
  });
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const run = await runPaper(events, new RelationSet(relations), {
      ledger: createLedger(db.sql, { log: silentLogger() }),
      log: silentLogger(),
      latencyMs: 100,
      cash: "10000",
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: 2000,
      limits: { maxBookAgeMs: MAX_AGE_MS, minEdge: ZERO },
      runId: "r",
      mirrorNo: true,
      forecasts: [{
        marketId: "17",
        tokenId: "1701",
        outcomeIndex: 0,
        probability: 0.6,
        instant: T0 + 500,
        modelVersion: 2,
      }],
      model: {
        minEv: d("0.03"),
        kellyMultiplier: d("0.25"),
        kellyCap: d("0.05"),
        maxBookAgeMs: MAX_AGE_MS,
        maxForecastAgeMs: 60_000,
        priceBand: d("0.02"),
        maxOrderNotional: d("1000"),
      },
    });
    assert.equal(run.forecastTrades[0]!.outcome, "filled_whole");

    // What the ledger holds per channel's tokens.
    const of = (key: string) => relations.find((r) => r.key === key)!.markets;
    const tokens: Record<string, string[]> = {
      neg_risk_basket: of("group-basket").map((m) => m.yesTokenId),
      neg_risk_conversion: of("group-conversion").map((m) => m.noTokenId),
      implication: [of("pair-implication")[0]!.noTokenId, of("pair-implication")[1]!.yesTokenId],
      model_edge: ["1701"],
    };
    const ledgerOf = async (channel: string) => {
      const ids = tokens[channel]!;
      const [cash] = await db.sql<{ amount: string }[]>`
        select coalesce(sum(c.amount), 0)::text as amount from cash c
        join fills f on f.fill_id = c.ref where f.token_id = any(${ids})`;
      const [capital] = await db.sql<{ amount: string }[]>`
        select coalesce(sum(price * size + fee), 0)::text as amount from fills
        where side = 'BUY' and token_id = any(${ids})`;
      const held = await db.sql<{ size: string }[]>`
        select size::text from positions where token_id = any(${ids})`;
      let pnl = d(cash!.amount);
      if (channel === "neg_risk_conversion") {
        const [conv] = await db.sql<{ amount: string }[]>`
          select coalesce(sum(amount), 0)::text as amount from cash where reason = 'conversion'`;
        pnl += d(conv!.amount);
      } else if (channel === "model_edge") {
        pnl += mulDec(d(held[0]!.size), d("0.38"));
      } else {
        // Complete sets held to resolution, at 1 a set.
        assert.equal(held.length, ids.length);
        pnl += held.map((h) => d(h.size)).reduce((m, x) => (x < m ? x : m));
      }
      return { pnl: formatDec(pnl), capital: formatDec(d(capital!.amount)) };
    };

    const day = await listTradeDay(db.sql, {
      since: new Date(`${DAY}T00:00:00Z`),
      until: new Date(Date.parse(`${DAY}T00:00:00Z`) + 86_400_000),
      schema: db.schema,
    });
    assert.deepEqual(day.channels.map((c) => c.channel), [
      "implication",
      "model_edge",
      "neg_risk_basket",
      "neg_risk_conversion",
    ]);
    for (const c of day.channels) {
      const planted = truth.filter((t) => t.expected && t.channel === c.channel);
      const expectedCount = c.channel === "model_edge" ? 1 : 3;
      assert.equal(c.seen, expectedCount, c.channel);
      assert.equal(c.acted, expectedCount, c.channel);
      assert.equal(c.filledWhole, expectedCount, c.channel);
      assert.equal(c.filledShort + c.unwound + c.missed + c.declined, 0, c.channel);
      const ledger = await ledgerOf(c.channel);
      assert.equal(formatDec(c.pnl), ledger.pnl, `${c.channel} P&L is the ledger's`);
      assert.equal(formatDec(c.capital), ledger.capital, `${c.channel} capital is the ledger's`);
      if (c.channel !== "model_edge") {
        // The planted truth's profit, and no slippage: every plant filled as planned.
        const profit = planted.reduce((sum, t) => sum + d(t.profit), ZERO);
        assert.equal(formatDec(c.pnl), formatDec(profit), c.channel);
        assert.equal(formatDec(c.planned), formatDec(profit), c.channel);
      }
    }
    const [{ fills }] = await db.sql<{ fills: number }[]>`select count(*)::int as fills from fills`;
    assert.equal(day.fills, fills);

    // The command: text per channel, and a page with the P&L curve and the slippage plot.
    const html = await Deno.makeTempFile({ suffix: ".html" });
    try {
      const lines: string[] = [];
      const config = loadConfig({ DATABASE_URL: db.url });
      const code = await runReportCommand(config, {
        log: silentLogger(),
        signal: new AbortController().signal,
        write: (line) => lines.push(line),
        args: ["--day", DAY, "--html", html],
      });
      assert.equal(code, 0);
      const basket = day.channels.find((c) => c.channel === "neg_risk_basket")!;
      const line = lines.find((l) => l.trimStart().startsWith("neg_risk_basket: 3 seen"));
      assert.ok(line !== undefined, lines.join("\n"));
      assert.ok(line.includes(`P&L ${formatDec(basket.pnl)} against planned`), line);
      assert.ok(line.includes("3 filled whole, 0 filled short, 0 unwound"), line);
      const page = await Deno.readTextFile(html);
      assert.match(page, /Cumulative P&#38;L after fees, per channel/);
      assert.match(page, /Planned edge \(grey\) against P&#38;L, per channel/);
      assert.equal((page.match(/<polyline/g) ?? []).length >= 4, true);
    } finally {
      await Deno.remove(html);
    }
  });
});
