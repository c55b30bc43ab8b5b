import assert from "node:assert/strict";
import { recordGaps, recordRejects } from "../db/ops.ts";
import { insertPriceSnapshots } from "../db/prices.ts";
import { silentLogger } from "../runtime/log.ts";
import { DEFAULT_BUDGETS } from "../polymarket/rate_limiter.ts";
import { planBackfill } from "../backfill/plan.ts";
import { runBackfill } from "../backfill/run.ts";
import { estimateBackfill } from "../backfill/estimate.ts";
import { measureDataQuality } from "../backfill/quality.ts";
import { crossCheckTrades } from "../backfill/cross_check.ts";
import { parseCommandLine, UsageError } from "../cli/command_line.ts";
import { parseBackfillArgs, runBackfillCommand } from "../cli/backfill_command.ts";
import { loadConfig } from "../runtime/config.ts";
import { fileURLToPath as fromFileUrl } from "node:url";
import { expectedPricePoints, insertLive, setupBackfill } from "./_backfill_harness.ts";

const log = silentLogger();

Deno.test("backfill fills a recorded gap exactly once (a second run adds nothing)", async () => {
  const h = await setupBackfill();
  try {
    const token = h.markets[0]!.tokenIds[0];
    const gap = { from: h.firstSecond + 1, to: h.lastSecond };
    const inGap = (t: { tokenId: string; second: number }) =>
      t.tokenId === token && t.second >= gap.from && t.second < gap.to;
    await insertLive(h.db.sql, h.log.filter((t) => !inGap(t)));
    const startAt = new Date(gap.from * 1000);
    const endAt = new Date(gap.to * 1000);
    await recordGaps(h.db.sql, [
      { collector: "trades", scope: token, startAt, endAt, cause: "ws_stall" },
      { collector: "prices", scope: token, startAt, endAt, cause: "http_503" },
      { collector: "books", scope: token, startAt, endAt, cause: "http_503" },
    ]);
    const { client } = h.http();
    const now = new Date();
    const plan = await planBackfill(h.db.sql, { gapsOnly: true, now });
    assert.equal(plan.windows.length, 2);
    assert.match(plan.skipped[0]?.why ?? "", /book snapshots cannot be backfilled/);
    const first = await runBackfill(
      { sql: h.db.sql, http: client, log },
      plan,
      AbortSignal.timeout(20_000),
    );
    const missing = h.log.filter(inGap).length;
    assert.ok(missing > 0);
    assert.equal(first.rowsByKind.trades, missing);
    const prices = expectedPricePoints(h.log.filter((t) => t.tokenId === token), gap);
    assert.equal(first.rowsByKind.prices, prices);
    assert.equal(first.gapsMarked, 2);
    const gaps = await h.db.sql<
      { collector: string; backfilled_at: Date | null; backfill_rows: string | null }[]
    >`
      select collector, backfilled_at, backfill_rows from gaps order by collector`;
    assert.deepEqual(gaps.map((g) => [g.collector, g.backfilled_at !== null, g.backfill_rows]), [
      ["books", false, null],
      ["prices", true, String(prices)],
      ["trades", true, String(missing)],
    ]);
    const tokenTrades = h.log.filter((t) => t.tokenId === token).length;
    const [stored] = await h.db.sql<{ n: string }[]>`
      select count(*) as n from trades where token_id = ${token}`;
    assert.equal(Number(stored?.n), tokenTrades);

    const again = await planBackfill(h.db.sql, { gapsOnly: true, now });
    const second = await runBackfill(
      { sql: h.db.sql, http: client, log },
      again,
      AbortSignal.timeout(20_000),
    );
    assert.equal(second.rows, 0);
    assert.equal(second.requests, 0);
  } finally {
    await h.dispose();
  }
});

Deno.test("an interrupted backfill resumes from its checkpoints without duplicates", async () => {
  const h = await setupBackfill();
  try {
    const since = new Date((h.firstSecond - 1) * 1000);
    const until = new Date((h.lastSecond + 1) * 1000);
    const { client } = h.http();
    const aborter = new AbortController();
    const plan = await planBackfill(h.db.sql, { since, until, now: new Date() });
    const full = estimateBackfill(plan, {
      budgets: DEFAULT_BUDGETS,
      concurrency: 1,
      pageSize: 1000,
    });
    let firstRequests = 0;
    const interrupted = runBackfill(
      {
        sql: h.db.sql,
        http: client,
        log,
        concurrency: 1,
        onProgress: (p) => {
          firstRequests = p.requests;
          if (p.requests >= 7) aborter.abort(new Error("Ctrl-C"));
        },
      },
      plan,
      aborter.signal,
    );
    await assert.rejects(interrupted, /Ctrl-C/);
    const [partial] = await h.db.sql<{ n: string }[]>`select count(*) as n from price_history`;
    assert.ok(Number(partial?.n) > 0, "the first run stored something");

    const resumed = await planBackfill(h.db.sql, { since, until, now: new Date() });
    assert.ok(resumed.windows.some((w) => w.done), "finished windows are skipped");
    const rest = await runBackfill(
      { sql: h.db.sql, http: client, log },
      resumed,
      AbortSignal.timeout(20_000),
    );
    const total = full.requests["clob:prices-history"] + full.requests["data:trades"];
    assert.ok(rest.requests < total && rest.requests >= total - firstRequests - 1);
    const [trades] = await h.db.sql<{ n: string; keys: string }[]>`
      select count(*) as n, count(distinct tx_hash) as keys from trades where source = 'data_api'`;
    assert.equal(Number(trades?.n), h.log.length);
    assert.equal(Number(trades?.keys), h.log.length);
    const [prices] = await h.db.sql<{ n: string }[]>`select count(*) as n from price_history`;
    const range = { from: h.firstSecond - 1, to: h.lastSecond + 1 };
    assert.equal(Number(prices?.n), expectedPricePoints(h.log, range));
  } finally {
    await h.dispose();
  }
});

Deno.test("backfill --dry-run estimates requests exactly and duration within 20 %", async () => {
  const h = await setupBackfill();
  try {
    const since = new Date((h.firstSecond - 1) * 1000);
    const until = new Date((h.lastSecond + 1) * 1000);
    const budgets = {
      ...DEFAULT_BUDGETS,
      "clob:prices-history": { limit: 3, windowMs: 1000 },
      "data:trades": { limit: 2, windowMs: 1000 },
    };
    const { client, counts } = h.http(budgets);
    const plan = await planBackfill(h.db.sql, { since, until, now: new Date() });
    const estimate = estimateBackfill(plan, {
      budgets,
      concurrency: 4,
      pageSize: 1000,
      latencyMs: 5,
    });
    const result = await runBackfill(
      { sql: h.db.sql, http: client, log, concurrency: 4 },
      plan,
      AbortSignal.timeout(20_000),
    );
    assert.deepEqual(result.requestsByEndpoint, estimate.requests);
    assert.equal(counts.get("clob:prices-history"), estimate.requests["clob:prices-history"]);
    assert.equal(counts.get("data:trades"), estimate.requests["data:trades"]);
    const error = Math.abs(result.durationMs - estimate.durationMs) / estimate.durationMs;
    assert.ok(estimate.durationMs >= 2000, `rate-bound estimate ${estimate.durationMs} ms`);
    assert.ok(error <= 0.2, `estimated ${estimate.durationMs} ms, took ${result.durationMs} ms`);
  } finally {
    await h.dispose();
  }
});

Deno.test("status --quality flags an outage and the trade cross-check sees lost trades", async () => {
  const h = await setupBackfill({ markets: 4, tradeMs: 3000 });
  try {
    const sql = h.db.sql;
    const now = new Date();
    await sql`update tokens set first_seen_at = ${new Date(now.getTime() - 7_200_000)}`;
    const minute = Math.floor(now.getTime() / 60_000) * 60_000;
    const rows = h.markets.flatMap((m) => m.tokenIds).flatMap((token) =>
      Array.from({ length: 120 }, (_, k) => k).filter((k) => k < 60 || k >= 90).map((k) => ({
        ts: new Date(minute - k * 60_000),
        tokenId: token,
        price: "0.5",
        bestBid: null,
        bestAsk: null,
        lastTradePrice: null,
        volume24h: null,
        liquidity: null,
      }))
    );
    // price_snapshots is a view since migration 0008: rows go through the writer.
    await insertPriceSnapshots(sql, rows);
    const outage = {
      startAt: new Date(minute - 89 * 60_000),
      endAt: new Date(minute - 59 * 60_000),
    };
    await recordGaps(sql, [{ collector: "prices", scope: "*", ...outage, cause: "db_outage" }]);
    await recordRejects(sql, [{
      source: "ws:market",
      reason: "bad price",
      path: "price",
      raw: "x",
    }]);
    const quality = await measureDataQuality(sql, { now });
    const day = quality.windows[0]!.prices;
    assert.equal(day.tokensActive, h.markets.length * 2);
    assert.equal(day.coveragePercent, 75);
    assert.equal(day.tokensBelow95, day.tokensActive);
    assert.deepEqual(
      quality.gaps.map((g) => [g.collector, g.cause, g.gaps, g.minutes, g.backfilled]),
      [
        ["prices", "db_outage", 1, 30, 0],
      ],
    );
    assert.deepEqual(quality.rejects, [
      { source: "ws:market", reason: "bad price", occurrences: 1, payloads: 1 },
    ]);
    assert.match(quality.notBackfillable[0] ?? "", /book snapshots cannot be backfilled/);

    await insertLive(sql, h.log);
    const { client } = h.http();
    const check = () =>
      crossCheckTrades(sql, client, {
        now: new Date((h.lastSecond + 1) * 1000),
        lagMs: 0,
        windowMs: 120_000,
        signal: AbortSignal.timeout(10_000),
      });
    const complete = await check();
    assert.equal(complete.markets.length, h.markets.length);
    // The interval starts after the first live second (nothing before it could be caught).
    assert.equal(complete.from.getTime(), (h.firstSecond + 1) * 1000);
    assert.equal(complete.venue, h.log.filter((t) => t.second > h.firstSecond).length);
    assert.equal(complete.percent, 100);

    // A market that traded after the first live second (the capture interval starts there).
    const stalled = h.log.find((t) => t.second > h.firstSecond)!.conditionId;
    // Its last second of trades is lost (whichever second that is for this market).
    await sql`delete from trades where condition_id = ${stalled}
              and ts >= (select max(ts) from trades where condition_id = ${stalled})`;
    const lost = await check();
    const market = lost.markets.find((m) => m.conditionId === stalled);
    assert.ok(market !== undefined && market.percent !== null && market.percent < 100);
    assert.ok(lost.percent !== null && lost.percent < 100, `capture ${lost.percent} %`);
    assert.ok(
      lost.markets.filter((m) => m.conditionId !== stalled).every((m) => m.percent === 100),
    );
  } finally {
    await h.dispose();
  }
});

Deno.test("parseCommandLine() hands backfill and status --quality options on; bad ones are usage errors", () => {
  const line = parseCommandLine([
    "backfill",
    "--since",
    "2026-01-01",
    "--dry-run",
    "--markets",
    "0xab,12",
  ]);
  assert.equal(line.command, "backfill");
  const args = parseBackfillArgs(line.args);
  assert.deepEqual(args.since, new Date("2026-01-01"));
  assert.deepEqual([args.markets, args.dryRun, args.gapsOnly], [["0xab", "12"], true, false]);
  assert.deepEqual(parseCommandLine(["status", "--quality"]).args, ["--quality"]);
  assert.throws(() => parseCommandLine(["run", "--dry-run"]), UsageError);
  assert.throws(() => parseCommandLine(["backfill", "--quality"]), UsageError);
  assert.throws(() => parseBackfillArgs(["--since", "yesterday-ish"]), UsageError);
  // Date.parse("1") is 2001-01-01: a typo must not become 25 years of history.
  for (const typo of ["1", "2026", "01/02/2026", "2026-1-1"]) {
    assert.throws(() => parseBackfillArgs(["--since", typo]), UsageError, typo);
  }
  assert.deepEqual(
    parseBackfillArgs(["--since", "2026-01-01T12:30:00Z"]).since,
    new Date("2026-01-01T12:30:00Z"),
  );
  assert.throws(
    () => parseBackfillArgs(["--since", "2026-02-01", "--until", "2026-01-01"]),
    UsageError,
  );
});

Deno.test("backfill says when --events or --tag match nothing, and exits 2 when nothing is selected", async () => {
  const h = await setupBackfill({ markets: 2, tradeMs: 500 });
  try {
    const { client } = h.http();
    const now = new Date();
    const known = h.markets[0]!.eventIndex;
    const plan = await planBackfill(h.db.sql, {
      events: [String(known), "424242"],
      since: new Date(now.getTime() - 60_000),
      now,
    });
    assert.deepEqual(plan.unknownEvents, ["424242"]);
    assert.equal(plan.selectedNothing, false);
    const tagged = await planBackfill(h.db.sql, {
      tag: "424242",
      http: client,
      signal: AbortSignal.timeout(10_000),
      since: new Date(now.getTime() - 60_000),
      now,
    });
    assert.equal(tagged.tagMarkets, 0);
    assert.equal(tagged.selectedNothing, true);
    assert.equal(tagged.windows.length, 0);

    const config = loadConfig({
      DATABASE_URL: h.db.url!,
      PMCOLLECT_GAMMA_URL: h.sim.url,
      PMCOLLECT_CLOB_URL: h.sim.url,
      PMCOLLECT_DATA_API_URL: h.sim.url,
    });
    const lines: string[] = [];
    const code = await runBackfillCommand(config, {
      log,
      signal: AbortSignal.timeout(20_000),
      write: (line) => lines.push(line),
      args: ["--events", "424242", "--since", "2026-01-01", "--dry-run"],
    });
    assert.equal(code, 2);
    assert.ok(
      lines.some((l) => /events with no market in the catalog.*424242/.test(l)),
      lines.join("\n"),
    );
  } finally {
    await h.dispose();
  }
});

Deno.test("an interrupted backfill prints backfill_interrupted, never backfill_done, and exits 1", async () => {
  const h = await setupBackfill({ markets: 6, tradeMs: 1000 });
  try {
    h.sim.control.latency(400);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        fromFileUrl(new URL("../main.ts", import.meta.url)),
        "backfill",
        "--since",
        new Date((h.firstSecond - 3600) * 1000).toISOString(),
        "--until",
        new Date((h.lastSecond + 1) * 1000).toISOString(),
      ],
      env: {
        NO_COLOR: "1",
        DATABASE_URL: h.db.url!,
        PMCOLLECT_GAMMA_URL: h.sim.url,
        PMCOLLECT_CLOB_URL: h.sim.url,
        PMCOLLECT_DATA_API_URL: h.sim.url,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stdout = "";
    const reader = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) stdout += chunk;
    })();
    const stderr = new Response(child.stderr).text();
    while (!stdout.includes("estimated duration")) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGINT");
    const status = await child.status;
    await reader;
    await stderr;
    assert.equal(status.code, 1, stdout);
    assert.doesNotMatch(stdout, /backfill_done/);
    assert.match(stdout, /"event":"backfill_interrupted"/);
  } finally {
    await h.dispose();
  }
});

Deno.test("status --quality on a new database: no more tokens with trades than active, 100 % capture when nothing was lost", async () => {
  const h = await setupBackfill({ markets: 4, tradeMs: 5000 });
  try {
    const sql = h.db.sql;
    // The listener started after the simulator's first trades and lost nothing since.
    const started = h.firstSecond + 1;
    const caught = h.log.filter((t) => t.second > started);
    assert.ok(caught.length > 0 && caught.length < h.log.length);
    await insertLive(sql, caught);
    // One market closed since it traded: its tokens are no longer active.
    const closed = h.markets[0]!;
    await sql`update markets set closed = true where market_id = ${closed.id}`;
    const now = new Date((h.lastSecond + 1) * 1000);
    const quality = await measureDataQuality(sql, { now });
    const day = quality.windows[0]!.trades;
    const activeWithTrades = new Set(
      caught.filter((t) => t.conditionId !== closed.conditionId).map((t) => t.tokenId),
    );
    assert.equal(day.tokensActive, (h.markets.length - 1) * 2);
    assert.equal(day.tokensWithTrades, activeWithTrades.size, "tokens");
    assert.ok(day.tokensWithTrades <= day.tokensActive);
    assert.deepEqual([day.live, day.backfilled], [caught.length, 0]);

    const { client } = h.http();
    const capture = await crossCheckTrades(sql, client, {
      now,
      lagMs: 0,
      windowMs: 3_600_000,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(capture.percent, 100, JSON.stringify(capture));
    assert.ok(capture.venue > 0);
  } finally {
    await h.dispose();
  }
});

Deno.test("backfill --since walks the first live second too: fills caught there are not stored again", async () => {
  const h = await setupBackfill({ markets: 3, tradeMs: 2500 });
  try {
    const token = h.markets[0]!.tokenIds[0];
    const trades = h.log.filter((t) => t.tokenId === token);
    // The listener subscribed in the middle of a second: it caught all but the first fill of it.
    const perSecond = new Map<number, number>();
    for (const t of trades) perSecond.set(t.second, (perSecond.get(t.second) ?? 0) + 1);
    const s = [...perSecond].sort((a, b) => b[1] - a[1])[0]![0];
    const inS = trades.filter((t) => t.second === s);
    assert.ok(inS.length >= 2, `busiest second has ${inS.length} fills`);
    const live = trades.filter((t) => t.second > s).concat(inS.slice(1));
    await insertLive(h.db.sql, live);
    const since = new Date((h.firstSecond - 1) * 1000);
    const until = new Date((h.lastSecond + 1) * 1000);
    const plan = await planBackfill(h.db.sql, { since, until, now: new Date() });
    const window = plan.windows.find((w) => w.kind === "trades" && w.scope === token);
    assert.equal(window?.endAt.getTime(), (s + 1) * 1000);
    const { client } = h.http();
    const result = await runBackfill(
      { sql: h.db.sql, http: client, log },
      plan,
      AbortSignal.timeout(20_000),
    );
    assert.equal(result.tradesAlreadyStored, inS.length - 1);
    const rows = await h.db.sql<{ tx_hash: string }[]>`
      select tx_hash from trades where token_id = ${token}`;
    assert.equal(rows.length, trades.length);
    assert.equal(new Set(rows.map((r) => r.tx_hash)).size, trades.length);
  } finally {
    await h.dispose();
  }
});

Deno.test("a gap that ends on a whole second is refetched through that second: fills missed in it are stored once", async () => {
  const h = await setupBackfill({ markets: 3, tradeMs: 2500 });
  try {
    const token = h.markets[0]!.tokenIds[0];
    const trades = h.log.filter((t) => t.tokenId === token);
    const perSecond = new Map<number, number>();
    for (const t of trades) perSecond.set(t.second, (perSecond.get(t.second) ?? 0) + 1);
    // The busiest second after the first: the listener resumed at its first millisecond and
    // caught all but the first of its fills (the others stamped a few ms later).
    const s = [...perSecond].filter(([at]) => at > h.firstSecond)
      .sort((a, b) => b[1] - a[1])[0]![0];
    const inS = trades.filter((t) => t.second === s);
    assert.ok(inS.length >= 2, `busiest second has ${inS.length} fills`);
    const from = s - 1;
    const live = trades.filter((t) => t.second < from || t.second > s).concat(inS.slice(1));
    await insertLive(h.db.sql, live);
    await recordGaps(h.db.sql, [{
      collector: "trades",
      scope: token,
      startAt: new Date(from * 1000 + 300),
      endAt: new Date(s * 1000),
      cause: "disconnected",
    }]);
    const plan = await planBackfill(h.db.sql, { gapsOnly: true, now: new Date() });
    const { client } = h.http();
    const result = await runBackfill(
      { sql: h.db.sql, http: client, log },
      plan,
      AbortSignal.timeout(20_000),
    );
    assert.equal(result.tradesAlreadyStored, inS.length - 1);
    assert.equal(result.gapsMarked, 1);
    const rows = await h.db.sql<{ tx_hash: string }[]>`
      select tx_hash from trades where token_id = ${token}`;
    assert.equal(new Set(rows.map((r) => r.tx_hash)).size, rows.length, "none stored twice");
    assert.equal(rows.length, trades.length, "every fill of the token stored");
    const window = plan.windows.find((w) => w.kind === "trades" && w.scope === token);
    assert.deepEqual(
      [window?.startAt.getTime(), window?.endAt.getTime()],
      [from * 1000, (s + 1) * 1000],
    );
  } finally {
    await h.dispose();
  }
});

Deno.test("an open stop interval that began before --since is filled from --since to --until and stays open", async () => {
  const h = await setupBackfill({ markets: 1, tradeMs: 1500 });
  try {
    const token = h.markets[0]!.tokenIds[0]!;
    const stop = new Date((h.firstSecond - 60) * 1000 + 400);
    await recordGaps(h.db.sql, [{
      collector: "trades",
      scope: "*",
      startAt: new Date(stop.getTime() - 1000),
      endAt: stop,
      cause: "downtime",
      detail: { reason: "stopped", open: true },
    }]);
    const since = new Date(h.firstSecond * 1000);
    const until = new Date((h.lastSecond + 1) * 1000 + 500);
    const plan = await planBackfill(h.db.sql, { since, until, gapsOnly: true, now: until });
    const window = plan.windows.find((w) => w.kind === "trades" && w.scope === token);
    assert.deepEqual(
      [window?.startAt.getTime(), window?.endAt.getTime()],
      [since.getTime(), (h.lastSecond + 2) * 1000],
    );
    assert.deepEqual(plan.gaps, [], "an open interval is never marked backfilled");
    const result = await runBackfill(
      { sql: h.db.sql, http: h.http().client, log },
      plan,
      AbortSignal.timeout(20_000),
    );
    assert.equal(result.rowsByKind.trades, h.log.length);
  } finally {
    await h.dispose();
  }
});
