import assert from "node:assert/strict";
import { startSimulator } from "./server.ts";
import { parseGammaMarketsPage } from "../polymarket/gamma_schema.ts";
import { COARSE_FIDELITY_MINUTES } from "./history.ts";
import { clobMarketSchema } from "../polymarket/clob_schema.ts";

const NOW = Date.UTC(2026, 11, 1, 12);

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

type Wire = Record<string, unknown>;

Deno.test("closed history: Gamma lists every closed market once, resolved the venue's way", async () => {
  const sim = await startSimulator({ markets: 40, seed: 3, closedMarkets: 300, tickMs: 60_000 });
  try {
    const seen: Wire[] = [];
    let cursor = "";
    for (let page = 0; page < 50; page++) {
      const q = `closed=true&limit=70${cursor === "" ? "" : `&after_cursor=${cursor}`}`;
      const { body } = await getJson(`${sim.url}/markets/keyset?${q}`);
      const { markets, next_cursor } = body as { markets: Wire[]; next_cursor: string };
      const parsed = parseGammaMarketsPage(body, new Date());
      assert.equal(parsed.rejects.length, 0, JSON.stringify(parsed.rejects[0]));
      seen.push(...markets);
      if (next_cursor === "") break;
      cursor = next_cursor;
    }
    const history = seen.filter((m) => Number(m.id) < 500_000);
    const liveClosed = sim.universe.markets.filter((m) => m.status === "closed").length;
    assert.equal(history.length, 300);
    assert.equal(seen.length, 300 + liveClosed);
    assert.equal(new Set(seen.map((m) => m.id)).size, seen.length);
    for (const m of history) {
      const prices = JSON.parse(m.outcomePrices as string) as string[];
      assert.equal(prices.filter((p) => p === "1").length, 1);
      assert.equal(m.umaResolutionStatus, "resolved");
      assert.match(m.closedTime as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00$/);
      assert.ok(["Politics", "Sports", "Crypto"].includes(m.category as string));
    }
    // Ids ascend from the history (older) into the live universe; newest first starts live.
    assert.equal(seen[0].id, "10000");
    assert.ok(Number(seen.at(-1)!.id) >= 500_000);
    const desc = await getJson(`${sim.url}/markets/keyset?closed=true&order=id&ascending=false`);
    const newest = (desc.body as { markets: Wire[] }).markets.map((m) => Number(m.id));
    assert.deepEqual(newest, [...newest].sort((a, b) => b - a));
    assert.ok(newest[0] >= 500_000 && newest.at(-1)! < 500_000);
    // Open markets are not mixed with the history.
    const open = await getJson(`${sim.url}/markets/keyset?closed=false&limit=1000`);
    assert.ok((open.body as { markets: Wire[] }).markets.every((m) => Number(m.id) >= 500_000));
  } finally {
    await sim.close();
  }
});

Deno.test("closed history: neg-risk events carry their members, one winner each", async () => {
  const sim = await startSimulator({ markets: 10, seed: 4, closedMarkets: 200, tickMs: 60_000 });
  try {
    const events: Wire[] = [];
    let cursor = "";
    for (let page = 0; page < 20; page++) {
      const q = `closed=true&limit=100${cursor === "" ? "" : `&after_cursor=${cursor}`}`;
      const { body } = await getJson(`${sim.url}/events/keyset?${q}`);
      const page_ = body as { events: Wire[]; next_cursor: string };
      events.push(...page_.events);
      if (page_.next_cursor === "") break;
      cursor = page_.next_cursor;
    }
    const groups = events.filter((e) => e.negRisk === true && Number(e.id) >= 1_000_000);
    assert.ok(groups.length >= 3, `${groups.length} groups`);
    for (const e of groups) {
      const members = e.markets as Wire[];
      assert.ok(members.length >= 3);
      assert.ok(members.every((m) => m.negRiskMarketID === e.negRiskMarketID));
      const winners = members.filter((m) => (m.outcomePrices as string).startsWith('["1"'));
      assert.equal(winners.length, 1);
      assert.ok(Array.isArray(e.tags) && (e.tags as Wire[]).length === 1);
    }
    const one = await getJson(`${sim.url}/events/${groups[0].id}`);
    assert.equal((one.body as Wire).id, groups[0].id);
  } finally {
    await sim.close();
  }
});

Deno.test("closed history: /prices-history serves the quoted series, /_test/hidden the path", async () => {
  const sim = await startSimulator({
    markets: 10,
    seed: 5,
    closedMarkets: 200,
    tickMs: 60_000,
    now: () => NOW,
  });
  try {
    const h = sim.history!;
    const full = [...Array(200).keys()].map((i) => h.market(i)).find((m) => m.served === "full")!;
    const yes = await getJson(
      `${sim.url}/prices-history?market=${full.tokenIds[0]}&interval=max&fidelity=1`,
    );
    const points = (yes.body as { history: Array<{ t: number; p: number }> }).history;
    const series = h.series(full.index);
    assert.equal(points.length, series.quoteUnits.length);
    assert.deepEqual(points[5], {
      t: series.timesMs[5] / 1000,
      p: series.quoteUnits[5] / 10_000,
    });
    const no = await getJson(
      `${sim.url}/prices-history?market=${full.tokenIds[1]}&interval=max&fidelity=1`,
    );
    const noPoints = (no.body as { history: Array<{ p: number }> }).history;
    assert.ok(Math.abs(noPoints[5].p + points[5].p - 1) < 1e-9);
    const startTs = points[10].t;
    const window = await getJson(
      `${sim.url}/prices-history?market=${full.tokenIds[0]}&startTs=${startTs}&endTs=${
        points[19].t
      }`,
    );
    assert.equal((window.body as { history: unknown[] }).history.length, 10);
    const bad = await getJson(`${sim.url}/prices-history?market=${full.tokenIds[0]}&endTs=1`);
    assert.equal(bad.status, 400);

    const coarse = [...Array(200).keys()].map((i) => h.market(i)).find((m) =>
      m.served === "coarse"
    )!;
    const c = await getJson(
      `${sim.url}/prices-history?market=${coarse.tokenIds[0]}&interval=max&fidelity=1`,
    );
    const ts = (c.body as { history: Array<{ t: number }> }).history.map((x) => x.t);
    const buckets = ts.map((t) => Math.floor(t / (COARSE_FIDELITY_MINUTES * 60)));
    assert.equal(new Set(buckets).size, ts.length, "one point per 12 h bucket at most");

    const clob = await getJson(`${sim.url}/clob/markets/${full.conditionId}`);
    assert.ok(clobMarketSchema.safeParse(clob.body).success, "the client's CLOB schema reads it");
    const tokens = (clob.body as { tokens: Array<{ token_id: string; winner: boolean }> }).tokens;
    assert.deepEqual(
      tokens.filter((t) => t.winner).map((t) => t.token_id),
      [full.tokenIds[full.yesWon ? 0 : 1]],
    );
    const hidden = await getJson(`${sim.url}/_test/hidden?market=${full.id}`);
    const body = hidden.body as { points: Array<{ p: number; q: number }>; yesWon: boolean };
    assert.equal(body.points.length, series.hidden.length);
    assert.equal(body.points[7].p, series.hidden[7]);
    assert.equal(body.yesWon, full.yesWon);
    assert.equal((await getJson(`${sim.url}/_test/hidden?market=1`)).status, 404);
  } finally {
    await sim.close();
  }
});

Deno.test("without closedMarkets the simulator serves no history and no hidden route", async () => {
  const sim = await startSimulator({ markets: 30, seed: 3, tickMs: 60_000 });
  try {
    assert.equal(sim.history, null);
    assert.equal((await getJson(`${sim.url}/_test/hidden?market=10000`)).status, 404);
    const { body } = await getJson(`${sim.url}/markets/keyset?closed=true&limit=1000`);
    assert.ok((body as { markets: Wire[] }).markets.every((m) => Number(m.id) >= 500_000));
  } finally {
    await sim.close();
  }
});
