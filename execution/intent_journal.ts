/**
 * The intent journal (issue 30's decision latency; docs/execution.md "The intent journal"): a
 * local append-only file where an intent is made durable before its order is sent, so the
 * decision waits for one `fdatasync` of this process and not for a database round trip.
 *
 * A commit on the server wakes two processes (the server's backend, then this one) after a
 * stretch of CPU work, and on a small virtual machine each wake-up can wait milliseconds for a
 * core; `write` + `fdatasync` called synchronously on this thread wakes nobody. Measured at the
 * decision's moment (`deno task bench execution`): p99 0.5 ms here against 2.7 ms for a bare
 * durable insert, and 3.0 ms for the same flush through the runtime's async file API (a thread
 * pool wake-up again).
 *
 * `JournaledIntents` writes each intent (a batch: every intent asked for in the same turn of the
 * event loop) as one JSON line per intent, then flushes, then lets the order go; then stores the
 * intents in the `intents` table in the background (one statement per batch, retried until the
 * database takes it), and empties the file once every journaled intent is stored. The ledger's
 * writes about an order (its ack, its updates, its fills) wait for its intent's row
 * (`stored`). After a crash, `restore` (called by `recover`, before anything else) stores what
 * the file still holds, as `pending` intents that recovery then looks up at the broker.
 *
 * What it gives up against the database statement (`IntentWriter`), and why `createLedger` uses
 * it only when asked (the live paths ask, unless `PMCOLLECT_INTENT_JOURNAL=off`):
 * - the halt check is the caller's (`halted`, the risk engine's mode in memory, which the kill
 *   switch sets at once and which sees a halt written by another process at its next poll, 250
 *   ms): an order sent in that window is canceled by the kill's sweep;
 * - a repeated client order id is refused when this writer journaled it (the last
 *   {@link REMEMBERED_IDS}) or restored it; one stored by an earlier process is found only by
 *   the background insert, after the order went (logged `intent_repeated`, level error). The
 *   executor's ids carry a prefix of their own per process, so it never repeats one.
 *
 * @example
 * ```ts ignore
 * import { JournaledIntents } from "./intent_journal.ts";
 * const intents = new JournaledIntents(sql, { path: "data/intents.journal", halted: () => null, log });
 * await intents.restore();
 * await intents.record(request); // durable in the file; now the order may be sent
 * ```
 */
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Sql } from "../db/client.ts";
import type { Logger } from "../runtime/log.ts";
import type { OrderRequest } from "./broker.ts";
import {
  checkIntent,
  DuplicateIntentError,
  intentRecord,
  TradingHaltedError,
} from "./ledger_intents.ts";

/** The journal's file name in the data directory. */
export const INTENT_JOURNAL_FILE = "intents.journal";
/** Ids this writer remembers having journaled (older ones are left to the database's key). */
export const REMEMBERED_IDS = 65_536;
/** Wait between two attempts to store journaled intents while the database refuses. */
const STORE_RETRY_MS = 1_000;

/** One journaled intent: the request and when it was journaled (Unix ms). */
export interface JournalEntry {
  readonly request: OrderRequest;
  readonly at: number;
}

/** What a read of the file found. */
export interface JournalContents {
  readonly entries: JournalEntry[];
  /** A last line cut short (a crash while writing: its order was never sent). */
  readonly torn: number;
  /** Lines that are not a journal entry (never written by this program). */
  readonly bad: number;
}

const encoder = new TextEncoder();

/**
 * The file: synchronous appends made durable, a read from the start, and emptying; locked
 * (`flock`, exclusive) while open, so one writer at a time.
 */
export class IntentJournal {
  readonly path: string;
  readonly #file: Deno.FsFile;
  #bytes: number;

  constructor(path: string) {
    this.path = path;
    Deno.mkdirSync(dirname(path), { recursive: true });
    this.#file = Deno.openSync(path, { read: true, append: true, create: true });
    // One writer: a second one would empty the file under the first's unstored intents.
    if (!this.#file.tryLockSync(true)) {
      this.#file.close();
      throw new Error(
        `Cannot open the intent journal ${path}: another process holds it (two traders on one ` +
          `data directory?)`,
      );
    }
    this.#bytes = this.#file.statSync().size;
  }

  /** Appends one line per entry and flushes them to disk (`fdatasync`) before returning. */
  append(entries: readonly JournalEntry[]): void {
    const text = entries.map((e) => JSON.stringify({ at: e.at, intent: e.request }) + "\n").join(
      "",
    );
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
    this.#file.syncDataSync();
    this.#bytes += bytes.length;
  }

  /** Every entry in the file, in order. */
  read(): JournalContents {
    const text = new TextDecoder().decode(Deno.readFileSync(this.path));
    const lines = text.split("\n");
    // The text after the last newline is a line whose write did not finish.
    const tail = lines.pop() ?? "";
    const entries: JournalEntry[] = [];
    let bad = 0;
    for (const line of lines) {
      const entry = parseEntry(line);
      if (entry === null) bad += 1;
      else entries.push(entry);
    }
    return { entries, torn: tail === "" ? 0 : 1, bad };
  }

  /** Empties the file (every entry in it is stored elsewhere). */
  clear(): void {
    if (this.#bytes === 0) return;
    this.#file.truncateSync(0);
    this.#bytes = 0;
  }

  close(): void {
    this.#file.close();
  }
}

/** A line as {@link IntentJournal.append} writes it, or null. */
export function parseEntry(line: string): JournalEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { at, intent } = value as { at?: unknown; intent?: Record<string, unknown> };
  if (typeof at !== "number" || typeof intent !== "object" || intent === null) return null;
  const text = (k: string) => typeof intent[k] === "string";
  const expiration = intent.expiration;
  if (
    !text("clientOrderId") || !text("tokenId") || !text("side") || !text("orderType") ||
    !text("price") || !text("size") || typeof intent.postOnly !== "boolean" ||
    !(expiration === null || typeof expiration === "number")
  ) {
    return null;
  }
  return { at, request: intent as unknown as OrderRequest };
}

interface Asked {
  readonly request: OrderRequest;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface Unstored {
  readonly entry: JournalEntry;
  readonly stored: Promise<void>;
  readonly done: (err?: Error) => void;
}

export interface JournaledIntentsOptions {
  /** The journal file (`INTENT_JOURNAL_FILE` in the data directory). */
  readonly path: string;
  /** Why trading is halted, or null while it is not (the risk engine's mode). */
  readonly halted: () => string | null;
  readonly log: Logger;
}

/** Intents made durable in the journal, then stored in the database (see the module header). */
export class JournaledIntents {
  readonly #sql: Sql;
  readonly #path: string;
  /** Open (and locked) from the first flush to `close`. */
  #journal: IntentJournal | null = null;
  readonly #halted: () => string | null;
  readonly #log: Logger;
  #asked: Asked[] = [];
  readonly #unstored = new Map<string, Unstored>();
  readonly #remembered = new Set<string>();
  #toStore: Unstored[] = [];
  #storing: Promise<void> | null = null;
  #restored: Promise<readonly string[]> | null = null;
  #stop = new AbortController();

  constructor(sql: Sql, options: JournaledIntentsOptions) {
    this.#sql = sql;
    this.#path = options.path;
    this.#halted = options.halted;
    this.#log = options.log;
  }

  /**
   * Resolves once the intent is in the journal, flushed to disk: the order may be sent.
   * @throws {RangeError} (`checkIntent`) @throws {TradingHaltedError} @throws {DuplicateIntentError}
   */
  record(request: OrderRequest): Promise<void> {
    const invalid = checkIntent(request);
    if (invalid !== null) return Promise.reject(invalid);
    if (this.#restored === null) return this.restore().then(() => this.record(request));
    return new Promise<void>((resolve, reject) => {
      // Every intent asked for in this turn (a trade's legs) shares one flush.
      if (this.#asked.push({ request, resolve, reject }) === 1) queueMicrotask(() => this.#flush());
    });
  }

  /** Resolves once the intent's row is in the database (at once for an id not waiting). */
  stored(clientOrderId: string): Promise<void> {
    return this.#unstored.get(clientOrderId)?.stored ?? Promise.resolve();
  }

  /**
   * Opens the journal and stores what it holds from before (a crash between an intent's flush
   * and its row, or a `close` before every row was stored) as pending intents, then empties it.
   * Returns the ids stored now (not stored before). Runs once per opening: `recover` calls it
   * first, and the first `record` after a `close` does.
   */
  restore(): Promise<readonly string[]> {
    this.#restored ??= this.#restore().catch((err) => {
      this.#restored = null; // the next record or recover tries again
      throw err;
    });
    return this.#restored;
  }

  async #restore(): Promise<readonly string[]> {
    // Held (and locked) only while restoring; the first flush opens it again. A process that
    // restored and never traded (a start that failed later) then holds nothing.
    const journal = this.#journal ?? new IntentJournal(this.#path);
    try {
      const { entries, torn, bad } = journal.read();
      if (bad > 0) {
        this.#log.error("intent_journal_unreadable", { path: this.#path, lines: bad });
      }
      const added = entries.length === 0 ? [] : await this.#insert(entries);
      for (const e of entries) this.#remember(e.request.clientOrderId);
      if (entries.length > 0 || torn > 0) {
        this.#log.info("intent_journal_restored", {
          path: this.#path,
          entries: entries.length,
          stored: added.length,
          torn,
        });
      }
      journal.clear();
      return added;
    } finally {
      if (journal !== this.#journal) journal.close();
    }
  }

  /** Opens the journal and stores what it holds (`restore`). */
  async ready(): Promise<void> {
    await this.restore();
  }

  /**
   * Waits for the store in progress, stops retrying, leaves what is not stored in the journal
   * and closes the file: the next `restore` (this process's next `record`, or the next start's
   * `recover`) stores it. Rows waited for and not stored fail `stored()`.
   */
  async close(): Promise<void> {
    const restoring = this.#restored;
    if (restoring === null) return;
    await restoring.catch(() => {});
    this.#stop.abort();
    await this.#storing?.catch(() => {});
    const closed = new Error(
      "The intent journal was closed before this intent was stored: its next opening stores it",
    );
    for (const a of this.#asked.splice(0)) a.reject(closed);
    for (const u of this.#unstored.values()) u.done(closed);
    if (this.#unstored.size === 0) this.#journal?.clear();
    this.#unstored.clear();
    this.#toStore = [];
    this.#journal?.close();
    this.#journal = null;
    this.#restored = null;
    this.#stop = new AbortController();
  }

  /** Intents journaled and not yet stored in the database. */
  get unstored(): number {
    return this.#unstored.size;
  }

  /** The intent as journaled while its row is not stored yet (its `created_at` will be `at`). */
  journaled(clientOrderId: string): JournalEntry | null {
    return this.#unstored.get(clientOrderId)?.entry ?? null;
  }

  #flush(): void {
    const asked = this.#asked.splice(0);
    const halted = this.#halted();
    if (halted !== null) {
      for (const a of asked) a.reject(new TradingHaltedError(halted));
      return;
    }
    const batch: Asked[] = [];
    for (const a of asked) {
      const id = a.request.clientOrderId;
      if (this.#remembered.has(id) || this.#unstored.has(id)) {
        a.reject(new DuplicateIntentError(id));
      } else {
        this.#remember(id);
        batch.push(a);
      }
    }
    if (batch.length === 0) return;
    const at = Date.now();
    const entries = batch.map((a) => ({ request: a.request, at }));
    try {
      (this.#journal ??= new IntentJournal(this.#path)).append(entries);
    } catch (err) {
      // Not durable: nothing is sent, and the ids may be asked for again.
      for (const a of batch) {
        this.#remembered.delete(a.request.clientOrderId);
        a.reject(err);
      }
      return;
    }
    for (const entry of entries) {
      let done!: (err?: Error) => void;
      const stored = new Promise<void>((resolve, reject) => {
        done = (err) => err === undefined ? resolve() : reject(err);
      });
      stored.catch(() => {}); // awaited by the ledger's writes, when it is
      const unstored = { entry, stored, done };
      this.#unstored.set(entry.request.clientOrderId, unstored);
      this.#toStore.push(unstored);
    }
    for (const a of batch) a.resolve();
    this.#storing ??= this.#store().finally(() => this.#storing = null);
  }

  /** Stores the journaled intents, a batch per statement, until none is left or closed. */
  async #store(): Promise<void> {
    let failures = 0;
    while (this.#toStore.length > 0 && !this.#stop.signal.aborted) {
      const batch = this.#toStore.splice(0);
      try {
        const added = new Set(await this.#insert(batch.map((u) => u.entry)));
        const repeated = batch.filter((u) => !added.has(u.entry.request.clientOrderId));
        if (repeated.length > 0) {
          this.#log.error("intent_repeated", {
            clientOrderIds: repeated.map((u) => u.entry.request.clientOrderId),
            note: "already in the intents table: an order was sent under an id used before",
          });
        }
      } catch (err) {
        failures += 1;
        this.#toStore.unshift(...batch);
        this.#log.warn("intent_store_failed", {
          intents: batch.length,
          attempt: failures,
          error: err instanceof Error ? err.message : String(err),
        });
        await sleep(STORE_RETRY_MS, undefined, { signal: this.#stop.signal }).catch(() => {});
        continue;
      }
      failures = 0;
      for (const u of batch) {
        this.#unstored.delete(u.entry.request.clientOrderId);
        u.done();
      }
      if (this.#unstored.size === 0) this.#journal?.clear();
    }
  }

  /** Inserts the entries as pending intents (a row already there is kept); returns ids added. */
  async #insert(entries: readonly JournalEntry[]): Promise<string[]> {
    const rows = JSON.stringify(entries.map(({ request, at }) => ({
      ...intentRecord(request),
      created_at: new Date(at).toISOString(),
    })));
    const added = await this.#sql<{ client_order_id: string }[]>`
      insert into intents (client_order_id, token_id, side, order_type, price, size, post_only,
        expiration, created_at)
      select r.client_order_id, r.token_id, r.side, r.order_type, r.price, r.size, r.post_only,
        r.expiration, r.created_at
      from json_to_recordset(${rows}::text::json) as r(client_order_id text, token_id text,
        side text, order_type text, price numeric, size numeric, post_only boolean,
        expiration bigint, created_at timestamptz)
      on conflict (client_order_id) do nothing
      returning client_order_id`;
    return added.map((r) => r.client_order_id);
  }

  #remember(id: string): void {
    this.#remembered.add(id);
    if (this.#remembered.size > REMEMBERED_IDS) {
      this.#remembered.delete(this.#remembered.values().next().value!);
    }
  }
}
