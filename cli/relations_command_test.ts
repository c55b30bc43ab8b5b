/**
 * `pmcollect relations` against a fresh schema on the real PostgreSQL: a seeded catalog holding
 * a date ladder in one event and a cross-event deadline pair; listing with filters and --json,
 * the interactive review and its script form, decisions that survive a refresh, `check`
 * rejecting the ladder on a resolved counter-example, and a rules amendment making a confirmed
 * proposal stale.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { upsertMarkets, upsertTokens } from "../db/catalog.ts";
import { upsertResolutions } from "../db/resolutions.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { withDatabase } from "../tests/_db.ts";
import { marketRow } from "../tests/_collector_env.ts";
import { parseCommandLine } from "./command_line.ts";
import { parseRelationsArgs, parseReviewAnswer, runRelationsCommand } from "./relations_command.ts";
import type { StoredRelation } from "../relations/registry.ts";

const MARKETS = [
  ["m-mar", "ev-1", "Will the Fed cut rates by March 31, 2027?", "2027-03-31"],
  ["m-jun", "ev-1", "Will the Fed cut rates by June 30, 2027?", "2027-06-30"],
  ["x-sep", "ev-2", "Will the Fed cut rates by September 30, 2027?", "2027-09-30"],
] as const;

async function seed(sql: Parameters<typeof upsertMarkets>[0]): Promise<void> {
  await upsertMarkets(
    sql,
    MARKETS.map(([id, event, question, end]) =>
      marketRow({ marketId: id, conditionId: `c-${id}` }, {
        eventId: event,
        question,
        endDate: new Date(`${end}T00:00:00Z`),
      })
    ),
  );
  await upsertTokens(
    sql,
    MARKETS.flatMap(([id]) => [
      {
        tokenId: `${id}-yes`,
        conditionId: `c-${id}`,
        marketId: id,
        outcome: "Yes",
        outcomeIndex: 0,
      },
      { tokenId: `${id}-no`, conditionId: `c-${id}`, marketId: id, outcome: "No", outcomeIndex: 1 },
    ]),
  );
}

Deno.test("parseCommandLine() hands relations its subcommand, options and setting flags", () => {
  const line = parseCommandLine([
    "relations",
    "review",
    "--reject",
    "k",
    "--note",
    "why",
    "--database-url",
    "postgres://x@h/db",
  ]);
  assert.equal(line.command, "relations");
  assert.deepEqual(line.flags, { DATABASE_URL: "postgres://x@h/db" });
  assert.deepEqual(line.args, ["review", "--reject", "k", "--note", "why"]);
  assert.deepEqual(parseCommandLine(["relations", "--status", "stale"]).args, [
    "--status",
    "stale",
  ]);
  assert.throws(() => parseRelationsArgs(["--status", "maybe"]), /--status must be one of/);
  assert.throws(() => parseRelationsArgs(["review", "--reject", "k"]), /needs a reason/);
  assert.throws(() => parseRelationsArgs(["--confirm", "k"]), /belong to/);
  assert.throws(() => parseRelationsArgs(["frob"]), /one of list, check, review/);
});

Deno.test("relations: list with filters and --json, review, decisions survive refresh, check", () =>
  withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    await seed(db.sql);
    const config = loadConfig({ DATABASE_URL: db.url! });
    const run = async (args: string[], answers: string[] = []) => {
      const out: string[] = [];
      const code = await runRelationsCommand(config, {
        log,
        signal: new AbortController().signal,
        write: (line) => out.push(line),
        args,
        lines: (async function* () {
          yield* answers;
        })(),
        now: () => new Date("2026-11-02T00:00:00Z"),
      });
      return { code, text: out.join("\n") };
    };

    const json = await run(["--json"]);
    assert.equal(json.code, 0);
    const all = JSON.parse(json.text) as StoredRelation[];
    assert.deepEqual(all.map((r) => [r.key, r.type, r.status, r.members]), [
      ["ladder_date:ev-1", "ladder_date", "confirmed", ["m-mar", "m-jun"]],
      ["proposal:implies:m-jun:x-sep", "implies", "proposed", ["m-jun", "x-sep"]],
      ["proposal:implies:m-mar:x-sep", "implies", "proposed", ["m-mar", "x-sep"]],
    ]);
    const table = await run(["--type", "ladder", "--event", "ev-1"]);
    assert.match(table.text, /^key\s+type\s+status\s+members\s+provenance\s+note$/m);
    assert.match(table.text, /^ladder_date:ev-1\s+ladder_date\s+confirmed\s+2\s/m);
    assert.match(table.text, /^1 relations$/m);
    assert.equal(
      (await run(["--event", "ev-2", "--status", "proposed", "--json"])).text.split(
        "proposal:",
      ).length,
      3,
    );
    assert.equal((await run(["--status", "stale"])).text, "no relations match");

    // Interactive: reject the first proposal with a note, then quit.
    const walked = await run(["review", "--by", "ana"], ["r different source", "q"]);
    assert.match(walked.text, /proposal:implies:m-jun:x-sep {2}\(implies, lexical:jaccard\)/);
    assert.match(walked.text, /⇒ {2}x-sep \(event ev-2\): Will the Fed cut rates by September/);
    assert.match(walked.text, /confirmed 0, rejected 1, skipped 0 of 2 proposals/);
    // Script form: confirm the other.
    const confirmed = await run(["review", "--confirm", "proposal:implies:m-mar:x-sep"]);
    assert.equal(confirmed.text, "confirmed proposal:implies:m-mar:x-sep");
    assert.equal((await run(["review", "--confirm", "nope"])).code, 1);

    const after = JSON.parse((await run(["--json"])).text) as StoredRelation[];
    const byKey = new Map(after.map((r) => [r.key, r]));
    const rejected = byKey.get("proposal:implies:m-jun:x-sep")!;
    assert.deepEqual(
      [rejected.status, rejected.decidedBy, rejected.decisionNote],
      ["rejected", "ana", "different source"],
      "a refresh ran before this listing and kept the decision",
    );
    assert.equal(new Date(rejected.decidedAt!).toISOString(), "2026-11-02T00:00:00.000Z");
    const kept = byKey.get("proposal:implies:m-mar:x-sep")!;
    assert.deepEqual([kept.status, kept.decidedBy], ["confirmed", "reviewer"]);
    // The proposal is derived again with a different detail: the decision still stands.
    await db.sql`update markets set question = question || '!' where market_id = 'm-mar'`;
    const again = JSON.parse(
      (await run(["--status", "confirmed", "--type", "implies", "--json"])).text,
    );
    assert.deepEqual(
      again.map((r: StoredRelation) => [r.key, (r.detail.questions as string[])[0]]),
      [["proposal:implies:m-mar:x-sep", "Will the Fed cut rates by March 31, 2027?!"]],
    );

    // A resolved counter-example: March resolved Yes, June No.
    await upsertResolutions(db.sql, [
      resolution("m-mar", "m-mar-yes"),
      resolution("m-jun", "m-jun-no"),
      { ...resolution("x-sep", null), status: "ambiguous", finalPrices: ["0.5", "0.5"] },
    ]);
    const check = await run(["check"]);
    assert.match(
      check.text,
      /^rejected ladder_date:ev-1: m-mar resolved yes but m-jun, which it implies, resolved no$/m,
    );
    assert.match(check.text, /^finding fifty_fifty proposal:implies:m-mar:x-sep/m);
    const ladder = JSON.parse((await run(["--type", "ladder_date", "--json"])).text)[0];
    assert.equal(ladder.status, "rejected");
    assert.equal(ladder.decidedBy, "falsification");
    assert.deepEqual(ladder.counterExample.members, ["m-mar", "m-jun"]);
    // A rules amendment of a member turns the person-confirmed proposal stale.
    await db.sql`update markets set rules_hash = 'amended' where market_id = 'x-sep'`;
    const stale = JSON.parse((await run(["--status", "stale", "--json"])).text) as StoredRelation[];
    assert.deepEqual(stale.map((r) => r.key), ["proposal:implies:m-mar:x-sep"]);
    const [finding] = await db.sql`select relation_key, kind from relation_findings`;
    assert.deepEqual({ ...finding }, {
      relation_key: "proposal:implies:m-mar:x-sep",
      kind: "fifty_fifty",
    });
  }));

function resolution(marketId: string, winner: string | null) {
  return {
    conditionId: `c-${marketId}`,
    marketId,
    status: "resolved" as const,
    winnerTokenId: winner,
    winnerOutcome: null,
    finalPrices: null,
    resolvedAt: new Date("2026-11-01T00:00:00Z"),
    source: "clob",
    strength: 2,
    evidence: {},
  };
}

Deno.test("relations refuses a schema with pending migrations and says to migrate", () =>
  withDatabase("server", async (db) => {
    const out: string[] = [];
    const code = await runRelationsCommand(loadConfig({ DATABASE_URL: db.url! }), {
      log: silentLogger(),
      signal: new AbortController().signal,
      write: (line) => out.push(line),
      args: ["list"],
    });
    assert.equal(code, 1);
    assert.deepEqual(out, ["the schema is not up to date: run `pmcollect --migrate` first"]);
  }));

Deno.test("parseReviewAnswer() knows c/r [note], s, q and their words, and nothing else", () => {
  assert.deepEqual(parseReviewAnswer(" c "), { verb: "confirm", note: null });
  assert.deepEqual(parseReviewAnswer("R  same  source"), { verb: "reject", note: "same  source" });
  assert.deepEqual(parseReviewAnswer("confirm ok"), { verb: "confirm", note: "ok" });
  assert.deepEqual(parseReviewAnswer("skip"), { verb: "skip", note: null });
  assert.deepEqual(parseReviewAnswer("Q"), { verb: "quit", note: null });
  for (const line of ["", "yes", "cat", "s later", "q now", "constructor", "?"]) {
    assert.equal(parseReviewAnswer(line), null, JSON.stringify(line));
  }
});

Deno.test("relations review reports each line it does not understand, applies the rest, exits 2", () =>
  withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: "off" });
    await seed(db.sql);
    const out: string[] = [];
    const warnings: string[] = [];
    const code = await runRelationsCommand(loadConfig({ DATABASE_URL: db.url! }), {
      log,
      signal: new AbortController().signal,
      write: (line) => out.push(line),
      warn: (line) => warnings.push(line),
      args: ["review", "--by", "ana"],
      // Two proposals: a line it cannot read answers the first, the second is confirmed.
      lines: (async function* () {
        yield* ["yes", "c same resolution source"];
      })(),
      now: () => new Date("2026-11-02T00:00:00Z"),
    });
    assert.equal(code, 2);
    assert.deepEqual(warnings, [
      'pmcollect relations: line 1: "yes" is not an answer (c [note], r [note], s or q); ' +
      "proposal:implies:m-jun:x-sep stays proposed",
    ]);
    assert.match(out.at(-1)!, /^confirmed 1, rejected 0, skipped 0, 1 not understood of 2 /);
    const rows = await db.sql<{ relation_key: string; status: string; decision_note: string }[]>`
      select relation_key, status, decision_note from relations
      where relation_key like 'proposal:%' order by relation_key`;
    assert.deepEqual(rows.map((r) => [r.relation_key, r.status, r.decision_note]), [
      ["proposal:implies:m-jun:x-sep", "proposed", null],
      ["proposal:implies:m-mar:x-sep", "confirmed", "same resolution source"],
    ]);
  }));
