/**
 * `pmcollect orders`, `positions` and `resume` against the real PostgreSQL: a ledger written
 * through execution/ledger.ts, one token's book in the recorded stream (its best bid marks the
 * position), another token with no book at all (unmarked).
 */
import assert from "node:assert/strict";
import { parseCommandLine } from "../cli/command_line.ts";
import { runOrdersCommand, runPositionsCommand, runResumeCommand } from "../cli/ledger_command.ts";
import { migrate } from "../db/migrate.ts";
import { createLedger, placeOrder, recordFill } from "../execution/ledger.ts";
import { haltTrading } from "../execution/trading_state.ts";
import { parseWsFrame } from "../polymarket/ws_frame.ts";
import { loadConfig } from "../runtime/config.ts";
import { silentLogger } from "../runtime/log.ts";
import { MemoryBroker } from "./_memory_broker.ts";
import { testRecorder } from "./_recorder.ts";
import { serverTimescale, withDatabase } from "./_db.ts";

const T0 = Date.UTC(2026, 11, 6, 10, 0);
const MARKET = "0x" + "cd".repeat(32);
const MARKED = "42";
const UNMARKED = "77";

/** A book whose best bid ends at 0.4 (0.45 is taken off by the second frame). */
const FRAMES = [
  {
    event_type: "book",
    market: MARKET,
    asset_id: MARKED,
    timestamp: String(T0),
    hash: "h",
    bids: [{ price: "0.4", size: "10" }, { price: "0.45", size: "3.5" }],
    asks: [{ price: "0.6", size: "12.25" }],
  },
  {
    event_type: "price_change",
    market: MARKET,
    timestamp: String(T0 + 5),
    price_changes: [{ asset_id: MARKED, price: "0.45", size: "0", side: "BUY" }],
  },
];

Deno.test("pmcollect orders, positions and resume read and clear the ledger", async () => {
  await withDatabase("server", async (db) => {
    const log = silentLogger();
    await migrate(db.sql, { log, timescale: serverTimescale(db) });
    const rec = testRecorder(db.sql, { session: 3 });
    FRAMES.forEach((f, i) => rec.record(parseWsFrame(JSON.stringify(f), T0 + i * 10).messages, 2));
    await rec.flush();

    const ledger = createLedger(db.sql, { log });
    const broker = new MemoryBroker({ now: () => T0 });
    await recordFill(ledger, {
      fillId: "t-1",
      orderId: "o-1",
      clientOrderId: null,
      tokenId: MARKED,
      side: "BUY",
      price: "0.52",
      size: "10",
      fee: "0.05",
      liquidity: "taker",
      at: T0,
    });
    await recordFill(ledger, {
      fillId: "t-2",
      orderId: "o-2",
      clientOrderId: null,
      tokenId: UNMARKED,
      side: "BUY",
      price: "0.3",
      size: "5",
      fee: "0",
      liquidity: "maker",
      at: T0,
    });
    const resting = {
      tokenId: MARKED,
      side: "SELL" as const,
      orderType: "GTC" as const,
      price: "0.7",
      size: "4",
      postOnly: false,
      expiration: null,
    };
    assert.equal(
      (await placeOrder(ledger, broker, { ...resting, clientOrderId: "c-live" })).kind,
      "acked",
    );
    broker.crash = "before_accept";
    assert.equal(
      (await placeOrder(ledger, broker, { ...resting, clientOrderId: "c-unknown" })).kind,
      "unknown",
    );

    const config = loadConfig({ DATABASE_URL: db.url! });
    const run = async (
      command: typeof runOrdersCommand,
      argv: string[],
    ): Promise<{ code: number; lines: string[] }> => {
      const lines: string[] = [];
      const cl = parseCommandLine(argv);
      const code = await command(config, {
        log,
        signal: new AbortController().signal,
        write: (l) => lines.push(l),
        args: cl.args,
      });
      return { code, lines };
    };

    const positions = await run(runPositionsCommand, ["positions", "--json"]);
    assert.equal(positions.code, 0);
    const report = JSON.parse(positions.lines[0]!);
    assert.deepEqual(report, {
      positions: [
        {
          tokenId: MARKED,
          size: "10",
          cost: "5.2",
          realized: "0",
          fees: "0.05",
          bestBid: "0.4",
          markSource: "stream",
          unrealized: "-1.2",
          pnl: "-1.25",
        },
        {
          tokenId: UNMARKED,
          size: "5",
          cost: "1.5",
          realized: "0",
          fees: "0",
          bestBid: null,
          markSource: null,
          unrealized: null,
          pnl: null,
        },
      ],
      cash: "-6.75",
    });
    const text = await run(runPositionsCommand, ["positions"]);
    assert.match(text.lines.join("\n"), /0\.4 \(stream\)/);
    assert.equal(text.lines.at(-1), "cash -6.75");

    const open = await run(runOrdersCommand, ["orders", "--json"]);
    const orders = JSON.parse(open.lines[0]!) as { clientOrderId: string; status: string }[];
    assert.deepEqual(
      orders.map((o) => [o.clientOrderId, o.status]).sort(),
      [["c-live", "LIVE"], ["c-unknown", "PENDING"]],
    );

    assert.equal((await run(runResumeCommand, ["resume"])).code, 1);
    await haltTrading(db.sql, { reason: "test halt", by: "test" });
    const resumed = await run(runResumeCommand, ["resume", "--by", "alice"]);
    assert.equal(resumed.code, 0);
    assert.match(resumed.lines[0]!, /trading resumed by alice .*test halt/);
    assert.throws(() => parseCommandLine(["positions", "--all"]), /--all belongs to the orders/);
    assert.throws(() => parseCommandLine(["orders", "--bogus"]), /Unknown option '--bogus'/);
  });
});
