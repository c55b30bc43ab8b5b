/**
 * Issue 17's "live and replay over the same interval produce the same episodes", from the
 * database: planted mispricings played as venue frames through the real trades listener with
 * recording on and the scanner attached; then `pmcollect backtest`'s source without
 * `--from-file` (the recorded `book_events`, through `stream/replay.ts`) fed to the backtest
 * over the recorded interval. The replayed episodes equal the live ones field for field; and
 * `pmcollect backtest --since --until` itself (relations from the catalog) stores them so.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { backtestSource, runBacktestCommand } from "../cli/backtest_command.ts";
import type { Queryable } from "../db/client.ts";
import { type EpisodeRow, listEpisodes } from "../db/episodes.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { episodeRow } from "../scanner/episode.ts";
import type { PlantedScenario } from "../simulator/plant.ts";
import { runBacktest } from "../scanner/backtest.ts";
import { type Episode, episodeJson } from "../scanner/episode.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { Scanner } from "../scanner/scanner.ts";
import { plantScenario } from "../simulator/plant.ts";
import { servePlantedScenario } from "../simulator/plant_server.ts";
import type { StreamRecorder } from "../stream/recorder.ts";
import { setup, startCollector, until } from "./_trades_harness.ts";

const MAX_AGE_MS = 1500;

function comparable(episodes: readonly Episode[]) {
  return episodes.map((e) => {
    const { replayed: _, ...rest } = episodeJson(e);
    return rest;
  }).sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt)));
}

/** The scenario's relations as catalog rows (as tests/scanner_task_test.ts seeds them). */
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

Deno.test("backtest over the recorded stream in the database gives the live scanner's episodes", async () => {
  const scenario = plantScenario({
    seed: 33,
    durationsMs: [1100],
    quietMs: 500,
    noiseMs: 20,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const server = servePlantedScenario(scenario, { delayMs: 1500 });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: server.url,
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
    PMCOLLECT_QUOTES_INTERVAL_MS: "0",
    PMCOLLECT_STREAM_RECORD: "on",
  });
  const set = new RelationSet(scenario.relations);
  const live: Episode[] = [];
  const scanner = new Scanner(set, {
    maxBookAgeMs: MAX_AGE_MS,
    maxSkewMs: MAX_AGE_MS,
    onEpisode: (episode, phase) => void (phase === "final" && live.push(episode)),
  });
  const feed = createScannerFeed();
  let recorder: StreamRecorder | null = null;
  const from = new Date();
  const collector = await startCollector({
    ...t.deps(t.db.sql),
    bookFeed: feed,
    onRecorder: (r) => (recorder = r),
  });
  let to: Date;
  try {
    t.activeTokens.publish(
      set.tokens().map((tokenId) => ({
        tokenId,
        conditionId: set.marketOf(tokenId)!.conditionId,
        marketId: set.marketOf(tokenId)!.marketId,
      })),
    );
    feed.attach({
      watches: (token) => scanner.watches(token),
      push: (event) => scanner.push(event),
      resubscribed: (ids) => scanner.resubscribed(ids),
    }, set.tokens());
    const ticker = setInterval(() => scanner.advance(Date.now()), 50);
    try {
      await server.played;
      await until(() => {
        scanner.advance(Date.now());
        return scanner.openEpisodes === 0;
      }, 5000);
      await sleep(1200);
      to = new Date();
      scanner.advance(to.getTime());
    } finally {
      clearInterval(ticker);
    }
  } finally {
    await collector.stop();
    await server.close();
  }
  try {
    const rec = recorder as unknown as StreamRecorder;
    assert.ok(rec.stats.rowsWritten > 0, "the listener recorded the stream");
    const expected = scenario.truth.filter((truth) => truth.expected);
    assert.ok(expected.length > 0);
    assert.equal(live.length, expected.length, JSON.stringify(comparable(live), null, 1));
    // The command's source without --from-file: the recorded stream of the relations' tokens.
    const source = backtestSource(t.db.sql, set, { fromFile: null, until: to });
    const replay = await runBacktest(source, set, {
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: MAX_AGE_MS,
      since: from.getTime(),
      until: to.getTime(),
    });
    assert.ok(replay.events > 0);
    assert.ok(replay.episodes.every((e) => e.replayed));
    assert.ok(live.every((e) => !e.replayed));
    assert.deepEqual(comparable(replay.episodes), comparable(live));

    // The command itself: relations from the catalog, episodes stored as replayed. Beside the
    // marker only `startSequence` differs: live it counts the listener's feed events, replayed
    // it is the recorder's sequence.
    await seedCatalog(t.db.sql, scenario);
    const config = loadConfig({
      DATABASE_URL: t.db.url!,
      PMCOLLECT_SCANNER_MAX_BOOK_AGE_MS: String(MAX_AGE_MS),
      PMCOLLECT_SCANNER_MAX_SKEW_MS: String(MAX_AGE_MS),
      PMCOLLECT_SCANNER_CONVERT_FEE_BIPS: "0",
    });
    const out: string[] = [];
    const args = ["--since", from.toISOString(), "--until", to!.toISOString()];
    const code = await runBacktestCommand(config, {
      log: silentLogger(),
      signal: new AbortController().signal,
      write: (line: string) => out.push(line),
      args,
    });
    assert.equal(code, 0, out.join("\n"));
    const stored = await listEpisodes(t.db.sql, { since: from, until: to!, replayed: true });
    // The catalog loader names an implication pair `KEY:A=>B`; the planted relation is `KEY`.
    const strip = (rows: readonly EpisodeRow[]) =>
      rows.map(({ replayed: _r, startSequence: _s, ...rest }) => ({
        ...rest,
        relationKey: rest.relationKey.split(":")[0],
      })).toSorted((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    assert.equal(stored.length, live.length);
    assert.deepEqual(strip(stored), strip(live.map(episodeRow)));
  } finally {
    await t.dispose();
  }
});
