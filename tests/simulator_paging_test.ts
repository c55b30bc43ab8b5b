/**
 * Pagination contracts of the simulator: Gamma keyset walks every market exactly once, the
 * legacy list routes cap at 100 and reject deep offsets, CLOB pages end with `LTE=`.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { startSimulator } from "../simulator/server.ts";

async function start() {
  const sim = await startSimulator({ markets: 2500, seed: 5, tickMs: 60_000, lifecycleRate: 0 });
  return Object.assign(sim, { [Symbol.asyncDispose]: () => sim.close() });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

Deno.test("Gamma /markets/keyset walks every listed market exactly once", async () => {
  await using sim = await start();
  const seen = new Set<string>();
  let cursor = "";
  let pages = 0;
  do {
    const after = cursor === "" ? "" : `&after_cursor=${encodeURIComponent(cursor)}`;
    const { status, body } = await getJson(`${sim.url}/markets/keyset?limit=500${after}`);
    assertEquals(status, 200);
    const page = body as { markets: Array<{ id: string }>; next_cursor?: string };
    for (const m of page.markets) {
      ok(!seen.has(m.id), `market ${m.id} served twice`);
      seen.add(m.id);
    }
    cursor = page.next_cursor ?? "";
    pages++;
  } while (cursor !== "" && pages < 100);
  const listed = sim.universe.markets.filter((m) => m.status !== "unlisted").length;
  assertEquals(seen.size, listed);
});

Deno.test("Gamma keyset filters are re-sent and bind the cursor; offset and `cursor` behave like the venue", async () => {
  await using sim = await start();
  const first = await getJson(
    `${sim.url}/markets/keyset?limit=50&closed=false&order=volumeNum&ascending=false`,
  );
  const page = first.body as {
    markets: Array<{ closed: boolean; volumeNum: number }>;
    next_cursor: string;
  };
  ok(page.markets.every((m) => !m.closed));
  ok(page.markets.every((m, i) => i === 0 || page.markets[i - 1].volumeNum >= m.volumeNum));
  const next = await getJson(
    `${sim.url}/markets/keyset?limit=50&closed=false&order=volumeNum&ascending=false&after_cursor=${page.next_cursor}`,
  );
  const second = (next.body as { markets: Array<{ volumeNum: number }> }).markets;
  ok(second[0].volumeNum <= page.markets[49].volumeNum);
  const mismatched = await getJson(
    `${sim.url}/markets/keyset?limit=50&after_cursor=${page.next_cursor}`,
  );
  assertEquals(mismatched.status, 422);
  const ignored = await getJson(`${sim.url}/markets/keyset?limit=5&cursor=${page.next_cursor}`);
  const firstIds = await getJson(`${sim.url}/markets/keyset?limit=5`);
  assertEquals(ignored.body, firstIds.body);
  assertEquals((await getJson(`${sim.url}/markets/keyset?offset=10`)).status, 422);
  assertEquals((await getJson(`${sim.url}/markets/keyset?order=volume_num`)).status, 422);
  const [a, b] = sim.universe.markets.filter((m) => m.status === "open");
  const ids = await getJson(`${sim.url}/markets/keyset?id=${a.id}&id=${b.id}`);
  assertEquals((ids.body as { markets: unknown[] }).markets.length, 2);
  const tokens = await getJson(`${sim.url}/markets/keyset?clob_token_ids=${a.tokenIds[1]}`);
  assertEquals((tokens.body as { markets: Array<{ id: string }> }).markets.map((m) => m.id), [
    a.id,
  ]);
  const events = await getJson(`${sim.url}/events/keyset?limit=1000`);
  assertEquals((events.body as { events: unknown[] }).events.length, 100);
});

Deno.test("Gamma legacy /markets and /events cap at 100 rows and reject offsets beyond 2000", async () => {
  await using sim = await start();
  const markets = await getJson(`${sim.url}/markets?limit=500`);
  ok(Array.isArray(markets.body));
  assertEquals((markets.body as unknown[]).length, 100);
  const events = await getJson(`${sim.url}/events?limit=500&offset=100`);
  assertEquals((events.body as unknown[]).length, 100);
  const deep = await getJson(`${sim.url}/markets?limit=100&offset=2100`);
  assertEquals(deep.status, 422);
  assertEquals(deep.body, {
    type: "validation error",
    error: "offset too large, use /markets/keyset for deeper pagination",
  });
});

Deno.test("CLOB /markets pages from MA== to LTE= and rejects LTE= as input", async () => {
  await using sim = await start();
  let cursor = "MA==";
  let total = 0;
  while (cursor !== "LTE=") {
    const { status, body } = await getJson(`${sim.url}/markets?next_cursor=${cursor}`);
    assertEquals(status, 200);
    const page = body as { data: unknown[]; next_cursor: string; limit: number; count: number };
    assertEquals(page.count, page.data.length);
    total += page.count;
    cursor = page.next_cursor;
  }
  assertEquals(total, sim.universe.markets.filter((m) => m.status !== "unlisted").length);
  assertEquals((await getJson(`${sim.url}/markets?next_cursor=LTE=`)).status, 400);
  const plural = await fetch(`${sim.url}/books?token_ids=1`);
  assertEquals([plural.status, await plural.json()], [400, { error: "Invalid payload" }]);
  const unknown = await getJson(`${sim.url}/book?token_id=123`);
  assertEquals([unknown.status, unknown.body], [404, {
    error: "No orderbook exists for the requested token id",
  }]);
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const res = await fetch(`${sim.url}/books`, {
    method: "POST",
    body: JSON.stringify([{ token_id: m.tokenIds[0] }, { token_id: m.tokenIds[1] }, {
      token_id: "5",
    }]),
  });
  assertEquals((await res.json() as unknown[]).length, 2);
});

Deno.test("CLOB /prices-history validates interval, fidelity and timestamps and appends a now point", async () => {
  await using sim = await start();
  const m = sim.universe.markets.find((x) => x.status === "open")!;
  const base = `${sim.url}/prices-history?market=${m.tokenIds[0]}`;
  assertEquals((await getJson(`${base}&endTs=100`)).status, 400);
  assertEquals((await getJson(`${base}&interval=1m&fidelity=5`)).status, 400);
  assertEquals((await getJson(`${base}&interval=1w&fidelity=1`)).status, 400);
  const ok1 = await getJson(`${base}&interval=1d&fidelity=60`);
  const history = (ok1.body as { history: Array<{ t: number; p: number }> }).history;
  ok(history.length >= 1);
  const last = history.at(-1)!;
  ok(Math.abs(last.t - Date.now() / 1000) < 5);
  assertEquals(typeof last.p, "number");
});
