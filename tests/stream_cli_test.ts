/**
 * `pmcollect book` and `pmcollect replay` against a recorded stream on the real server:
 * `book --json` prints the documented shape (decimal strings, best first), `--at` picks the
 * past, and `replay` gives back the recorded events in arrival order, grouped as they came,
 * from the database or (`--parquet`) from an export folder.
 */
import assert from "node:assert/strict";
import { runBookCommand } from "../cli/book_command.ts";
import { parseCommandLine } from "../cli/command_line.ts";
import { parseReplayArgs, runReplayCommand } from "../cli/replay_command.ts";
import { exportPartition } from "../export/export_partition.ts";
import { dayPartition } from "../export/partition.ts";
import { migrate } from "../db/migrate.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0);
const MARKET = "0x" + "ab".repeat(32);
const TOKEN = "42";

const FRAMES = [
  {
    event_type: "book",
    market: MARKET,
    asset_id: TOKEN,
    timestamp: String(T0),
    hash: "h",
    bids: [{ price: "0.4", size: "10" }, { price: "0.45", size: "3.5" }],
    asks: [{ price: "0.6", size: "12.25" }],
  },
  {
    event_type: "price_change",
    market: MARKET,
    timestamp: String(T0 + 5),
    price_changes: [
      { asset_id: TOKEN, price: "0.45", size: "0", side: "BUY" },
      { asset_id: TOKEN, price: "0.55", size: "7", side: "SELL" },
    ],
  },
];

Deno.test("pmcollect book --json and replay read the recorded stream", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql, { session: 5 });
    FRAMES.forEach((f, i) => rec.record(parseWsFrame(JSON.stringify(f), T0 + i * 10).messages, 2));
    await rec.flush();
    const config = loadConfig({ DATABASE_URL: db.url! });
    const run = async (argv: string[]) => {
      const lines: string[] = [];
      const cl = parseCommandLine(argv);
      const context = {
        log: silentLogger(),
        signal: new AbortController().signal,
        write: (l: string) => lines.push(l),
        args: cl.args,
      };
      const code = cl.command === "book"
        ? await runBookCommand(config, context)
        : await runReplayCommand(config, context);
      return { code, lines };
    };
    assert.deepEqual(await run(["book", TOKEN, "--json"]), {
      code: 0,
      lines: ['{"bids":[["0.4","10"]],"asks":[["0.55","7"],["0.6","12.25"]]}'],
    });
    const past = new Date(T0 + 5).toISOString();
    assert.deepEqual(await run(["book", TOKEN, "--at", past, "--json"]), {
      code: 0,
      lines: ['{"bids":[["0.45","3.5"],["0.4","10"]],"asks":[["0.6","12.25"]]}'],
    });
    assert.equal((await run(["book", "404", "--json"])).code, 1);
    const replay = await run(["replay", "--tokens", TOKEN]);
    const events = replay.lines.map((l) => JSON.parse(l) as BookEvent);
    assert.deepEqual(events.map((e) => [e.kind, e.connection, e.receivedAt]), [
      ["book", 2, T0],
      ["price_change", 2, T0 + 10],
    ]);
    assert.deepEqual(events[0], {
      kind: "book",
      tokenId: TOKEN,
      exchangeTs: T0,
      receivedAt: T0,
      connection: 2,
      sequence: 0,
      bids: [["0.45", "3.5"], ["0.4", "10"]],
      asks: [["0.6", "12.25"]],
      tickSize: null,
    });
    assert.deepEqual((events[1] as { changes: unknown }).changes, [
      { price: "0.45", size: "0", side: "BUY" },
      { price: "0.55", size: "7", side: "SELL" },
    ]);

    // The same lines from an export folder, with no database behind them.
    const out = await Deno.makeTempDir({ prefix: "pmcollect_replay_cli_" });
    try {
      const signal = new AbortController().signal;
      const options = { out, program: "pmcollect test", signal };
      const day = new Date(T0).toISOString().slice(0, 10);
      await exportPartition(db.sql, dayPartition("book_events", "received_at", day), options);
      assert.equal((await run(["replay", "--parquet", out])).code, 1, "token_keys missing");
      await exportPartition(db.sql, { table: "token_keys", timeColumn: null, day: null }, options);
      assert.deepEqual(await run(["replay", "--parquet", out, "--tokens", TOKEN]), replay);
      assert.throws(() => parseReplayArgs(["--parquet", out, "--event", "9"]), /--event needs/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("pmcollect book on a resolved market says when it resolved and which token won", async () => {
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql, { session: 6 });
    const resolvedAt = T0 + 60_000;
    const resolved = {
      event_type: "market_resolved",
      id: "77",
      market: MARKET,
      assets_ids: [TOKEN, "43"],
      winning_asset_id: "43",
      winning_outcome: "No",
      timestamp: String(resolvedAt),
    };
    [...FRAMES, resolved].forEach((f, i) =>
      rec.record(parseWsFrame(JSON.stringify(f), i < 2 ? T0 + i * 10 : resolvedAt).messages, 2)
    );
    await rec.flush();
    await db.sql`
      insert into tokens (token_id, condition_id, market_id, outcome, outcome_index)
      values (${TOKEN}, ${MARKET}, '77', 'Yes', 0), ('43', ${MARKET}, '77', 'No', 1)`;
    await db.sql`
      insert into resolutions (condition_id, market_id, status, winner_token_id, winner_outcome,
                               resolved_at, source, strength)
      values (${MARKET}, '77', 'resolved', '43', 'No', ${new Date(resolvedAt)}, 'ws', 3)`;
    const config = loadConfig({ DATABASE_URL: db.url! });
    const run = async (argv: string[]) => {
      const lines: string[] = [];
      const context = {
        log: silentLogger(),
        signal: new AbortController().signal,
        write: (l: string) => lines.push(l),
        args: parseCommandLine(argv).args,
      };
      return { code: await runBookCommand(config, context), lines };
    };
    const at = new Date(resolvedAt).toISOString();
    assert.deepEqual(await run(["book", TOKEN]), {
      code: 1,
      lines: [`not covered: the market resolved at ${at}: this token lost; No won (token 43)`],
    });
    const json = JSON.parse((await run(["book", TOKEN, "--json"])).lines[0]!);
    assert.deepEqual(json.resolution, {
      resolvedAt: at,
      winnerTokenId: "43",
      winnerOutcome: "No",
      won: false,
    });
    // Before the resolution the book is there, and nothing is said of a resolution.
    const before = await run(["book", TOKEN, "--at", new Date(T0 + 20).toISOString()]);
    assert.equal(before.code, 0);
    assert.ok(!before.lines.join("\n").includes("resolved"), before.lines.join("\n"));
  });
});
