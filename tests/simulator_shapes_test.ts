/**
 * Every shape the simulator serves is checked against the recorded fixtures: same keys, same
 * JSON type per key (string vs number vs boolean vs array vs object).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { startSimulator } from "../simulator/server.ts";

const FIXTURES = new URL("./fixtures/polymarket/", import.meta.url);

async function fixture(path: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(path, FIXTURES)));
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Keys of `recorded` missing from `served` or with another JSON type (nulls are lenient). */
function shapeDiff(served: unknown, recorded: unknown, skip: string[] = []): string[] {
  const s = served as Record<string, unknown>;
  const r = recorded as Record<string, unknown>;
  const out: string[] = [];
  for (const [key, value] of Object.entries(r)) {
    if (skip.includes(key)) continue;
    if (!(key in s)) out.push(`missing ${key}`);
    else if (value !== null && s[key] !== null && jsonType(value) !== jsonType(s[key])) {
      out.push(`${key}: ${jsonType(s[key])} instead of ${jsonType(value)}`);
    }
  }
  return out;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  assertEquals(res.status, 200, url);
  return await res.json();
}

function collectFrames(ws: WebSocket, until: (msgs: Record<string, unknown>[]) => boolean) {
  const msgs: Record<string, unknown>[] = [];
  return new Promise<Record<string, unknown>[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for frames")), 8000);
    ws.onmessage = (e) => {
      if (e.data === "PONG") return;
      const value = JSON.parse(String(e.data));
      msgs.push(...(Array.isArray(value) ? value : [value]));
      if (until(msgs)) {
        clearTimeout(timer);
        resolve(msgs);
      }
    };
  });
}

Deno.test("simulator Gamma market and event objects match the recorded shapes", async () => {
  await using sim = await start();
  const openNegRisk = sim.universe.markets.find((m) =>
    m.status === "open" && m.negRiskMarketId !== ""
  )!;
  const served = await getJson(`${sim.url}/markets/${openNegRisk.id}`) as Record<string, unknown>;
  const events = await fixture("gamma/events_negrisk_dem_nominee_2028.json") as Record<
    string,
    unknown
  >[];
  const recordedMarket = (events[0].markets as unknown[])[0];
  assertEquals(shapeDiff(served, recordedMarket), []);
  assertEquals(typeof JSON.parse(served.clobTokenIds as string)[0], "string");
  const closed = sim.universe.markets.find((m) =>
    m.status === "closed" && m.finalPrices?.includes("1")
  )!;
  const servedClosed = await getJson(`${sim.url}/markets/${closed.id}`) as Record<string, unknown>;
  const recordedClosed = await fixture("gamma/market_closed_resolved_yes_2026.json");
  assertEquals(shapeDiff(servedClosed, recordedClosed, ["clobRewards", "gameStartTime"]), []);
  assertEquals(
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00$/.test(servedClosed.closedTime as string),
    true,
  );
  assertEquals(servedClosed.umaResolutionStatus, "resolved");
  const page = await getJson(`${sim.url}/events/keyset?limit=5&id=${events[0].id}`) as {
    events: unknown[];
  };
  assertEquals(page.events.length, 0); // fixture id is not a simulated event
  const servedEvent = await getJson(
    `${sim.url}/events/${sim.universe.events[openNegRisk.eventIndex].id}`,
  );
  const skipEvent = [
    "markets",
    "countryName",
    "electionType",
    "startTime",
    "gmpChartMode",
    "estimateValue",
    "cumulativeMarkets",
    "competitive",
    "volume1mo",
    "volume1yr",
    "deployingTimestamp",
  ];
  assertEquals(shapeDiff(servedEvent, events[0], skipEvent), []);
  const nested = (servedEvent as { markets: unknown[] }).markets[0];
  assertEquals(shapeDiff(nested, recordedMarket), []);
});

Deno.test("simulator CLOB book, market and Data API trades match the recorded shapes", async () => {
  await using sim = await start();
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const book = await getJson(`${sim.url}/book?token_id=${m.tokenIds[0]}`);
  assertEquals(shapeDiff(book, await fixture("clob/book_2026-08_negrisk_empty_asks.json")), []);
  assertEquals(/^[0-9a-f]{40}$/.test((book as { hash: string }).hash), true);
  const market = await getJson(`${sim.url}/markets/${m.conditionId}`);
  assertEquals(
    shapeDiff(market, await fixture("clob/market_by_condition_closed_2026.json"), [
      "game_start_time",
    ]),
    [],
  );
  const tokens = (market as { tokens: unknown[] }).tokens;
  const recordedTokens =
    (await fixture("clob/market_by_condition_closed_2026.json") as { tokens: unknown[] }).tokens;
  assertEquals(shapeDiff(tokens[0], recordedTokens[0]), []);
  const page = await getJson(`${sim.url}/markets?next_cursor=MA==`);
  const recordedPage = await fixture("clob/markets_page_2024_trimmed.json");
  assertEquals(shapeDiff(page, recordedPage), []);
  sim.control.advance(40);
  const traded = sim.control.tradeCount();
  assertEquals(traded > 0, true);
  const v1 = await getJson(`${sim.url}/trades?limit=3`) as unknown[];
  const recordedV1 = await fixture("data-api/trades_v1_2024_partly_sanitized.json") as unknown[];
  assertEquals(shapeDiff(v1[0], recordedV1[0]), []);
  const v2 = await getJson(`${sim.url}/v2/trades?limit=2`) as {
    data: unknown[];
    pagination: unknown;
  };
  const recordedV2 = await fixture("data-api/v2_trades_2026-09.json") as {
    data: unknown[];
    pagination: unknown;
  };
  assertEquals(shapeDiff(v2.data[0], recordedV2.data[0]), []);
  assertEquals(shapeDiff(v2.pagination, recordedV2.pagination), []);
});

Deno.test("simulator websocket book, price_change, last_trade_price and custom events match the recorded shapes", async () => {
  await using sim = await start();
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const ws = new WebSocket(sim.wsUrl);
  await new Promise((r) => (ws.onopen = r));
  const done = collectFrames(
    ws,
    (msgs) =>
      ["book", "price_change", "last_trade_price", "market_resolved", "new_market"]
        .every((t) => msgs.some((x) => x.event_type === t)),
  );
  ws.send(
    JSON.stringify({ assets_ids: [...m.tokenIds], type: "market", custom_feature_enabled: true }),
  );
  const interval = setInterval(() => {
    sim.control.advance(5);
  }, 20);
  const stop = setTimeout(() => {
    sim.control.listMarket();
    sim.control.resolve(m.conditionId, 0);
  }, 400);
  try {
    const msgs = await done;
    const first = (t: string) => msgs.find((x) => x.event_type === t)!;
    assertEquals(
      shapeDiff(first("book"), await fixture("ws-market/book_2026-08_initial_with_tick_size.json")),
      [],
    );
    const pc = first("price_change");
    const recordedPc = await fixture(
      "ws-market/price_change_batched_docs_example_2025-09.json",
    ) as Record<string, unknown[]>;
    assertEquals(shapeDiff(pc, recordedPc), []);
    assertEquals(shapeDiff((pc.price_changes as unknown[])[0], recordedPc.price_changes[0]), []);
    assertEquals(
      shapeDiff(
        first("last_trade_price"),
        await fixture("ws-market/last_trade_price_with_tx_hash_2026-08.json"),
      ),
      [],
    );
    assertEquals(
      shapeDiff(
        first("market_resolved"),
        await fixture("ws-market/market_resolved_nt_2025-12.json"),
      ),
      [],
    );
    assertEquals(
      shapeDiff(first("new_market"), await fixture("ws-market/new_market_nt_2025-12.json")),
      [],
    );
  } finally {
    clearInterval(interval);
    clearTimeout(stop);
    ws.close();
    await new Promise((r) => (ws.onclose = r));
  }
});

async function start() {
  const sim = await startSimulator({ markets: 300, seed: 11, tickMs: 60_000, lifecycleRate: 0 });
  return Object.assign(sim, { [Symbol.asyncDispose]: () => sim.close() });
}
