/**
 * The venue broker (issue 29): `Broker` over the CLOB's order routes with L2 headers, and its
 * events from the authenticated user channel. Tested against the simulator; the one path that
 * points it at the real venue is live trading, off unless deliberately started
 * (execution/live_venue.ts; docs/execution.md, "Live trading").
 *
 * Submit: the order is checked and signed (`OrderSigner`) BEFORE the request, with the salt
 * from the client order id and, when a journal is given, the intent's recorded instant as its
 * timestamp (`venue_journal.ts`), so its hash (the venue's order id) is known whether or not an
 * answer comes back. One attempt, never retried blindly: a 2xx or 4xx answer says what the
 * venue did (425 maintenance and 429 are refusals worth sending again later, `retryable`); a
 * lost answer (transport error, timeout, abort) or a 5xx throws, and the order is looked up by
 * its hash (`orderByClientId`) instead of being sent twice. Sending the same signed order again
 * is refused by the venue as "Duplicated": that answer is looked up too.
 *
 * Look-ups: `GET /data/order/{hash}` answers live orders only; an order no longer live is
 * found in `GET /data/trades` (its fills) or in what the user channel said this session. An
 * order that was never live-and-filled and whose messages were missed (accepted, then canceled
 * with no fill, while this process was down) is reported as unknown (null): it holds nothing.
 *
 * Events: user-channel `order` messages become `order` events, `trade` messages become `fill`
 * events (once per fill, `_venue_fills.ts`). After a reconnect, `/data/trades` since the gap
 * is read and fills not yet told are emitted.
 *
 * @example
 * ```ts ignore
 * const broker = new VenueBroker({ clobUrl, dataApiUrl, userWsUrl, credentials, signer,
 *   marketRules, journal: ledgerJournal(ledger), log });
 * await broker.start(signal); // user channel subscribed
 * await placeOrder(ledger, broker, request, { signal });
 * ```
 */
import type { Logger } from "../runtime/log.ts";
import {
  type CancelAnswer,
  cancelAnswerSchema,
  END_CURSOR,
  openOrderSchema,
  pageSchema,
  tradeSchema,
  type UserChannelOrder,
  type UserChannelTrade,
  type WireOpenOrder,
} from "../polymarket/trading_schema.ts";
import { positionV2Schema } from "../polymarket/user_schema.ts";
import { UnexpectedResponseError } from "../polymarket/errors.ts";
import { formatDec, parseDec } from "../edge/decimal.ts";
import type {
  Broker,
  BrokerEvent,
  CancelResult,
  Fill,
  OpenOrder,
  OrderRequest,
  OrderStatus,
  Position,
  SubmitResult,
} from "./broker.ts";
import type { ApiCredentials } from "./l2_headers.ts";
import { orderBody } from "./order_body.ts";
import type { MarketRules } from "./order_rules.ts";
import { TICK_SIZES } from "./order_amounts.ts";
import { OrderRuleError, type OrderSigner } from "./signer.ts";
import type { OrderJournal } from "./venue_journal.ts";
import { fillsOfTrade, orderStatusOf } from "./_venue_fills.ts";
import { runUserChannel, type UserChannel } from "./_user_channel.ts";
import { type VenueAnswer, VenueHttp, type VenueRequest } from "./_venue_http.ts";
import { submitVerdict } from "./_venue_answers.ts";

/** How a venue broker is wired. */
export interface VenueBrokerOptions {
  /** The CLOB (order routes). */
  readonly clobUrl: string;
  /** The Data API (positions). */
  readonly dataApiUrl: string;
  /** The user channel; null: no events. */
  readonly userWsUrl: string | null;
  readonly credentials: ApiCredentials;
  readonly signer: OrderSigner;
  /** Tick size, minimum size and neg-risk of a token's market (the market state cache). */
  readonly marketRules: (tokenId: string, signal?: AbortSignal) => Promise<MarketRules>;
  /** The books, to sign with the intent's instant and to find earlier orders after a restart. */
  readonly journal?: OrderJournal;
  readonly log: Logger;
  readonly now?: () => number;
  /** Per request; default 10 s. */
  readonly timeoutMs?: number;
  /** User-channel PING interval; default 5 s. */
  readonly pingMs?: number;
  /** The transport (default `globalThis.fetch`). */
  readonly fetch?: typeof globalThis.fetch;
}

/** What this process knows of one of our orders. */
interface Known {
  readonly request: OrderRequest;
  readonly orderId: string;
  /** Other hashes the order may have been signed under (rebuilt orders only). */
  readonly alternates: readonly string[];
  readonly createdAt: number;
  /** The latest state the venue reported, if any. */
  last: OpenOrder | null;
}

const MAX_CANCEL = 3000;
/** How much earlier than an order's instant its trades are read (clocks differ). */
const CLOCK_MARGIN_S = 60;

/** The CLOB as a `Broker`. */
export class VenueBroker implements Broker {
  readonly #o: VenueBrokerOptions;
  readonly #http: VenueHttp;
  readonly #now: () => number;
  readonly #byClientId = new Map<string, Known>();
  readonly #byOrderId = new Map<string, Known>();
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  readonly #toldFills = new Set<string>();
  #channel: UserChannel | null = null;

  constructor(options: VenueBrokerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#http = new VenueHttp({
      clobUrl: options.clobUrl,
      dataApiUrl: options.dataApiUrl,
      address: options.signer.address,
      credentials: options.credentials,
      log: options.log,
      now: this.#now,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
  }

  /**
   * Opens the user channel (kept open, reconnecting, until `signal` aborts); resolves once it
   * is subscribed. Without a `userWsUrl` it does nothing.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#o.userWsUrl === null || this.#channel !== null) return;
    this.#channel = runUserChannel(this.#o.userWsUrl, this.#o.credentials, {
      onMessage: (m) => this.#onMessage(m),
      onReconnect: (downSince) => void this.#catchUp(downSince, signal),
      log: this.#o.log,
      signal,
      pingMs: this.#o.pingMs,
      now: this.#now,
    });
    await this.#channel.ready;
  }

  /** Settles once the user channel has closed after `start`'s signal aborted. */
  async closed(): Promise<void> {
    await this.#channel?.done;
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async submit(request: OrderRequest, signal?: AbortSignal): Promise<SubmitResult> {
    const { clientOrderId } = request;
    const rules = await this.#o.marketRules(request.tokenId, signal);
    const held = this.#byClientId.get(clientOrderId);
    if (held !== undefined && !sameOrder(held.request, request)) {
      return {
        ok: false,
        clientOrderId,
        error: `client order id ${clientOrderId} was already used for another order`,
        retryable: false,
      };
    }
    // The same instant for the same client order id, so sending it again signs the same order
    // (the venue refuses a duplicate hash): the intent's when there are books, else this
    // session's first.
    const journal = await this.#o.journal?.entry(clientOrderId);
    const createdAt = journal?.recordedAt ?? held?.createdAt ?? this.#now();
    let body: string;
    let orderId: string;
    try {
      const post = this.#o.signer.buildSignedOrder(request, rules, createdAt);
      orderId = post.order.orderHash;
      body = orderBody(post, this.#o.credentials.apiKey);
    } catch (err) {
      if (err instanceof OrderRuleError) {
        return { ok: false, clientOrderId, error: err.message, retryable: false };
      }
      throw err;
    }
    if (held !== undefined && held.orderId !== orderId) {
      // Sent before under other rules (a tick change): that order, if the venue has it.
      const found = await this.orderByClientId(clientOrderId, signal);
      if (found !== null && found.status !== "REJECTED") {
        return lookedUp(found, { orderId: found.orderId, clientOrderId });
      }
    }
    if (held?.orderId !== orderId) {
      this.#remember({ request, orderId, alternates: [], createdAt, last: null });
    }
    // One attempt: a lost answer throws and is looked up, never sent blindly again.
    const answer = await this.#http.send({ method: "POST", path: "/order", body }, signal);
    return await this.#submitResult(request, orderId, answer, signal);
  }

  async cancel(orderIds: readonly string[], signal?: AbortSignal): Promise<CancelResult> {
    const canceled: string[] = [];
    const notCanceled: Record<string, string> = {};
    for (let i = 0; i < orderIds.length; i += MAX_CANCEL) {
      const body = JSON.stringify(orderIds.slice(i, i + MAX_CANCEL));
      const part = await this.#cancelCall({ method: "DELETE", path: "/orders", body }, signal);
      canceled.push(...part.canceled);
      Object.assign(notCanceled, part.notCanceled);
    }
    return { canceled, notCanceled };
  }

  async cancelAll(signal?: AbortSignal): Promise<CancelResult> {
    return await this.#cancelCall({ method: "DELETE", path: "/cancel-all" }, signal);
  }

  async openOrders(signal?: AbortSignal): Promise<OpenOrder[]> {
    const rows = await this.#pages("/data/orders", {}, signal);
    const orders: OpenOrder[] = [];
    for (const raw of rows) {
      const parsed = openOrderSchema.safeParse(raw);
      if (!parsed.success) {
        this.#o.log.warn("venue_bad_open_order", { error: parsed.error.issues[0]?.message });
        continue;
      }
      orders.push(this.#openOrder(parsed.data));
    }
    return orders;
  }

  async orderByClientId(clientOrderId: string, signal?: AbortSignal): Promise<OpenOrder | null> {
    const known = await this.#known(clientOrderId, signal);
    if (known === null) return null;
    let trades: Fill[] | null = null;
    // The hash we hold first; for an order rebuilt from its intent, then the same order under
    // the other tick sizes (a tick change since it was signed changes some amounts' rounding).
    for (const orderId of [known.orderId, ...known.alternates]) {
      const live = await this.#liveOrder(orderId, signal);
      if (live !== null) {
        this.#settle(known, orderId);
        return this.#openOrder(live);
      }
      // Not live: filled, canceled, killed, or never there.
      const since = Math.floor(known.createdAt / 1000) - CLOCK_MARGIN_S;
      trades ??= await this.#fills(since, signal);
      const fills = trades.filter((f) => f.orderId.toLowerCase() === orderId.toLowerCase());
      if (fills.length > 0) return this.#fromFills(this.#settle(known, orderId), fills);
      const last = known.last;
      if (orderId === known.orderId && last !== null) {
        return last.status === "LIVE" ? { ...last, status: "CANCELED" } : last;
      }
    }
    return null;
  }

  /** `/data/order/{id}`: the order while it is live, else null. */
  async #liveOrder(orderId: string, signal?: AbortSignal): Promise<WireOpenOrder | null> {
    const live = await this.#http.sendIdempotent({
      method: "GET",
      path: `/data/order/${orderId}`,
    }, signal);
    if (live === null || typeof live !== "object" || Object.keys(live).length === 0) return null;
    const parsed = openOrderSchema.safeParse(live);
    if (!parsed.success) {
      throw new UnexpectedResponseError(`Cannot read order ${orderId}: bad shape`, {
        endpoint: "/data/order",
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** An order no longer live, from its fills (and its last reported status, if any). */
  #fromFills(known: Known, fills: readonly Fill[]): OpenOrder {
    const matched = fills.reduce((sum, f) => sum + parseDec(f.size), 0n);
    const r = known.request;
    const done = r.orderType === "FOK" || r.orderType === "FAK" || matched >= parseDec(r.size);
    const last = known.last;
    const status: OrderStatus = last !== null && last.status !== "LIVE"
      ? last.status
      : done
      ? "MATCHED"
      : "CANCELED";
    return { ...this.#fromRequest(known), sizeMatched: formatDec(matched), status };
  }

  /** The order id found for `known` becomes the one held (and its alternates are dropped). */
  #settle(known: Known, orderId: string): Known {
    if (orderId === known.orderId && known.alternates.length === 0) return known;
    this.#byOrderId.delete(known.orderId.toLowerCase());
    const settled: Known = { ...known, orderId, alternates: [] };
    this.#remember(settled);
    if (orderId !== known.orderId) {
      this.#o.log.warn("venue_order_found_under_other_tick", {
        clientOrderId: known.request.clientOrderId,
        orderId,
      });
    }
    return settled;
  }

  async positions(signal?: AbortSignal): Promise<Position[]> {
    const positions: Position[] = [];
    let cursor: string | null = null;
    do {
      const json = await this.#http.sendIdempotent({
        method: "GET",
        host: "data",
        path: "/v2/positions",
        query: { user: this.#o.signer.maker, status: "OPEN", cursor },
      }, signal);
      const page = (json ?? {}) as { data?: unknown; pagination?: { next_cursor?: unknown } };
      if (!Array.isArray(page.data)) {
        throw new UnexpectedResponseError("Cannot read positions: no data array", {
          endpoint: "/v2/positions",
        });
      }
      for (const raw of page.data) {
        const parsed = positionV2Schema.safeParse(raw);
        if (!parsed.success) {
          this.#o.log.warn("venue_bad_position", { error: parsed.error.issues[0]?.message });
          continue;
        }
        if (parseDec(parsed.data.size) !== 0n) {
          positions.push({ tokenId: parsed.data.tokenId, size: parsed.data.size });
        }
      }
      const next = page.pagination?.next_cursor;
      cursor = typeof next === "string" && next !== "" ? next : null;
    } while (cursor !== null);
    return positions;
  }

  /** Our fills matched at or after `sinceMs` (unix ms), oldest first (`/data/trades`). */
  async fillsSince(sinceMs: number, signal?: AbortSignal): Promise<Fill[]> {
    return await this.#fills(Math.floor(sinceMs / 1000), signal);
  }

  async #fills(sinceS: number, signal?: AbortSignal): Promise<Fill[]> {
    const rows = await this.#pages("/data/trades", { after: Math.max(0, sinceS) }, signal);
    const fills = new Map<string, Fill>();
    for (const raw of rows) {
      const parsed = tradeSchema.safeParse(raw);
      if (!parsed.success) {
        this.#o.log.warn("venue_bad_trade", { error: parsed.error.issues[0]?.message });
        continue;
      }
      for (const fill of fillsOfTrade(parsed.data, this.#owner(), (id) => this.#clientIdOf(id))) {
        fills.set(fill.fillId, fill);
      }
    }
    return [...fills.values()].sort((a, b) => a.at - b.at);
  }

  async #pages(
    path: string,
    query: Record<string, string | number>,
    signal?: AbortSignal,
  ): Promise<unknown[]> {
    const rows: unknown[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10_000; pages++) {
      const json = await this.#http.sendIdempotent({
        method: "GET",
        path,
        query: { ...query, next_cursor: cursor },
      }, signal);
      const page = pageSchema.safeParse(json);
      if (!page.success) {
        throw new UnexpectedResponseError(`Cannot read ${path}: not a page`, {
          endpoint: path,
          cause: page.error,
        });
      }
      rows.push(...page.data.data);
      const next = page.data.nextCursor;
      if (next === null || next === "" || next === END_CURSOR || next === cursor) return rows;
      cursor = next;
    }
    throw new UnexpectedResponseError(`Cannot read ${path}: the pages do not end`, {
      endpoint: path,
    });
  }

  async #submitResult(
    request: OrderRequest,
    orderId: string,
    answer: VenueAnswer,
    signal?: AbortSignal,
  ): Promise<SubmitResult> {
    const { clientOrderId } = request;
    const verdict = submitVerdict(answer, { clientOrderId, orderId, side: request.side });
    if (verdict.kind === "unknown") throw verdict.error; // it may have been placed
    if (verdict.kind === "result") {
      if (verdict.otherId !== undefined) {
        this.#o.log.error("venue_order_id_mismatch", {
          clientOrderId,
          signed: orderId,
          answered: verdict.otherId,
        });
      }
      return verdict.result;
    }
    // The same signed order was placed before (an earlier answer was lost): look it up.
    const found = await this.orderByClientId(clientOrderId, signal);
    if (found !== null && found.status !== "REJECTED") {
      return lookedUp(found, { orderId, clientOrderId });
    }
    return { ok: false, clientOrderId, error: verdict.error, retryable: false };
  }

  async #cancelCall(request: VenueRequest, signal?: AbortSignal): Promise<CancelResult> {
    const json = await this.#http.sendIdempotent(request, signal);
    const parsed = cancelAnswerSchema.safeParse(json);
    if (!parsed.success) {
      throw new UnexpectedResponseError(`Cannot read the answer of ${request.path}`, {
        endpoint: request.path,
        cause: parsed.error,
      });
    }
    const a: CancelAnswer = parsed.data;
    return { canceled: a.canceled, notCanceled: a.notCanceled };
  }

  /** The order of a client order id: this session's, or rebuilt from the journal. */
  async #known(clientOrderId: string, signal?: AbortSignal): Promise<Known | null> {
    const held = this.#byClientId.get(clientOrderId);
    if (held !== undefined) return held;
    const entry = await this.#o.journal?.entry(clientOrderId);
    if (entry === undefined || entry === null) return null;
    const base = { request: entry.request, createdAt: entry.recordedAt, last: null };
    if (entry.orderId !== null) {
      const known: Known = { ...base, orderId: entry.orderId, alternates: [] };
      this.#remember(known);
      return known;
    }
    // Rebuilt from the intent: the hash under today's rules, then under every other tick
    // size the order fits.
    const rules = await this.#o.marketRules(entry.request.tokenId, signal);
    const hashes: string[] = [];
    for (const tickSize of [rules.tickSize, ...TICK_SIZES.filter((t) => t !== rules.tickSize)]) {
      try {
        const post = this.#o.signer.buildSignedOrder(
          entry.request,
          { ...rules, tickSize },
          entry.recordedAt,
        );
        if (!hashes.includes(post.order.orderHash)) hashes.push(post.order.orderHash);
      } catch (err) {
        if (!(err instanceof OrderRuleError)) throw err;
      }
    }
    const [orderId, ...alternates] = hashes;
    if (orderId === undefined) return null; // no rules let it be signed: never sent
    const known: Known = { ...base, orderId, alternates };
    this.#remember(known);
    return known;
  }

  #remember(known: Known): void {
    this.#byClientId.set(known.request.clientOrderId, known);
    this.#byOrderId.set(known.orderId.toLowerCase(), known);
  }

  #clientIdOf(orderId: string): string | null {
    return this.#byOrderId.get(orderId.toLowerCase())?.request.clientOrderId ?? null;
  }

  #owner() {
    return { apiKey: this.#o.credentials.apiKey, address: this.#o.signer.maker };
  }

  #openOrder(o: WireOpenOrder, status?: OrderStatus): OpenOrder {
    const known = this.#byOrderId.get(o.orderId.toLowerCase());
    return {
      orderId: o.orderId,
      clientOrderId: known?.request.clientOrderId ?? null,
      tokenId: o.tokenId,
      side: o.side,
      orderType: known?.request.orderType ?? orderTypeOf(o.orderType),
      price: o.price,
      originalSize: o.originalSize,
      sizeMatched: o.sizeMatched,
      status: status ?? orderStatusOf(o.status) ?? "LIVE",
      createdAt: o.createdAt > 0 ? o.createdAt * 1000 : known?.createdAt ?? 0,
    };
  }

  #fromRequest(known: Known): OpenOrder {
    const r = known.request;
    return {
      orderId: known.orderId,
      clientOrderId: r.clientOrderId,
      tokenId: r.tokenId,
      side: r.side,
      orderType: r.orderType,
      price: r.price,
      originalSize: r.size,
      sizeMatched: "0",
      status: "LIVE",
      createdAt: known.createdAt,
    };
  }

  #onMessage(message: UserChannelOrder | UserChannelTrade): void {
    if (message.kind === "trade") {
      const fills = fillsOfTrade(message.trade, this.#owner(), (id) => this.#clientIdOf(id));
      for (const fill of fills) this.#tellFill(fill);
      return;
    }
    const status = orderStatusOf(message.order.status);
    if (status === null) {
      this.#o.log.warn("venue_unknown_order_status", { status: message.order.status });
      return;
    }
    const order = this.#openOrder(message.order, status);
    const known = this.#byOrderId.get(order.orderId.toLowerCase());
    if (known !== undefined) known.last = order;
    // A FOK/FAK killed on arrival was never an order; its submit answer says so.
    if (status === "REJECTED") return;
    this.#emit({ kind: "order", order, at: message.timestamp });
  }

  #tellFill(fill: Fill): void {
    if (this.#toldFills.has(fill.fillId)) return;
    this.#toldFills.add(fill.fillId);
    this.#emit({ kind: "fill", fill });
  }

  #emit(event: BrokerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#o.log.error("broker_listener_failed", {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  /** After a reconnect: the fills the gap hid. */
  async #catchUp(downSinceMs: number, signal: AbortSignal): Promise<void> {
    try {
      for (const fill of await this.fillsSince(downSinceMs - CLOCK_MARGIN_S * 1000, signal)) {
        this.#tellFill(fill);
      }
    } catch (err) {
      if (signal.aborted) return;
      this.#o.log.warn("user_channel_catch_up_failed", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

function sameOrder(a: OrderRequest, b: OrderRequest): boolean {
  return a.tokenId === b.tokenId && a.side === b.side && a.orderType === b.orderType &&
    parseDec(a.price) === parseDec(b.price) && parseDec(a.size) === parseDec(b.size) &&
    a.postOnly === b.postOnly && a.expiration === b.expiration;
}

function orderTypeOf(text: string | null): OpenOrder["orderType"] {
  const t = (text ?? "").toUpperCase();
  return t === "GTD" || t === "FOK" || t === "FAK" ? t : "GTC";
}

/** A submit answered by looking the order up: what the look-up found (matched: its size). */
function lookedUp(
  found: OpenOrder,
  ids: { readonly orderId: string; readonly clientOrderId: string },
): SubmitResult {
  const status = found.status;
  return status === "MATCHED"
    ? { ok: true, ...ids, status, sizeMatched: found.sizeMatched }
    : { ok: true, ...ids, status };
}
