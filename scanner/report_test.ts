import assert from "node:assert/strict";
import { parseBacktestArgs } from "../cli/backtest_command.ts";
import { UsageError } from "../cli/command_line.ts";
import { plantScenario } from "../simulator/plant.ts";
import { runBacktest } from "./backtest.ts";
import { episodeRow } from "./episode.ts";
import { RelationSet } from "./relation_set.ts";
import { reportHtml, reportText, summarize } from "./report.ts";

async function plantedRows() {
  const scenario = plantScenario({ seed: 2, durationsMs: [300, 1500, 4000] });
  const result = await runBacktest(scenario.events, new RelationSet(scenario.relations), {
    maxBookAgeMs: 5000,
    maxSkewMs: 5000,
  });
  return result.episodes.map(episodeRow);
}

Deno.test("summarize() gives per channel the count, median duration, capacity, profit and survival", async () => {
  const rows = await plantedRows();
  const summary = summarize(rows);
  assert.deepEqual(summary.map((s) => [s.channel, s.episodes]), [
    ["implication", 3],
    ["neg_risk_basket", 3],
    ["neg_risk_conversion", 3],
  ]);
  const basket = summary.find((s) => s.channel === "neg_risk_basket")!;
  assert.equal(basket.medianDurationMs, 1500);
  // Three plants of 4 legs × 100 shares × 1¢.
  assert.equal(basket.profit, "12");
  // Every plan still pays 250 ms on; 1 s on only the 1.5 s and 4 s plants do.
  assert.equal(basket.survived250ms, 1);
  assert.equal(basket.survived1s, 2 / 3);
  const text = reportText(summary, "2027-01-15");
  assert.match(text, /neg_risk_basket\s+3\s+1\.50 s/);
  assert.match(text, /66\.7%/);
});

Deno.test("reportHtml() draws the three plots as inline SVG", async () => {
  const rows = await plantedRows();
  const day = rows[0]!.startedAt.toISOString().slice(0, 10);
  const html = reportHtml(summarize(rows), rows, day);
  assert.equal(html.match(/<svg /g)?.length, 3);
  // One dot per episode in the edge-vs-duration plot, one bar per channel.
  assert.equal(html.match(/<circle /g)?.length, rows.length);
  assert.equal(html.match(/<rect /g)?.length, 3);
  assert.doesNotMatch(html, /NaN/);
});

Deno.test("parseBacktestArgs() needs --from-file or an interval, and valid instants", () => {
  assert.throws(() => parseBacktestArgs(["--since", "2026-01-01"]), UsageError);
  const recorded = parseBacktestArgs(["--since", "2026-01-01", "--until", "2026-01-02"]);
  assert.deepEqual([recorded.fromFile, recorded.until?.toISOString()], [
    null,
    "2026-01-02T00:00:00.000Z",
  ]);
  assert.throws(() => parseBacktestArgs(["--from-file", "f", "--since", "soon"]), UsageError);
  const args = parseBacktestArgs(["--from-file", "f", "--events", "1, 2", "--until", "2026-02-01"]);
  assert.deepEqual(args.events, ["1", "2"]);
  assert.equal(args.until?.toISOString(), "2026-02-01T00:00:00.000Z");
});
