/**
 * Recording intents: the one write between a decision and its order (issue 30's decision
 * latency; docs/execution.md "Decision latency"). An intent is durable before the broker sees
 * the order: the statement that writes it commits with `synchronous_commit` as the server has
 * it (on by default: the commit returns once the WAL is flushed to disk), so no crash after it
 * returns can lose the intent, and no order exists that the ledger does not know of.
 *
 * What makes it fast is doing nothing else on the way:
 * - **one round trip**: the halt check (a share lock on `trading_state`, so a halt waits for an
 *   intent being written and the next intent sees the halt), the insert and the commit are one
 *   autocommit statement, prepared once per connection (before: BEGIN, SELECT … FOR SHARE,
 *   INSERT, COMMIT, four round trips, each a wake-up of the server process on a busy machine);
 * - **a connection of its own** (`dedicated`): the writer reserves one of the pool's, so an intent
 *   never waits behind the fills being booked or the collector's writers. Opt-in: a reserved
 *   connection holds `sql.end()` for its whole timeout unless `close()` gives it back first, and
 *   a one-connection pool (embedded PGlite) has none to spare; without it the statement takes
 *   an idle connection of the pool when there is one, and queues behind busy ones when not;
 * - **group commit**: intents asked for while one is being written (a trade's other legs, sent
 *   together) go in the next statement together, so N legs cost two commits, not N. The first
 *   intent is never held back waiting for company.
 *
 * A broken reserved connection is given back and the next intent reserves a fresh one; the
 * intents of the failed statement fail with the driver's error (whether it committed is unknown
 * to the caller, which has sent nothing: `recover` finds such an intent pending at next start).
 *
 * @example
 * ```ts ignore
 * import { IntentWriter } from "./ledger_intents.ts";
 * const intents = new IntentWriter(sql);
 * await intents.record(request); // durable; now the order may be sent
 * ```
 */
import type { Sql } from "../db/client.ts";
import { ONE, parseDec } from "../edge/decimal.ts";
import type { OrderRequest } from "./broker.ts";

/** New orders are refused: a reconciliation difference or a person halted trading. */
export class TradingHaltedError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`Cannot send an order: trading is halted (${reason})`);
    this.name = "TradingHaltedError";
    this.reason = reason;
  }
}

/** The client order id was recorded before: that intent is never sent a second time. */
export class DuplicateIntentError extends Error {
  readonly clientOrderId: string;
  constructor(clientOrderId: string, options?: ErrorOptions) {
    super(
      `Cannot record intent ${clientOrderId}: that client order id is already recorded`,
      options,
    );
    this.name = "DuplicateIntentError";
    this.clientOrderId = clientOrderId;
  }
}

/**
 * What the ledger's intents are written by: this module's statement (`IntentWriter`), or the
 * local journal (`JournaledIntents`, execution/intent_journal.ts).
 */
export interface IntentRecorder {
  /** Resolves once the intent is durable: then, and only then, may its order be sent. */
  record(request: OrderRequest): Promise<void>;
  /** Resolves once the intent's row is in the `intents` table. */
  stored(clientOrderId: string): Promise<void>;
  /**
   * Stores intents made durable elsewhere before a crash (the journal's), as pending; returns
   * their ids. `recover` calls it first.
   */
  restore(): Promise<readonly string[]>;
  /** Prepares what the first intent would otherwise pay for. */
  ready(): Promise<void>;
  /** Intents made durable and not yet stored as rows (0 for the statement). */
  readonly unstored: number;
  /**
   * The intent of `clientOrderId` as made durable, while its row is not stored yet: the request
   * and the instant that will be its `created_at` (Unix ms); null otherwise (then the row has it).
   */
  journaled(clientOrderId: string): { readonly request: OrderRequest; readonly at: number } | null;
  close(): Promise<void>;
}

const SIDES: ReadonlySet<string> = new Set(["BUY", "SELL"]);
const ORDER_TYPES: ReadonlySet<string> = new Set(["GTC", "GTD", "FOK", "FAK"]);

/**
 * Why the `intents` table would refuse the request (its checks), or null: a price outside
 * (0, 1), a size not positive, an unknown side or order type.
 */
export function checkIntent(request: OrderRequest): RangeError | null {
  const price = parseDec(request.price);
  if (!(price > 0n && price < ONE)) {
    return new RangeError(`Order price must be between 0 and 1: "${request.price}"`);
  }
  if (!(parseDec(request.size) > 0n)) {
    return new RangeError(`Order size must be positive: "${request.size}"`);
  }
  if (!SIDES.has(request.side)) return new RangeError(`Not an order side: "${request.side}"`);
  if (!ORDER_TYPES.has(request.orderType)) {
    return new RangeError(`Not an order type: "${request.orderType}"`);
  }
  return null;
}

/** An intent as a row of `intents` for `json_to_recordset` (its column names). */
export function intentRecord(r: OrderRequest) {
  return {
    client_order_id: r.clientOrderId,
    token_id: r.tokenId,
    side: r.side,
    order_type: r.orderType,
    price: r.price,
    size: r.size,
    post_only: r.postOnly,
    expiration: r.expiration,
  };
}

type Reserved = Awaited<ReturnType<Sql["reserve"]>>;

interface Waiting {
  readonly request: OrderRequest;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface Written {
  /** Null when the trading_state row is missing (read as halted). */
  readonly halted: boolean | null;
  readonly reason: string | null;
  readonly added: string[];
}

/** Writes intents durably, one statement per batch, on a connection of its own when it can. */
export class IntentWriter implements IntentRecorder {
  readonly #sql: Sql;
  readonly #dedicated: boolean;
  #connection: Promise<Reserved> | null = null;
  #queue: Waiting[] = [];
  #writing = false;

  /**
   * `dedicated`: reserve a connection of the pool for intents (then `close()` it before the
   * pool ends). Refused on a one-connection pool, which it would take from everything else.
   */
  constructor(sql: Sql, options: { readonly dedicated?: boolean } = {}) {
    if (options.dedicated === true && (sql.options?.max ?? 1) < 2) {
      throw new RangeError("A dedicated intent connection needs a pool of 2 or more connections");
    }
    this.#sql = sql;
    this.#dedicated = options.dedicated === true;
  }

  /**
   * Resolves once the intent is committed (halt check included).
   * @throws {RangeError} a price outside (0, 1) or a size not positive, before anything is written
   * @throws {TradingHaltedError} @throws {DuplicateIntentError}
   */
  record(request: OrderRequest): Promise<void> {
    const invalid = checkIntent(request);
    if (invalid !== null) return Promise.reject(invalid);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  /** At once: the statement that records an intent stores its row. */
  stored(_clientOrderId: string): Promise<void> {
    return Promise.resolve();
  }

  /** None: the statement stores the row that makes an intent durable. */
  get unstored(): number {
    return 0;
  }

  /** None: an intent is durable only as its row. */
  journaled(_clientOrderId: string): null {
    return null;
  }

  /** Nothing to restore: an intent is durable only as its row. */
  restore(): Promise<readonly string[]> {
    return Promise.resolve([]);
  }

  /** Reserves the dedicated connection now, so the first intent does not pay for it. */
  async ready(): Promise<void> {
    if (this.#dedicated) await this.#reserved();
  }

  /** Gives the dedicated connection back to the pool (a later intent reserves it again). */
  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    if (connection !== null) (await connection.catch(() => null))?.release();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        let written: Written;
        try {
          written = await this.#write(batch.map((w) => w.request));
        } catch (err) {
          for (const w of batch) w.reject(err);
          continue;
        }
        settle(batch, written);
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(requests: readonly OrderRequest[]): Promise<Written> {
    const rows = JSON.stringify(requests.map(intentRecord));
    const sql = this.#dedicated ? await this.#reserved() : this.#sql;
    try {
      const [row] = await sql<Written[]>`
        with state as (select halted, reason from trading_state for share),
        added as (
          insert into intents (client_order_id, token_id, side, order_type, price, size,
            post_only, expiration)
          select r.client_order_id, r.token_id, r.side, r.order_type, r.price, r.size,
            r.post_only, r.expiration
          from json_to_recordset(${rows}::text::json) as r(client_order_id text, token_id text,
            side text, order_type text, price numeric, size numeric, post_only boolean,
            expiration bigint)
          where exists (select 1 from state where not halted)
          on conflict (client_order_id) do nothing
          returning client_order_id)
        select (select halted from state) as halted, (select reason from state) as reason,
          array(select client_order_id from added) as added`;
      return row!;
    } catch (err) {
      if (this.#dedicated) await this.close();
      throw err;
    }
  }

  #reserved(): Promise<Reserved> {
    if (this.#connection === null) {
      const reserving = this.#sql.reserve();
      this.#connection = reserving;
      reserving.catch(() => {
        if (this.#connection === reserving) this.#connection = null;
      });
    }
    return this.#connection;
  }
}

/** Resolves each intent the statement added (the first of a repeated id), rejects the rest. */
function settle(batch: readonly Waiting[], written: Written): void {
  if (written.halted !== false) {
    const reason = written.halted === null
      ? "the trading_state row is missing"
      : written.reason ?? "no reason given";
    for (const w of batch) w.reject(new TradingHaltedError(reason));
    return;
  }
  const added = new Set(written.added);
  for (const w of batch) {
    if (added.delete(w.request.clientOrderId)) w.resolve();
    else w.reject(new DuplicateIntentError(w.request.clientOrderId));
  }
}
