/**
 * The recorded stream across a `kill -9`: a subprocess listener records, is killed, and a new
 * one starts. The new session ledgers the downtime from the killed session's last stored row
 * to its own start; no book is rebuilt inside it; each session's stored rows are a gapless
 * prefix of its arrival sequence (nothing duplicated, nothing missing in the middle); the new
 * session opens a segment for every token, and its clean stop ends them all.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startSimulator } from "../simulator/server.ts";
import { bookAt } from "../stream/book_at.ts";
import { setup, tokensOf, until } from "./_trades_harness.ts";
import { TEST_DATABASE_URL } from "./_db.ts";
import { testWithin } from "./_time_limit.ts";

const ENTRY = fromFileUrl(new URL("./_trades_entry.ts", import.meta.url));
const test = testWithin(60_000);

test("stream: kill -9 and restart → a downtime gap between two sessions, no book inside it", async () => {
  const sim = await startSimulator({ markets: 8, seed: 5, tickMs: 20, lifecycleRate: 0 });
  const t = await setup({});
  const tokens = tokensOf(sim.universe.markets.filter((m) => m.status === "open").slice(0, 4))
    .map((x) => x.tokenId);
  const child = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", ENTRY],
      env: {
        DATABASE_URL: TEST_DATABASE_URL,
        TEST_SCHEMA: t.db.schema,
        PMCOLLECT_DATA_DIR: t.dataDir,
        PMCOLLECT_WS_MARKET_URL: sim.wsUrl,
        PMCOLLECT_FLUSH_MS: "50",
        TRADES_TOKENS: JSON.stringify(tokens),
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  const sessions = async () =>
    await t.db.sql<{ session: string; n: number; last: string; at: Date }[]>`
      select session, count(*)::int as n, max(seq) as last, max(received_at) as at
      from book_events group by session order by session`;
  try {
    const first = child();
    await until(async () => ((await sessions())[0]?.n ?? 0) > 300, 20_000);
    first.kill("SIGKILL");
    await first.status;
    await sleep(500); // the venue moves on while nobody listens
    const second = child();
    await until(async () => ((await sessions())[1]?.n ?? 0) > 300, 20_000);
    second.kill("SIGTERM");
    assert.equal((await second.status).code, 0);

    const [a, b] = await sessions();
    assert.ok(a !== undefined && b !== undefined);
    // Stored rows of each session are a gapless prefix of its sequence.
    assert.equal(a.n, Number(a.last) + 1);
    assert.equal(b.n, Number(b.last) + 1);
    const gaps = await t.db.sql<{ start: Date; end: Date }[]>`
      select start_at as start, end_at as end from gaps
      where collector = 'stream' and scope = '*' and cause = 'downtime'`;
    assert.equal(gaps.length, 1);
    assert.deepEqual(gaps[0], { start: a.at, end: new Date(Number(b.session)) });
    const inside = new Date((a.at.getTime() + Number(b.session)) / 2);
    const before = new Date(a.at.getTime() - 1);
    let coveredBefore = 0;
    for (const token of tokens) {
      assert.deepEqual(await bookAt(t.db.sql, token, { at: inside }), {
        covered: false,
        reason: "gap",
      });
      if ((await bookAt(t.db.sql, token, { at: before })).covered) coveredBefore++;
    }
    assert.ok(coveredBefore >= tokens.length - 1, `${coveredBefore} covered before the kill`);
    // The new session opens a segment per token; its clean stop ends every one of them.
    const segments = await t.db.sql<{ open: number; ended: number }[]>`
      select count(*) filter (where ended_at is null)::int as open,
             count(*) filter (where end_cause = 'ended')::int as ended
      from stream_segments where session = ${b.session}`;
    assert.equal(segments[0]!.open, 0);
    assert.ok(segments[0]!.ended >= tokens.length - 1, JSON.stringify(segments));
  } finally {
    await sim.close();
    await t.dispose();
  }
});
