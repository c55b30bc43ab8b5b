/**
 * Issue 17's "live and replay over the same interval produce the same episodes", from the
 * database: planted mispricings played as venue frames through the real trades listener with
 * recording on and the scanner attached; then `pmcollect backtest`'s source without
 * `--from-file` (the recorded `book_events`, through `stream/replay.ts`) fed to the backtest
 * over the recorded interval. The replayed episodes equal the live ones field for field.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { backtestSource } from "../cli/backtest_command.ts";
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
  } finally {
    await t.dispose();
  }
});
