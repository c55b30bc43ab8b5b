/**
 * `backfill --resolved` against the simulator's closed history and the real PostgreSQL: what
 * loads, a second run that does nothing, runs aborted in either phase that resume, and the dry
 * run's estimate.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { silentLogger } from "../runtime/log.ts";
import { startSimulator } from "../simulator/server.ts";
import type { ClosedHistory } from "../simulator/history.ts";
import {
  estimateResolved,
  type ResolvedOptions,
  runResolvedBackfill,
} from "../backfill/resolved.ts";
import { loadResolvedCatalog } from "../backfill/resolved_catalog.ts";
import { DEFAULT_BUDGETS } from "../polymarket/rate_limiter.ts";
import { parseCommandLine, UsageError } from "../cli/command_line.ts";
import { parseBackfillArgs } from "../cli/backfill_command.ts";
import { simulatorHttp } from "./_backfill_harness.ts";
import { createTestDatabase } from "./_db.ts";

const CLOSED = 80;
const FIDELITY = 360;

async function setup() {
  const sim = await startSimulator({
    markets: 20,
    seed: 21,
    closedMarkets: CLOSED,
    lifecycleRate: 0,
    tickMs: 60_000,
  });
  const dbs: Awaited<ReturnType<typeof createTestDatabase>>[] = [];
  const database = async () => {
    const db = await createTestDatabase("server");
    dbs.push(db);
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    return db;
  };
  const options: ResolvedOptions = {
    since: new Date(sim.history!.anchorMs - 400 * 86_400_000),
    until: null,
    fidelityMinutes: FIDELITY,
    pageSize: 20,
    concurrency: 4,
  };
  return {
    sim,
    history: sim.history!,
    database,
    options,
    dispose: async () => {
      await sim.close();
      for (const db of dbs) await db.dispose();
    },
  };
}

/** Price points the simulator serves for a token at FIDELITY (last point per bucket). */
function expectedPoints(history: ClosedHistory, index: number): number {
  const m = history.market(index);
  if (m.served === "none") return 0;
  const bucket = (m.served === "coarse" ? 720 : Math.max(FIDELITY, m.stepMinutes)) * 60;
  const series = history.series(index);
  return new Set(Array.from(series.timesMs, (t) => Math.floor(t / 1000 / bucket))).size;
}

type Sql = Awaited<ReturnType<typeof createTestDatabase>>["sql"];

async function fingerprint(sql: Sql) {
  const [row] = await sql<{ markets: number; points: number; sum: string; gaps: number }[]>`
    select (select count(*)::int from markets where backfilled_at is not null) as markets,
           (select count(*)::int from price_history) as points,
           (select coalesce(sum(price), 0)::text from price_history) as sum,
           (select count(*)::int from gaps where collector = 'history') as gaps`;
  return row;
}

Deno.test("backfill --resolved loads closed markets, resolutions and histories, then does nothing", async () => {
  const h = await setup();
  try {
    const db = await h.database();
    const { client, counts } = simulatorHttp(h.sim.url);
    const deps = { sql: db.sql, http: client, log: silentLogger() };
    const first = await runResolvedBackfill(deps, h.options, AbortSignal.timeout(60_000));
    const liveClosed = h.sim.universe.markets.filter((m) => m.status === "closed").length;
    assert.equal(first.listing.markets, CLOSED + liveClosed);
    assert.equal(first.failed, 0);

    const markets = await db.sql<
      { market_id: string; category: string | null; tags: string[] | null; closed: boolean }[]
    >`select market_id, category, tags, closed from markets where backfilled_at is not null
      and market_id::bigint < 500000 order by market_id::bigint`;
    assert.equal(markets.length, CLOSED);
    for (const row of markets.slice(0, 40)) {
      const m = h.history.market(h.history.indexOfId(row.market_id)!);
      assert.equal(row.category?.toLowerCase(), m.domain);
      assert.deepEqual(row.tags, [m.domain]);
    }
    const resolutions = await db.sql<
      { market_id: string; status: string; winner_token_id: string | null; source: string }[]
    >`select m.market_id, r.status, r.winner_token_id, r.source from resolutions r
      join markets m on m.condition_id = r.condition_id where m.market_id::bigint < 500000`;
    assert.equal(resolutions.length, CLOSED);
    for (const r of resolutions) {
      const m = h.history.market(h.history.indexOfId(r.market_id)!);
      assert.equal(r.status, "resolved");
      assert.equal(r.source, "gamma_backfill");
      assert.equal(r.winner_token_id, m.tokenIds[m.yesWon ? 0 : 1]);
    }
    const [groups] = await db.sql<{ n: number }[]>`
      select count(distinct e.event_id)::int as n from events e
      join markets m on m.event_id = e.event_id where e.neg_risk and m.backfilled_at is not null`;
    assert.ok((groups?.n ?? 0) > 0, "neg-risk events are stored");

    // Every history token's points, at the fidelity the simulator served.
    const stored = new Map(
      (await db.sql<{ token_id: string; n: number; fidelity: number }[]>`
        select token_id, count(*)::int as n, max(fidelity_minutes) as fidelity
        from price_history where source = 'resolved_backfill' group by token_id`)
        .map((r) => [r.token_id, r]),
    );
    const gaps = new Map(
      (await db.sql<{ scope: string; cause: string; detail: { fidelityServed: number } }[]>`
        select scope, cause, detail from gaps where collector = 'history'`)
        .map((g) => [g.scope, g]),
    );
    const served = new Set<string>();
    for (let i = 0; i < CLOSED; i++) {
      const m = h.history.market(i);
      served.add(m.served);
      for (const token of m.tokenIds) {
        const want = expectedPoints(h.history, i);
        assert.equal(stored.get(token)?.n ?? 0, want, `market ${m.id} (${m.served})`);
        if (m.served === "none") assert.equal(gaps.get(token)?.cause, "no_history");
        else if (m.served === "coarse") {
          assert.equal(gaps.get(token)?.cause, "coarse_history");
          // The median spacing of 12 h buckets over a grid of `stepMinutes`.
          assert.ok(Math.abs(stored.get(token)!.fidelity - 720) <= m.stepMinutes);
        } else if (m.stepMinutes <= FIDELITY) {
          assert.equal(gaps.has(token), false);
          assert.equal(stored.get(token)?.fidelity, FIDELITY);
        }
      }
    }
    assert.deepEqual([...served].sort(), ["coarse", "full", "none"], "every case was checked");
    assert.equal(counts.get("clob:prices-history"), first.prices.requests);
    assert.equal(first.prices.requests, 2 * (CLOSED + liveClosed));

    counts.clear();
    const second = await runResolvedBackfill(deps, h.options, AbortSignal.timeout(60_000));
    assert.equal(second.prices.requests, 0);
    assert.equal(counts.get("clob:prices-history") ?? 0, 0);
    assert.equal(counts.get("gamma:events") ?? 0, 0, "known events are not fetched again");
    assert.equal(second.listing.rows, 0);
    assert.equal(second.prices.rows, 0);
  } finally {
    await h.dispose();
  }
});

Deno.test("an aborted backfill --resolved resumes in either phase and ends where a clean run does", async () => {
  const h = await setup();
  try {
    const clean = await h.database();
    const log = silentLogger();
    await runResolvedBackfill(
      { sql: clean.sql, http: simulatorHttp(h.sim.url).client, log },
      h.options,
      AbortSignal.timeout(60_000),
    );

    const db = await h.database();
    const { client, counts } = simulatorHttp(h.sim.url);
    const deps = { sql: db.sql, http: client, log };
    // Aborted in the listing, after two pages…
    const inListing = new AbortController();
    await assert.rejects(
      runResolvedBackfill(deps, {
        ...h.options,
        onListing: (p) => p.pages === 2 && inListing.abort(new Error("stop listing")),
      }, inListing.signal),
      /stop listing/,
    );
    // …then in the price phase, after 100 tokens.
    const inPrices = new AbortController();
    counts.clear();
    await assert.rejects(
      runResolvedBackfill(deps, {
        ...h.options,
        onProgress: (p) => p.unitsDone === 100 && inPrices.abort(new Error("stop prices")),
      }, inPrices.signal),
      /stop prices/,
    );
    const totalPages = Math.ceil((await fingerprint(clean.sql))!.markets / h.options.pageSize);
    assert.ok(
      (counts.get("gamma:markets") ?? 0) < totalPages,
      "the listing resumed from its cursor",
    );
    const done = await runResolvedBackfill(deps, h.options, AbortSignal.timeout(60_000));
    assert.ok(done.prices.requests > 0 && done.prices.requests < done.listing.tokens - 100 + 5);
    assert.deepEqual(await fingerprint(db.sql), await fingerprint(clean.sql));
  } finally {
    await h.dispose();
  }
});

Deno.test("backfill --resolved --dry-run counts requests and stores nothing", async () => {
  const h = await setup();
  try {
    const db = await h.database();
    const { client } = simulatorHttp(h.sim.url);
    const listing = await loadResolvedCatalog(
      { sql: db.sql, http: client },
      { ...h.options, dryRun: true },
      AbortSignal.timeout(30_000),
    );
    const liveClosed = h.sim.universe.markets.filter((m) => m.status === "closed").length;
    assert.equal(listing.tokens, 2 * (CLOSED + liveClosed));
    const estimate = estimateResolved(listing, {
      budgets: { ...DEFAULT_BUDGETS, "clob:prices-history": { limit: 100, windowMs: 10_000 } },
      concurrency: 4,
      latencyMs: 0,
    });
    assert.equal(estimate.priceRequests, listing.tokens);
    // 100 requests per 10 s: ⌈n / 100⌉ − 1 full windows.
    assert.equal(estimate.durationMs, (Math.ceil(listing.tokens / 100) - 1) * 10_000);
    assert.deepEqual(await fingerprint(db.sql), { markets: 0, points: 0, sum: "0", gaps: 0 });
    const [checkpoints] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from backfill_checkpoints`;
    assert.equal(checkpoints?.n, 0);
  } finally {
    await h.dispose();
  }
});

Deno.test("backfill --resolved needs --since and takes --fidelity alone", () => {
  const line = parseCommandLine(["backfill", "--resolved", "--since", "2026-01-01"]);
  const args = parseBackfillArgs(line.args);
  assert.deepEqual([args.resolved, args.fidelityMinutes], [true, 60]);
  assert.equal(
    parseBackfillArgs(["--resolved", "--since", "2026-01-01", "--fidelity", "5"])
      .fidelityMinutes,
    5,
  );
  for (
    const bad of [
      ["--resolved"],
      ["--resolved", "--since", "2026-01-01", "--gaps-only"],
      ["--resolved", "--since", "2026-01-01", "--markets", "12"],
      ["--resolved", "--since", "2026-01-01", "--fidelity", "0"],
      ["--resolved", "--since", "2026-01-01", "--fidelity", "1.5"],
      ["--since", "2026-01-01", "--fidelity", "60"],
    ]
  ) {
    assert.throws(() => parseBackfillArgs(bad), UsageError, bad.join(" "));
  }
});
