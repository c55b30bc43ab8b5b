/**
 * The intent journal (execution/intent_journal.ts) on a real PostgreSQL and a real file: an
 * intent is durable in the file before `record` resolves and before its row exists (the row's
 * insert is held by a lock here); a crash between the flush and the row (the file left as the
 * killed process left it) is finished by `recover`, which stores the journaled intents as
 * pending, books the one the broker took and marks the other unsent, sending nothing; halts,
 * repeated ids, a torn last line and a foreign line; and intents left unstored by a database
 * that refused them are stored by the next opening.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import type { OrderRequest } from "../execution/broker.ts";
import {
  IntentJournal,
  JournaledIntents,
  parseEntry,
  REMEMBERED_IDS,
} from "../execution/intent_journal.ts";
import {
  createLedger,
  DuplicateIntentError,
  placeOrder,
  TradingHaltedError,
} from "../execution/ledger.ts";
import { recover } from "../execution/recover.ts";
import { ledgerJournal } from "../execution/venue_journal.ts";
import { silentLogger } from "../runtime/log.ts";
import { BACKENDS, withDatabase } from "./_db.ts";
import { MemoryBroker } from "./_memory_broker.ts";
import { orderRequest } from "./_order_request.ts";
import { testWithin } from "./_time_limit.ts";

const test = testWithin(60_000);
const log = silentLogger();

const intent = (clientOrderId: string) => orderRequest(clientOrderId);

async function withJournalDir(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "intent_journal_" });
  try {
    await fn(join(dir, "data", "intents.journal"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const lines = (path: string) =>
  Deno.readTextFileSync(path).split("\n").filter((l) => l !== "").map((l) => parseEntry(l));

test("record() resolves once the intent is in the journal; its row follows, then the file is emptied", () =>
  withJournalDir((path) =>
    withDatabase("server", async (db) => {
      await migrate(db.sql, { log, timescale: "off" });
      const intents = new JournaledIntents(db.sql, { path, halted: () => null, log });
      await intents.ready();
      // Hold every insert into intents: the rows cannot exist while the lock is held.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => release = resolve);
      let journaled: ReturnType<typeof lines> = [];
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => locked = resolve);
      const holder = db.sql.begin(async (tx) => {
        await tx`lock table intents in exclusive mode`;
        locked();
        await gate;
      });
      try {
        await isLocked;
        const before = Date.now();
        // Two legs asked for in one turn share one flush.
        await Promise.all([intents.record(intent("leg-1")), intents.record(intent("leg-2"))]);
        journaled = lines(path);
        assert.deepEqual(journaled.map((e) => e?.request.clientOrderId), ["leg-1", "leg-2"]);
        assert.deepEqual(journaled[0]?.request, intent("leg-1"));
        assert.ok(journaled[0]!.at >= before);
        assert.equal(intents.unstored, 2);
        let stored = false;
        void intents.stored("leg-2").then(() => stored = true);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(stored, false, "the row waits for the lock");
        // The venue broker signs an order at its intent's instant, read before the row exists.
        const early = await ledgerJournal({ sql: db.sql, log, intents }).entry("leg-1");
        assert.equal(early?.recordedAt, journaled[0]!.at);
        assert.deepEqual(early?.request, intent("leg-1"));
      } finally {
        release();
        await holder;
      }
      await intents.stored("leg-1");
      await intents.stored("leg-2");
      const rows = await db.sql<{ id: string; state: string; at: Date }[]>`
        select client_order_id as id, state, created_at as at from intents order by 1`;
      assert.deepEqual(rows.map((r) => [r.id, r.state]), [["leg-1", "pending"], [
        "leg-2",
        "pending",
      ]]);
      // created_at is the journal's instant, not the late insert's: a restart rebuilds the
      // order the venue broker signed.
      assert.equal(rows[0]!.at.getTime(), journaled[0]!.at);
      const late = await ledgerJournal({ sql: db.sql, log, intents }).entry("leg-1");
      assert.equal(late?.recordedAt, journaled[0]!.at);
      assert.equal(Deno.readTextFileSync(path), "", "the file is emptied once every row is stored");
      assert.equal(intents.unstored, 0);
      await intents.close();
    })
  ));

for (const backend of BACKENDS) {
  test(`a crash between the flush and the row: recover stores the journaled intents, books the one the broker took, sends nothing (${backend})`, () =>
    withJournalDir((path) =>
      withDatabase(backend, async (db) => {
        await migrate(db.sql, { log, timescale: "off" });
        const broker = new MemoryBroker();
        // The killed process flushed two intents and sent the first; neither row was written.
        const at = Date.now() - 5_000;
        const file = new IntentJournal(path);
        file.append([{ request: intent("c-sent"), at }, { request: intent("c-unsent"), at }]);
        file.close();
        assert.equal((await broker.submit(intent("c-sent"))).ok, true);
        // The write of a third was cut short by the crash: its flush never returned.
        Deno.writeTextFileSync(path, '{"at":1,"intent":{"clientOr', { append: true });
        const submits = broker.submits;

        const ledger = createLedger(db.sql, {
          log,
          journal: { path, halted: () => null },
        });
        try {
          const report = await recover(ledger, broker);
          assert.deepEqual([...report.restored].sort(), ["c-sent", "c-unsent"]);
          assert.deepEqual(report.found, ["c-sent"]);
          assert.deepEqual(report.unsent, ["c-unsent"]);
          assert.equal(broker.submits, submits, "recovery sent nothing");
          const rows = await db.sql<{ id: string; state: string; at: Date }[]>`
          select client_order_id as id, state, created_at as at from intents order by 1`;
          assert.deepEqual(rows.map((r) => [r.id, r.state]), [["c-sent", "acked"], [
            "c-unsent",
            "unsent",
          ]]);
          assert.equal(rows[0]!.at.getTime(), at, "created when it was journaled");
          assert.equal(Deno.readTextFileSync(path), "", "the journal is emptied");
          // Restoring does not keep the journal locked: a start that fails after it holds nothing.
          new IntentJournal(path).close();
          // Restored ids are refused again; a new id is journaled, sent and booked.
          await assert.rejects(
            placeOrder(ledger, broker, intent("c-unsent")),
            DuplicateIntentError,
          );
          const outcome = await placeOrder(ledger, broker, intent("c-new"));
          assert.equal(outcome.kind, "acked");
          const [acked] = await db.sql`
          select i.state, o.order_id from intents i join orders o using (client_order_id)
          where client_order_id = 'c-new'`;
          assert.equal(acked?.state, "acked");
        } finally {
          await ledger.intents.close();
        }
      })
    ));
}

test("halted, repeated ids and invalid requests are refused before anything is journaled", () =>
  withJournalDir((path) =>
    withDatabase("server", async (db) => {
      await migrate(db.sql, { log, timescale: "off" });
      let halt: string | null = "manual check";
      const intents = new JournaledIntents(db.sql, { path, halted: () => halt, log });
      try {
        await assert.rejects(
          intents.record(intent("h-1")),
          (err: unknown) => err instanceof TradingHaltedError && err.reason === "manual check",
        );
        assert.equal(Deno.readTextFileSync(path), "");
        halt = null;
        const outcomes = await Promise.all(
          ["a", "b", "a"].map((id) => intents.record(intent(id)).then(() => "ok", (e) => e)),
        );
        assert.deepEqual(outcomes.slice(0, 2), ["ok", "ok"]);
        assert.ok(outcomes[2] instanceof DuplicateIntentError);
        await intents.stored("a");
        await assert.rejects(intents.record(intent("a")), DuplicateIntentError);
        await assert.rejects(intents.record({ ...intent("p"), price: "1" }), RangeError);
        await assert.rejects(
          intents.record({ ...intent("s"), side: "HOLD" as OrderRequest["side"] }),
          RangeError,
        );
        await intents.stored("b");
        const rows = await db.sql`select client_order_id from intents order by 1`;
        assert.deepEqual(rows.map((r) => r.client_order_id), ["a", "b"]);
        assert.ok(REMEMBERED_IDS >= 1_000);
        // One writer per journal: a second one would empty it under the first.
        assert.throws(() => new IntentJournal(path), /another process holds it/);
      } finally {
        await intents.close();
      }
    })
  ));

test("intents the database refused stay in the journal through close() and are stored by the next opening", () =>
  withJournalDir((path) =>
    withDatabase("server", async (db) => {
      // No migration yet: the intents table does not exist, every insert fails.
      const first = new JournaledIntents(db.sql, { path, halted: () => null, log });
      await first.record(intent("kept"));
      const waiting = first.stored("kept");
      await new Promise((resolve) => setTimeout(resolve, 150));
      await first.close();
      await assert.rejects(waiting, /closed before this intent was stored/);
      assert.deepEqual(lines(path).map((e) => e?.request.clientOrderId), ["kept"]);
      // A line this program never wrote is counted and skipped; the rest is stored.
      Deno.writeTextFileSync(path, "not json\n", { append: true });

      await migrate(db.sql, { log, timescale: "off" });
      const second = new JournaledIntents(db.sql, { path, halted: () => null, log });
      try {
        assert.deepEqual(await second.restore(), ["kept"]);
        const rows = await db.sql`select client_order_id, state from intents`;
        assert.deepEqual(rows.map((r) => [r.client_order_id, r.state]), [["kept", "pending"]]);
        assert.equal(Deno.readTextFileSync(path), "");
        // After a close, the next record opens the journal again.
        await second.close();
        await second.record(intent("after-close"));
        await second.stored("after-close");
        assert.equal((await db.sql`select 1 from intents`).length, 2);
      } finally {
        await second.close();
      }
    })
  ));
