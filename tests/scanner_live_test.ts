/**
 * End to end: planted mispricings played as venue websocket frames by a local server, received
 * by the trades listener, forwarded to the scanner through the feed, and captured as NDJSON;
 * then the capture replayed by the backtest. The live episodes must match the planted truth
 * (every plan, none on the incomplete group or the stale leg) and the replay must give exactly
 * the live episodes.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { formatDec } from "../edge/decimal.ts";
import { runBacktest } from "../scanner/backtest.ts";
import { type Episode, episodeJson } from "../scanner/episode.ts";
import { createScannerFeed } from "../scanner/feed.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import { Scanner } from "../scanner/scanner.ts";
import { plantScenario } from "../simulator/plant.ts";
import { servePlantedScenario } from "../simulator/plant_server.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { BookEventCapture, readBookEvents } from "../stream/capture.ts";
import { setup, startCollector, until } from "./_trades_harness.ts";

const MAX_AGE_MS = 1500;

function comparable(episodes: readonly Episode[]) {
  return episodes.map((e) => {
    const { replayed: _, ...rest } = episodeJson(e);
    return rest;
  }).sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt)));
}

Deno.test("live scanner on planted frames finds the truth; the captured stream replays to the same episodes", async () => {
  const scenario = plantScenario({
    seed: 21,
    durationsMs: [1100],
    quietMs: 500,
    noiseMs: 20,
    maxBookAgeMs: MAX_AGE_MS,
  });
  const server = servePlantedScenario(scenario, { delayMs: 1500 });
  const capturePath = await Deno.makeTempFile({ suffix: ".ndjson" });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: server.url,
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
    PMCOLLECT_QUOTES_INTERVAL_MS: "0",
  });
  const set = new RelationSet(scenario.relations);
  const live: Episode[] = [];
  let served:
    | { truth: { plantKey: string; channel: string; sentStartAt: number; sentEndAt: number }[] }
    | null = null;
  const scanner = new Scanner(set, {
    maxBookAgeMs: MAX_AGE_MS,
    maxSkewMs: MAX_AGE_MS,
    onEpisode: (episode, phase) => void (phase === "final" && live.push(episode)),
  });
  const capture = await BookEventCapture.open(capturePath);
  const feed = createScannerFeed();
  const collector = await startCollector({ ...t.deps(t.db.sql), bookFeed: feed });
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
      push: (event: BookEvent) => {
        capture.push(event);
        scanner.push(event);
      },
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
      scanner.advance(Date.now());
    } finally {
      clearInterval(ticker);
    }
  } finally {
    await collector.stop();
    capture.close();
    served = await (await fetch(server.truthUrl)).json();
    await server.close();
  }
  try {
    const expected = scenario.truth.filter((truth) => truth.expected);
    assert.equal(live.length, expected.length, JSON.stringify(comparable(live), null, 1));
    for (const truth of expected) {
      const found = live.filter((e) =>
        e.relationKey === truth.relationKey && e.channel === truth.channel
      );
      assert.equal(found.length, 1, truth.relationKey);
      const episode = found[0]!;
      assert.equal(formatDec(episode.peakProfit), truth.profit);
      assert.equal(episode.endReason, "no_edge");
      // Played in real time beside the rest of the suite: how fast an episode is seen is the
      // scanner benchmark's to measure (`bench/scanner_bench.ts`, detection latency); a timed
      // bound here failed CI runs both ways (an episode of 1,626 and of 808 ms for frames sent
      // 1,100 ms apart) when the loop stalled. What holds under any load: the episode opens on
      // or after its start frame was sent and before its end frame was, and closes on or after
      // that (by the edge's end, `no_edge` above, not by the books' age).
      const sent = served!.truth.find((t) =>
        t.plantKey === truth.relationKey && t.channel === truth.channel
      )!;
      const order = `opened ${episode.startedAt - sent.sentStartAt} ms and closed ${
        episode.endedAt! - sent.sentStartAt
      } ms after the start frame; end frame sent at ${sent.sentEndAt - sent.sentStartAt} ms`;
      assert.ok(episode.startedAt >= sent.sentStartAt, order);
      assert.ok(episode.startedAt < sent.sentEndAt, order);
      assert.ok(episode.endedAt! >= sent.sentEndAt, order);
    }
    // The backtest over the capture: the same episodes, field by field.
    const replay = await runBacktest(readBookEvents(capturePath), set, {
      maxBookAgeMs: MAX_AGE_MS,
      maxSkewMs: MAX_AGE_MS,
    });
    assert.ok(replay.episodes.every((e) => e.replayed));
    assert.deepEqual(comparable(replay.episodes), comparable(live));
  } finally {
    await t.dispose();
    await Deno.remove(capturePath);
  }
});
