/**
 * Forecasts against a real PostgreSQL (own schema), on the dataset seed's markets at an instant
 * four days before the seed's last end (every market open then, its book a REST snapshot at the
 * instant, its price the snapshot 30 minutes earlier, its fee the metadata version in force):
 * the market baseline's values hand-checked from the seed's own arithmetic, a stored model's
 * probability and interval, a neg-risk event's forecasts coherent, scoring on resolution, the task's
 * pass writing and scoring rows, and retention keeping live skill.
 */
import assert from "node:assert/strict";
import { withDatabase } from "./_db.ts";
import { SEED_END, seedDataset, seedMarket, seedPrice } from "./_dataset_seed.ts";
import { forecastsAt, type MarketForecast } from "../models/forecast_at.ts";
import {
  insertForecasts,
  liveSkill,
  pruneForecasts,
  scoreForecasts,
} from "../models/forecast_store.ts";
import { migrate } from "../db/migrate.ts";
import { forecastPass } from "../models/forecast_task.ts";
import { insertModel } from "../models/store.ts";
import type { DeployableModel } from "../models/deployable.ts";
import type { FeatureModel } from "../models/feature_model.ts";
import { sigmoid } from "../models/_logistic.ts";
import { wilsonInterval } from "../models/forecast.ts";
import { assertClose } from "../models/_assert_close.ts";
import { silentLogger } from "../runtime/log.ts";

const DAY = 86_400_000;
const MARKETS = 10;
const SEED = { markets: MARKETS, historyDays: 9, spreadDays: 3 };
const AT = new Date(SEED_END - 4 * DAY);
const IDS = Array.from({ length: MARKETS }, (_, i) => `m${i}`);
const OPTIONS = { at: AT, model: undefined, maxRestAgeMs: 6 * 3_600_000 };

/** The seed's own view of market i at AT: price, book, fee rate. */
function expected(i: number) {
  const m = seedMarket(i, SEED.spreadDays);
  const price = Number(seedPrice(i, AT.getTime() - 30 * 60_000));
  const bookMid = Number(seedPrice(i, AT.getTime()));
  const rate = m.end - 3 * DAY <= AT.getTime() ? 0.05 : 0.04;
  return { m, price, bid: bookMid - 0.01, ask: bookMid + 0.01, rate };
}

const byId = (markets: readonly MarketForecast[]) => new Map(markets.map((f) => [f.marketId, f]));

Deno.test("forecastsAt() without a model: the price as baseline, EV after the fee at the book's asks", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    const result = await forecastsAt(db.sql, [...IDS, "nope"], OPTIONS);
    assert.equal(result.modelVersion, null);
    assert.deepEqual(result.skipped, [{ marketId: "nope", reason: "unknown market" }]);
    const got = byId(result.markets);
    assert.equal(got.size, MARKETS);
    for (let i = 0; i < MARKETS; i++) {
      const e = expected(i);
      const [yes, no] = got.get(`m${i}`)!.tokens;
      assert.equal(yes.tokenId, e.m.yes);
      assert.equal(no.tokenId, e.m.no);
      assertClose(yes.price, e.price, 1e-9);
      assertClose(yes.probability, e.price, 1e-9);
      // The baseline's interval is the book's bid–ask range, taking in the (older) price.
      assertClose(yes.low!, Math.min(e.bid, e.price), 1e-9);
      assertClose(yes.high!, Math.max(e.ask, e.price), 1e-9);
      assertClose(yes.ask!, e.ask, 1e-9);
      assertClose(yes.evPerShare!, e.price - e.ask - e.rate * e.ask * (1 - e.ask), 1e-9);
      // No NO book in the seed: its ask mirrors the YES bid.
      assert.equal(no.askSource, "mirror");
      assertClose(no.ask!, 1 - e.bid, 1e-9);
      assert.equal(no.ask, Number((1 - e.bid).toFixed(3)), "the mirror is exact");
      const noAsk = 1 - e.bid;
      assertClose(no.evPerShare!, 1 - e.price - noAsk - e.rate * noAsk * (1 - noAsk), 1e-9);
      // The seed's price never beats its ask by more than the fee: no stake.
      assert.equal(yes.kelly, 0);
      assert.equal(no.kelly, 0);
    }
    // A market closed at the instant gets no forecast, and says why.
    const later = await forecastsAt(db.sql, ["m0"], { ...OPTIONS, at: new Date(SEED_END + DAY) });
    assert.equal(later.markets.length, 0);
    assert.match(later.skipped[0]!.reason, /^not tradable: resolved/);
  });
});

Deno.test("forecastsAt() with a stored model: its cell's map, the Wilson interval of its walk-forward bin", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    const map = { method: "platt" as const, a: 1, b: 0.5 };
    const params: DeployableModel = {
      method: "platt",
      gate: false,
      minCellRows: 300,
      fitTail: true,
      cells: [],
      unseen: ["24h", "7d"].map((horizon) => ({
        domain: null,
        horizon,
        kind: "pooled",
        model: map,
      })),
    };
    const bins = Array.from({ length: 10 }, (_, k) => ({ n: 40 + k }));
    const stored = await insertModel(db.sql, {
      method: "platt",
      trainFrom: new Date(0),
      trainUntil: new Date(1),
      horizons: ["24h", "7d"],
      features: [],
      params,
      metrics: {
        walkForward: ["24h", "7d"].map((horizon) => ({
          horizon,
          excluded: [],
          segments: [{ kind: "all", model: { bins } }],
        })),
      },
    });
    // Standalone markets (4..7): no partition to make coherent.
    const result = await forecastsAt(db.sql, ["m4", "m5", "m6", "m7"], {
      ...OPTIONS,
      model: stored,
    });
    assert.equal(result.modelVersion, stored.version);
    assert.equal(result.markets.length, 4);
    for (const f of result.markets) {
      const e = expected(Number(f.marketId.slice(1)));
      const hoursToEnd = (e.m.end - AT.getTime()) / 3_600_000;
      assert.equal(f.horizon, hoursToEnd < Math.sqrt(24 * 168) ? "24h" : "7d");
      const [yes, no] = f.tokens;
      const p = sigmoid(Math.log(e.price / (1 - e.price)) + 0.5);
      assertClose(yes.probability, p, 1e-9);
      assertClose(no.probability, 1 - p, 1e-9);
      const interval = wilsonInterval(p, 40 + Math.floor(p * 10))!;
      assertClose(yes.low!, interval.low, 1e-12);
      assertClose(yes.high!, interval.high, 1e-12);
      assertClose(yes.evPerShare!, p - e.ask - e.rate * e.ask * (1 - e.ask), 1e-9);
      assert.equal(f.modelVersion, stored.version);
    }
    // The neg-risk event of markets 0..3 (ends up to 2 days apart): one horizon, from its
    // soonest end, and its YES probabilities made to sum to 1.
    const group = await forecastsAt(db.sql, ["m0", "m1", "m2", "m3"], {
      ...OPTIONS,
      model: stored,
    });
    assert.equal(group.markets.length, 4);
    assert.deepEqual(new Set(group.markets.map((f) => f.horizon)), new Set(["24h"]));
    const sum = group.markets.reduce((total, f) => total + f.tokens[0].probability, 0);
    assertClose(sum, 1, 1e-9);
    const mapped = group.markets.map((f) => {
      const p = expected(Number(f.marketId.slice(1))).price;
      return sigmoid(Math.log(p / (1 - p)) + 0.5);
    });
    assert.ok(
      Math.abs(mapped.reduce((a, b) => a + b, 0) - 1) > 0.01,
      "the map alone is not coherent",
    );
    // A one-horizon model builds the features while tradability is read, then drops the markets
    // it closes: the same forecasts and skips as the general path (the horizon listed twice).
    await db.sql`update markets set closed_time = ${new Date(AT.getTime() - 60_000)}
      where market_id = 'm5'`;
    const one = { ...stored, horizons: ["24h"] };
    const twice = { ...stored, horizons: ["24h", "24h"] };
    const ids = [...IDS, "m-unknown"];
    const early = await forecastsAt(db.sql, ids, { ...OPTIONS, model: one });
    assert.deepEqual(early, await forecastsAt(db.sql, ids, { ...OPTIONS, model: twice }));
    assert.equal(early.markets.length, MARKETS - 1);
    assert.deepEqual(early.skipped, [
      { marketId: "m-unknown", reason: "unknown market" },
      { marketId: "m5", reason: "not tradable: closed" },
    ]);
  });
});

Deno.test("forecastsAt() with a features model reads the features, a map the price alone", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    // p = σ(logit(price) + 0.1 · trades24h), the trades of both tokens in the day before AT.
    const features: FeatureModel = {
      method: "features",
      names: ["trades24h"],
      means: [0],
      scales: [1],
      indicators: [true],
      weights: [0, 1, 0.1, 0],
      l2: 1,
    };
    const modelOf = async (model: FeatureModel | typeof MAP) =>
      await insertModel(db.sql, {
        method: model.method,
        trainFrom: new Date(0),
        trainUntil: new Date(1),
        horizons: ["24h"],
        features: [],
        params: {
          method: model.method,
          gate: false,
          minCellRows: 300,
          fitTail: true,
          cells: [],
          unseen: [{ domain: null, horizon: "24h", kind: "pooled", model }],
        } satisfies DeployableModel,
        metrics: {},
      });
    const ids = ["m4", "m5", "m6", "m7"];
    const withFeatures = byId(
      (await forecastsAt(db.sql, ids, { ...OPTIONS, model: await modelOf(features) })).markets,
    );
    const withMap = byId(
      (await forecastsAt(db.sql, ids, { ...OPTIONS, model: await modelOf(MAP) })).markets,
    );
    for (const id of ids) {
      const i = Number(id.slice(1));
      const e = expected(i);
      let trades = 0;
      for (
        let t = Math.ceil((e.m.end - 9 * DAY) / (8 * 3_600_000)) * 8 * 3_600_000;
        t < e.m.end;
        t += 8 * 3_600_000
      ) {
        const ts = t + (i % 60) * 1000;
        if (ts >= AT.getTime() - DAY && ts + 1000 <= AT.getTime()) trades += 2;
      }
      assert.ok(trades > 0, `${id} traded in the day before`);
      const logit = Math.log(e.price / (1 - e.price));
      assertClose(withFeatures.get(id)!.tokens[0].probability, sigmoid(logit + 0.1 * trades), 1e-9);
      assertClose(withMap.get(id)!.tokens[0].probability, sigmoid(logit + 0.5), 1e-9);
    }
  });
});

/** A Platt map that adds 0.5 to the price's log-odds. */
const MAP = { method: "platt" as const, a: 1, b: 0.5 };

Deno.test("scoreForecasts() scores each token on its market's resolution, once; a voided market has no outcome", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    const result = await forecastsAt(db.sql, IDS, OPTIONS);
    assert.equal(await insertForecasts(db.sql, result), 2 * MARKETS);
    assert.equal(await insertForecasts(db.sql, result), 0);
    assert.equal(await scoreForecasts(db.sql), 2 * MARKETS);
    assert.equal(await scoreForecasts(db.sql), 0);
    const rows = await db.sql<
      { token_id: string; outcome: number | null; brier: number | null; probability: number }[]
    >`select token_id, outcome, brier, probability from forecasts where scored_at is not null`;
    assert.equal(rows.length, 2 * MARKETS);
    let brierSum = 0, scored = 0;
    for (let i = 0; i < MARKETS; i++) {
      const m = seedMarket(i, SEED.spreadDays);
      const yes = rows.find((r) => r.token_id === m.yes)!;
      const no = rows.find((r) => r.token_id === m.no)!;
      if (m.voided) {
        assert.equal(yes.outcome, null);
        assert.equal(yes.brier, null);
        continue;
      }
      assert.equal(yes.outcome, m.yesWins ? 1 : 0);
      assert.equal(no.outcome, m.yesWins ? 0 : 1);
      assertClose(yes.brier!, (yes.probability - yes.outcome!) ** 2, 1e-12);
      assertClose(no.brier!, yes.brier!, 1e-9);
      brierSum += yes.brier!;
      scored += 1;
    }
    const skill = await liveSkill(db.sql);
    assert.equal(skill.scored, scored);
    assert.equal(skill.unscored, 0);
    assertClose(skill.brier, brierSum / scored, 1e-12);
    // The baseline is the price: its Brier is the market's.
    assertClose(skill.marketBrier, skill.brier, 1e-12);
  });
});

Deno.test("forecastPass() forecasts the markets not shown closed and scores the resolved ones", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    await db.sql`update markets set closed = false where market_id in ('m1', 'm2', 'm3')`;
    const pass = await forecastPass({
      sql: db.sql,
      log: silentLogger(),
      intervalMs: 60_000,
      now: () => AT.getTime(),
      batchMarkets: 2,
    });
    assert.equal(pass.markets, 3);
    assert.equal(pass.written, 6);
    assert.equal(pass.scored, 6);
    assert.equal(pass.modelVersion, null);
    const [row] = await db.sql<{ n: number; markets: string[] }[]>`
      select count(*)::int as n, array_agg(distinct market_id order by market_id) as markets
      from forecasts where outcome is not null and instant = ${AT}`;
    assert.equal(row!.n, 6);
    assert.deepEqual(row!.markets, ["m1", "m2", "m3"]);
  });
});

Deno.test("pruneForecasts() deletes rows past the retained days and live skill keeps their scores", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    const now = new Date(SEED_END);
    const old = new Date(SEED_END - 40 * DAY), older = new Date(SEED_END - 41 * DAY);
    const recent = new Date(SEED_END - 2 * DAY);
    // YES and NO rows: scored with an outcome (two horizons, the baseline and model 3), scored
    // ambiguous (no outcome), unscored; old ones and recent ones.
    const row = (
      at: Date,
      market: string,
      p: number,
      price: number,
      outcome: number | null,
      scored: boolean,
      horizon = "24h",
      model: number | null = null,
    ) =>
      [0, 1].map((k) => {
        const pk = k === 0 ? p : 1 - p, xk = k === 0 ? price : 1 - price;
        const ok = outcome === null ? null : k === 0 ? outcome : 1 - outcome;
        return db.sql`insert into forecasts (instant, market_id, token_id, outcome_index, horizon,
            model_version, market_price, probability, outcome, brier, market_brier, scored_at)
          values (${at}, ${market}, ${market + k}, ${k}, ${horizon}, ${model}, ${xk}, ${pk}, ${ok},
            ${ok === null ? null : (pk - ok) ** 2}, ${ok === null ? null : (xk - ok) ** 2},
            ${scored ? now : null})`;
      });
    await Promise.all([
      ...row(older, "a", 0.8, 0.7, 1, true),
      ...row(old, "b", 0.3, 0.4, 0, true, "7d", 3),
      ...row(old, "c", 0.6, 0.5, null, true),
      ...row(old, "d", 0.6, 0.5, null, false),
      ...row(recent, "e", 0.9, 0.6, 1, true),
      ...row(recent, "f", 0.2, 0.2, null, false),
    ]);
    const before = await liveSkill(db.sql);
    assert.equal(before.scored, 3);
    assert.equal(before.unscored, 4);
    await assert.rejects(pruneForecasts(db.sql, { retainDays: 0, now }), RangeError);

    // At most `limit` rows a call, the oldest first: market a's two rows.
    assert.equal(await pruneForecasts(db.sql, { retainDays: 30, now, limit: 2 }), 2);
    const pass = await forecastPass({
      sql: db.sql,
      log: silentLogger(),
      intervalMs: 60_000,
      now: () => now.getTime(),
      retainDays: 30,
    });
    assert.equal(pass.pruned, 6);
    const left = await db.sql<{ market_id: string }[]>`
      select distinct market_id from forecasts order by 1`;
    assert.deepEqual(left.map((r) => r.market_id), ["e", "f"]);
    const folded = await db.sql`
      select model_version, horizon, scored::int, first_instant, last_instant
      from forecast_skill order by first_instant`;
    assert.deepEqual(folded.map((r) => ({ ...r })), [
      { model_version: null, horizon: "24h", scored: 1, first_instant: older, last_instant: older },
      { model_version: "3", horizon: "7d", scored: 1, first_instant: old, last_instant: old },
    ]);
    // The same skill, the old unscored rows (both tokens of d) gone.
    const after = await liveSkill(db.sql);
    assert.equal(after.scored, 3);
    assert.equal(after.unscored, 2);
    assertClose(after.brier, ((0.8 - 1) ** 2 + 0.3 ** 2 + (0.9 - 1) ** 2) / 3, 1e-12);
    assertClose(after.marketBrier, ((0.7 - 1) ** 2 + 0.4 ** 2 + (0.6 - 1) ** 2) / 3, 1e-12);
    assertClose(after.brier, before.brier, 1e-12);
    assertClose(after.marketBrier, before.marketBrier, 1e-12);
    assert.equal(await pruneForecasts(db.sql, { retainDays: 30, now }), 0);
  });
});

Deno.test("forecastPass() writes while it reads the next batch, and a failed write fails the pass", async () => {
  await withDatabase("server", async (db) => {
    await seedDataset(db.sql, SEED);
    await db.sql`update markets set closed = false where market_id in ('m1', 'm2', 'm3', 'm4')`;
    const seen: string[][] = [];
    const deps = {
      sql: db.sql,
      log: silentLogger(),
      intervalMs: 60_000,
      now: () => AT.getTime(),
      batchMarkets: 1,
      onForecasts: (f: { markets: readonly MarketForecast[] }) => {
        seen.push(f.markets.map((m) => m.marketId));
        return Promise.resolve();
      },
    };
    const pass = await forecastPass(deps);
    assert.equal(pass.written, 8);
    // Every batch handed on once written, in order.
    assert.deepEqual(seen.flat().sort(), ["m1", "m2", "m3", "m4"]);
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from forecasts`;
    assert.equal(row!.n, 8);
    await db
      .sql`alter table forecasts add constraint refuse check (instant < '2000-01-01') not valid`;
    await assert.rejects(
      forecastPass({ ...deps, now: () => AT.getTime() + 60_000 }),
      /refuse/,
    );
  });
});
