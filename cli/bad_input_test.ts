/**
 * Bad input gets one line on stderr, `pmcollect <command>: <what is wrong>`, and exit code 2,
 * through the real entry point (`main()` in-process; its console output is captured). The
 * unknown-token case runs against a fresh schema on the real PostgreSQL.
 */
import assert from "node:assert/strict";
import { main } from "../main.ts";
import { migrate } from "../db/migrate.ts";
import { upsertMarkets, upsertTokens } from "../db/catalog.ts";
import { silentLogger } from "../runtime/log.ts";
import { withDatabase } from "../tests/_db.ts";
import { marketRow } from "../tests/_collector_env.ts";
import { parseBacktestArgs } from "./backtest_command.ts";
import { parseReplayArgs } from "./replay_command.ts";
import { parseReportArgs } from "./report_command.ts";
import { UsageError } from "./command_line.ts";

/** Runs `main(argv, env)`, returning its exit code and what it printed. */
async function run(argv: string[], env: Record<string, string> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  // deno-lint-ignore no-console
  const saved = { log: console.log, error: console.error };
  // deno-lint-ignore no-console
  console.log = (...parts: unknown[]) => stdout.push(parts.join(" "));
  // deno-lint-ignore no-console
  console.error = (...parts: unknown[]) => stderr.push(parts.join(" "));
  try {
    const code = await main(argv, { PMCOLLECT_HEALTH_PORT: "0", ...env });
    return { code, stdout, stderr };
  } finally {
    Object.assign(console, saved);
  }
}

/** The lines that are not JSON log events (what a person reads). */
function said(lines: string[]): string[] {
  return lines.flatMap((l) => l.split("\n")).filter((l) => !l.startsWith("{"));
}

Deno.test("replay and backtest exit 2 with one line when --since is not before --until", async () => {
  const since = "2026-11-30T13:00:00Z";
  const until = "2026-11-30T12:00:00Z";
  const message = "--since (2026-11-30T13:00:00.000Z) must be before --until " +
    "(2026-11-30T12:00:00.000Z)";
  for (const command of ["replay", "backtest"]) {
    const result = await run([command, "--since", since, "--until", until]);
    assert.equal(result.code, 2, command);
    assert.deepEqual(result.stderr, [`pmcollect ${command}: ${message}`]);
    assert.deepEqual(result.stdout, []);
  }
  // The same instant twice is an empty interval: refused too; in order, parsed.
  assert.throws(() => parseReplayArgs(["--since", since, "--until", since]), UsageError);
  assert.throws(() => parseBacktestArgs(["--since", since, "--until", since]), UsageError);
  const inOrder = ["--since", until, "--until", since];
  assert.equal(parseReplayArgs(inOrder).until?.getTime(), Date.parse(since));
  assert.equal(parseBacktestArgs(inOrder).since?.getTime(), Date.parse(until));
});

Deno.test("report --day 2026-02-30 exits 2: a date the calendar does not have", async () => {
  const result = await run(["report", "--day", "2026-02-30"]);
  assert.equal(result.code, 2);
  assert.deepEqual(result.stderr, ["pmcollect report: --day 2026-02-30 is not a calendar date"]);
  for (const day of ["2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10"]) {
    assert.throws(() => parseReportArgs(["--day", day]), /is not a calendar date/, day);
  }
  assert.throws(() => parseReportArgs(["--day", "30/11/2026"]), /needs --day YYYY-MM-DD/);
  assert.throws(() => parseReportArgs([]), /needs --day YYYY-MM-DD/);
  assert.equal(
    parseReportArgs(["--day", "2028-02-29"]).since.toISOString(),
    "2028-02-29T00:00:00.000Z",
  );
  // Impossible instants are refused the same way, not rolled over into March.
  const bad = await run(["replay", "--since", "2026-02-30T10:00:00Z"]);
  assert.equal(bad.code, 2);
  assert.deepEqual(bad.stderr, [
    "pmcollect replay: --since 2026-02-30T10:00:00Z is not a real date and time",
  ]);
  assert.throws(() => parseReplayArgs(["--until", "1"]), /--until must be an ISO time/);
});

Deno.test("replay --tokens with a token the database does not know exits 2 naming it", () =>
  withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    await upsertMarkets(db.sql, [
      marketRow({ marketId: "m-1", conditionId: "c-1" }, { eventId: "ev-1" }),
    ]);
    await upsertTokens(db.sql, [
      { tokenId: "111", conditionId: "c-1", marketId: "m-1", outcome: "Yes", outcomeIndex: 0 },
      { tokenId: "222", conditionId: "c-1", marketId: "m-1", outcome: "No", outcomeIndex: 1 },
    ]);
    const env = { DATABASE_URL: db.url!, PMCOLLECT_LOG_LEVEL: "warn" };

    const unknown = await run(["replay", "--tokens", "111,999"], env);
    assert.equal(unknown.code, 2);
    assert.deepEqual(said(unknown.stderr), [
      "pmcollect replay: unknown token 999 (neither in the catalog nor in the recorded stream)",
    ]);
    assert.deepEqual(unknown.stdout, [], "nothing replayed");
    const two = await run(["replay", "--tokens", "998,111,999"], env);
    assert.match(said(two.stderr)[0]!, /^pmcollect replay: unknown tokens 998, 999 \(/);

    const event = await run(["replay", "--event", "ev-404"], env);
    assert.equal(event.code, 2);
    assert.deepEqual(said(event.stderr), [
      "pmcollect replay: --event ev-404: no market of this event in the catalog",
    ]);

    // Known tokens (nothing recorded yet) replay nothing and exit 0.
    const known = await run(["replay", "--tokens", "111,222"], env);
    assert.equal(known.code, 0, known.stderr.join("\n"));
    assert.deepEqual(said(known.stderr), []);
    assert.equal((await run(["replay", "--event", "ev-1"], env)).code, 0);
  }));
