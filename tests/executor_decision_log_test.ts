/**
 * The executor writes a decision's log line (`executor_decision`, with the whole plan) once the
 * trade's first order is handed to the broker, not before it: building and writing that line is
 * not on the decision's latency (issue 30). A decision that sends nothing (declined, or its first
 * order refused) is logged all the same. Through a real PostgreSQL ledger and the paper broker.
 */
import assert from "node:assert/strict";
import { migrate } from "../db/migrate.ts";
import { ZERO } from "../edge/decimal.ts";
import { scannerBookView } from "../execution/_book_view.ts";
import { Executor } from "../execution/executor.ts";
import { createLedger } from "../execution/ledger.ts";
import { PaperBroker } from "../execution/paper_broker.ts";
import { haltTrading } from "../execution/trading_state.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { RelationSet } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import { L2Books } from "../stream/l2_book.ts";
import { withDatabase } from "./_db.ts";
import { AT, book as planBook, FREE, PLAN, RELATION } from "./_executor_plan.ts";

/** A book of `tokenId` at AT with a fixed bid and the given asks. */
function book(tokenId: string, asks: [string, string][]): BookEvent {
  return planBook(tokenId, [["0.3", "100"]], asks);
}

/** One trade of PLAN on books where b's ask is `bAsk`; the log lines and hand-offs in order. */
async function tradeLog(bAsk: string, options: { readonly halted?: boolean } = {}) {
  const seen: string[] = [];
  await withDatabase("server", async (db) => {
    await migrate(db.sql, { log: silentLogger(), timescale: "off" });
    if (options.halted === true) await haltTrading(db.sql, { reason: "test", by: "test" });
    const books = new L2Books();
    const broker = new PaperBroker({ now: () => AT, latencyMs: 0, cash: "100", feeOf: () => FREE });
    for (const event of [book("a-yes", [["0.4", "10"]]), book("b-yes", [[bAsk, "10"]])]) {
      books.apply(event);
      broker.onBookEvent(event);
    }
    const log = createLogger({}, {
      write: (line) => {
        const { event, step } = JSON.parse(line);
        seen.push(step === undefined ? event : `${event} ${step}`);
      },
    });
    const executor = new Executor({
      ledger: createLedger(db.sql, { log: silentLogger() }),
      broker,
      books: scannerBookView(books, new RelationSet([RELATION])),
      limits: { maxBookAgeMs: 5000, minEdge: ZERO },
      now: () => AT,
      log,
      idPrefix: "x",
      onHandoff: (order) => seen.push(`handoff ${order.orderType}`),
    });
    await executor.trade(PLAN, { relation: RELATION, at: AT });
    await executor.flush();
    executor.close();
  });
  return seen;
}

Deno.test("executor writes the decision's line once its first order is handed to the broker", async () => {
  const seen = await tradeLog("0.5");
  // The thinnest leg alone (FOK), then the line, then the other leg (FAK).
  assert.deepEqual(seen.slice(0, 3), ["handoff FOK", "executor_decision open", "handoff FAK"]);
  assert.equal(seen.filter((s) => s === "executor_decision open").length, 1);
});

Deno.test("executor logs a declined decision, and one whose first order is refused", async () => {
  // b's ask moved to 0.7: the plan no longer fills at its limit; nothing is sent.
  assert.deepEqual(await tradeLog("0.7"), ["executor_decision open"]);
  // Trading halted: the first order is refused before the broker; the decision comes first.
  const halted = await tradeLog("0.5", { halted: true });
  assert.deepEqual(halted, ["executor_decision open", "executor_refused"]);
});
