/**
 * The scanner as the daemon runs it: relations, markets and tokens from the catalog, the task
 * attached to the feed (asking the listener for fresh snapshots of every watched token), and
 * episodes written; then `pmcollect backtest` over the same events as a capture file, and
 * `pmcollect report` over the day.
 */
import assert from "node:assert/strict";
import { runBacktestCommand } from "../cli/backtest_command.ts";
import { runReportCommand } from "../cli/report_command.ts";
import type { HttpClient } from "../polymarket/http.ts";
import { createActiveTokens } from "../collectors/_active_tokens.ts";
import { listEpisodes } from "../db/episodes.ts";
import type { Queryable } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { runScanner } from "../scanner/run.ts";
import { type PlantedScenario, plantScenario } from "../simulator/plant.ts";
import { bookEventLine } from "../stream/capture.ts";
import { createTestDatabase } from "./_db.ts";
import { until } from "./_trades_harness.ts";
import { setTimeout as sleep } from "node:timers/promises";

const log = silentLogger();

/** The scenario's relations as catalog rows; the incomplete group stays `incomplete`. */
async function seedCatalog(sql: Queryable, scenario: PlantedScenario): Promise<void> {
  for (const r of scenario.relations) {
    for (const m of r.markets) {
      await sql`insert into markets (market_id, event_id, condition_id, tick_size, min_order_size,
          end_date, question_index, fee_rate, fee_exponent, fee_taker_only)
        values (${m.marketId}, ${`ev-${r.key}`}, ${m.conditionId}, ${m.tickSize},
          ${m.minOrderSize}, ${m.endDate}, ${m.questionIndex ?? null}, 0, 1, true)`;
      await sql`insert into tokens (token_id, market_id, outcome_index)
        values (${m.yesTokenId}, ${m.marketId}, 0), (${m.noTokenId}, ${m.marketId}, 1)`;
    }
    const group = r.kind === "group";
    await sql`insert into relations (relation_key, type, members, provenance, status, rules_digest)
      values (${r.key}, ${group ? "partition" : "implies"}, ${r.markets.map((m) => m.marketId)},
        'test', ${group && !r.complete ? "incomplete" : "confirmed"}, 'd')`;
  }
}

Deno.test("the scanner task writes the planted episodes; backtest and report read the same day", async () => {
  const db = await createTestDatabase("server");
  const file = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    await migrate(db.sql, { log, timescale: "off" });
    const scenario = plantScenario({ seed: 13, durationsMs: [1100], maxBookAgeMs: 5000 });
    await seedCatalog(db.sql, scenario);
    // Shifted so the scenario ended a minute ago: the task's clock is then past every instant.
    const shift = Date.now() - 60_000 - scenario.events.at(-1)!.receivedAt;
    const events = scenario.events.map((e) => ({ ...e, receivedAt: e.receivedAt + shift }));
    const expected = scenario.truth.filter((t) => t.expected);
    const config = loadConfig({
      DATABASE_URL: db.url!,
      PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: "5000",
      PMCOLLECT_SCANNER_MAX_SKEW_MS: "5000",
      PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: "0",
    });
    const feed = createScannerFeed();
    const resynced: string[] = [];
    feed.bindResync((ids) => resynced.push(...ids));
    // The task's clock follows the frames pushed (as a live clock follows the socket), then
    // jumps to now: its ticks never run ahead of the events.
    let clock = events[0]!.receivedAt;
    const controller = new AbortController();
    const task = runScanner({
      config,
      sql: db.sql,
      http: null as unknown as HttpClient,
      log,
      activeTokens: createActiveTokens(),
      now: () => clock,
      feed,
    }, controller.signal).catch((err) => {
      if (!controller.signal.aborted) throw err;
    });
    // Attached: it asked for snapshots of every leg of the confirmed relations.
    await until(() => resynced.length > 0, 5000);
    const watched = scenario.relations.filter((r) => r.key !== "group-incomplete")
      .flatMap((r) => r.markets.map((m) => m.yesTokenId));
    assert.deepEqual(resynced.toSorted(), watched.toSorted());
    assert.equal(feed.watches(scenario.relations[2]!.markets[0]!.yesTokenId), false);
    // One listener batch per receive instant, with the event loop turning in between, as a
    // socket delivers frames: each pass then falls on an instant boundary, as in the replay.
    const watchedEvents = events.filter((e) => feed.watches(e.tokenId));
    for (let i = 0; i < watchedEvents.length;) {
      let j = i;
      while (
        j < watchedEvents.length && watchedEvents[j]!.receivedAt === watchedEvents[i]!.receivedAt
      ) j++;
      clock = watchedEvents[i]!.receivedAt;
      feed.push(watchedEvents.slice(i, j));
      i = j;
      await sleep(0);
    }
    clock = Date.now();
    const since = new Date(events[0]!.receivedAt);
    const till = new Date(events.at(-1)!.receivedAt + 1);
    await until(async () => {
      const rows = await listEpisodes(db.sql, { since, until: till, replayed: false });
      return rows.length === expected.length && rows.every((r) => r.final);
    }, 10_000);
    controller.abort();
    await task;
    const live = await listEpisodes(db.sql, { since, until: till, replayed: false });
    assert.deepEqual(
      live.map((r) => [r.channel, r.startedAt.getTime() - shift, r.peakProfit]).toSorted(),
      expected.map((t) => [t.channel, t.startAt, t.profit]).toSorted(),
    );

    // The same events as a capture: the backtest writes the same episodes, marked replayed.
    await Deno.writeTextFile(file, events.map(bookEventLine).join(""));
    const out: string[] = [];
    const context = {
      log,
      signal: new AbortController().signal,
      write: (l: string) => out.push(l),
    };
    assert.equal(await runBacktestCommand(config, { ...context, args: ["--from-file", file] }), 0);
    const replayed = await listEpisodes(db.sql, { since, until: till, replayed: true });
    const strip = (rows: typeof live) =>
      rows.map(({ replayed: _, ...rest }) => ({ ...rest })).map((r) => JSON.stringify(r));
    assert.deepEqual(strip(replayed), strip(live));

    const basket = live.find((r) => r.channel === "neg_risk_basket")!;
    const day = basket.startedAt.toISOString().slice(0, 10);
    out.length = 0;
    const html = `${file}.html`;
    assert.equal(
      await runReportCommand(config, { ...context, args: ["--day", day, "--html", html] }),
      0,
    );
    assert.match(out.join("\n"), /neg_risk_basket\s+1\s/);
    assert.match(await Deno.readTextFile(html), /<svg /);
    await Deno.remove(html);
  } finally {
    await Deno.remove(file);
    await db.dispose();
  }
});
