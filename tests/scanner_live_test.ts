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
import { type PlantedScenario, plantScenario } from "../simulator/plant.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { BookEventCapture, readBookEvents } from "../stream/capture.ts";
import { L2Books } from "../stream/l2_book.ts";
import { setup, startCollector, until } from "./_trades_harness.ts";

const MAX_AGE_MS = 1500;

/** Plays the scenario's events as venue frames, `delayMs` after start, in real time. */
function serveScenario(scenario: PlantedScenario, delayMs: number) {
  const books = new L2Books();
  const t0 = scenario.events[0]!.receivedAt;
  const market = new Map(
    scenario.relations.flatMap((r) => r.markets).map((m) => [m.yesTokenId, m.conditionId]),
  );
  for (const e of scenario.events) if (e.receivedAt === t0 && e.kind === "book") books.apply(e);
  const sockets = new Map<WebSocket, Set<string>>();
  const bookMessage = (tokenId: string) => {
    const b = books.book(tokenId)!;
    return {
      event_type: "book",
      market: market.get(tokenId),
      asset_id: tokenId,
      timestamp: String(Date.now()),
      hash: "h",
      bids: b.bids.toReversed().map(([price, size]) => ({ price, size })),
      asks: b.asks.toReversed().map(([price, size]) => ({ price, size })),
    };
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    const tokens = new Set<string>();
    socket.onopen = () => sockets.set(socket, tokens);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (m) => {
      if (m.data === "PING") return socket.send("PONG");
      const msg = JSON.parse(m.data as string) as { assets_ids: string[]; operation?: string };
      if (msg.operation === "unsubscribe") {
        for (const t of msg.assets_ids) tokens.delete(t);
        return;
      }
      const known = msg.assets_ids.filter((t) => market.has(t));
      for (const t of known) tokens.add(t);
      if (known.length > 0) socket.send(JSON.stringify(known.map(bookMessage)));
    };
    return response;
  });
  const stop = new AbortController();
  const played = (async () => {
    await sleep(delayMs, undefined, { signal: stop.signal });
    const begin = Date.now();
    for (const e of scenario.events) {
      if (e.receivedAt === t0 || e.kind !== "price_change") continue;
      const wait = begin + (e.receivedAt - t0) - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: stop.signal });
      books.apply(e);
      const frame = JSON.stringify({
        event_type: "price_change",
        market: market.get(e.tokenId),
        timestamp: String(Date.now()),
        price_changes: e.changes.map((c) => ({
          asset_id: e.tokenId,
          price: c.price,
          size: c.size,
          side: c.side,
          hash: "h",
        })),
      });
      for (const [socket, tokens] of sockets) if (tokens.has(e.tokenId)) socket.send(frame);
    }
  })().catch(() => {});
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    played,
    close: async () => {
      stop.abort();
      await played;
      for (const socket of sockets.keys()) socket.close();
      await server.shutdown();
    },
  };
}

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
  const server = serveScenario(scenario, 1500);
  const capturePath = await Deno.makeTempFile({ suffix: ".ndjson" });
  const t = await setup({
    PMCOLLECT_WS_MARKET_URL: server.url,
    PMCOLLECT_WS_TOKENS_PER_CONNECTION: "1",
    PMCOLLECT_QUOTES_INTERVAL_MS: "0",
  });
  const set = new RelationSet(scenario.relations);
  const live: Episode[] = [];
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
      // Played in real time: the duration holds within the loop's scheduling noise.
      const duration = episode.endedAt! - episode.startedAt;
      assert.ok(Math.abs(duration - (truth.endAt - truth.startAt)) < 150, `${duration} ms`);
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
