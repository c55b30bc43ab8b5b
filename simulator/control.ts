/**
 * Programmatic and HTTP (`POST /__control`) control of a running simulator: faults, socket
 * drops and stalls, withheld snapshots, load mode, manual ticks and forced lifecycle events,
 * plus exact counters of what was streamed.
 *
 * @example
 * ```ts
 * // const sim = await startSimulator({ markets: 100 });
 * // sim.control.failNext(2, { status: 503, family: "gamma" });
 * // await fetch(`${sim.url}/__control`, { method: "POST", body: JSON.stringify({ action: "dropSockets" }) });
 * ```
 */
import { jsonResponse, readJson } from "./_http.ts";
import type { Engine } from "./engine.ts";
import type { Faults, RouteFamily } from "./faults.ts";
import type { MarketHub } from "./ws_hub.ts";
import type { World } from "./world.ts";
import { categorySchedule, feeScheduleAt, rulesText } from "./structure.ts";
import { SIZE_SCALE } from "./book.ts";
import { PRICE_SCALE } from "./universe.ts";
import { wsBook } from "./ws_messages.ts";

/** Options shared by the burst faults. */
export interface BurstOptions {
  status?: number;
  family?: RouteFamily;
  retryAfterSeconds?: number;
}

/** Handle returned by `startSimulator()` as `control`. */
export class SimulatorControl {
  readonly #world: World;
  readonly #hub: MarketHub;
  readonly #faults: Faults;
  readonly #engine: Engine;

  /** Wires the control surface to the running parts. */
  constructor(parts: { world: World; hub: MarketHub; faults: Faults; engine: Engine }) {
    this.#world = parts.world;
    this.#hub = parts.hub;
    this.#faults = parts.faults;
    this.#engine = parts.engine;
  }

  /** `last_trade_price` messages sent over websockets (summed over sockets). */
  sentTrades(): number {
    return this.#hub.sentTrades;
  }
  /** Market-channel messages sent (array elements counted individually). */
  sentMessages(): number {
    return this.#hub.sentMessages;
  }
  /** Trades generated (each is one `last_trade_price` and one Data API row). */
  tradeCount(): number {
    return this.#world.trades.total;
  }
  /** Open websocket connections. */
  connectionCount(): number {
    return this.#hub.connections.size;
  }
  /** Adds latency to every HTTP response. */
  latency(ms: number): void {
    this.#faults.latencyMs = ms;
  }
  /** The next `count` requests fail (default 503, all families). */
  failNext(count: number, o: BurstOptions = {}): void {
    this.#faults.failNext(count, o);
  }
  /** Requests fail for `ms`. */
  failFor(ms: number, o: BurstOptions = {}): void {
    this.#faults.failFor(ms, o);
  }
  /** The next `count` requests get 429 + Retry-After. */
  rateLimitNext(count: number, o: BurstOptions = {}): void {
    this.#faults.failNext(count, { ...o, status: 429 });
  }
  /** 425 maintenance window (default family clob). */
  maintenance(ms: number, family: RouteFamily = "clob"): void {
    this.#faults.maintenance(ms, family);
  }
  /** Injects one malformed element into each of the next pages / frames. */
  malformed(o: { pages?: number; frames?: number }): void {
    this.#faults.malformedPages += o.pages ?? 0;
    this.#faults.malformedFrames += o.frames ?? 0;
  }
  /** The next `count` subscriptions get no snapshot. */
  withholdSnapshots(count: number): void {
    this.#faults.withheldSnapshots += count;
  }
  /** Abruptly closes a fraction (default all) of the sockets. */
  dropSockets(fraction = 1): number {
    return this.#hub.drop(fraction);
  }
  /** Silent stall on (or off) for a fraction of sockets: PONG continues, data stops. */
  stall(on = true, fraction = 1): number {
    return this.#hub.stall(on, fraction);
  }
  /** Load mode: trades as fast as possible on subscribed markets. */
  load(on: boolean): void {
    this.#engine.setLoad(on);
  }
  /** Stops automatic ticks (manual `advance` still works). */
  pause(): void {
    this.#engine.paused = true;
  }
  /** Resumes automatic ticks. */
  resume(): void {
    this.#engine.paused = false;
  }
  /** Runs `ticks` ticks now. */
  advance(ticks = 1): void {
    this.#engine.advance(ticks);
  }
  /**
   * Resolves a market (a random open one by default) to its fate, with the markets that
   * outcome settles (`World.resolve`); returns its condition id. An explicit `winner` (0 = Yes)
   * is a plant: that market alone resolves to it, even against its structure.
   */
  resolve(conditionId?: string, winner?: 0 | 1): string | null {
    const m = conditionId === undefined
      ? this.#world.randomMarket("open")
      : this.#world.universe.byCondition.get(conditionId);
    if (m === null || m === undefined) return null;
    this.#hub.publish(this.#world.resolve(m, winner));
    return m.conditionId;
  }
  /** Lists one unlisted market (emits `new_market`); returns its Gamma id. */
  listMarket(): string | null {
    const m = this.#world.randomMarket("unlisted");
    if (m === null) return null;
    this.#hub.publish(this.#world.list(m));
    return m.id;
  }
  /** Changes a market's tick size (units of 0.0001, e.g. 10 = 0.001). */
  changeTick(conditionId: string, tickUnits: number): void {
    const m = this.#world.universe.byCondition.get(conditionId);
    if (m !== undefined && m.status === "open") {
      this.#hub.publish(this.#world.changeTick(m, tickUnits));
    }
  }
  /**
   * Sets a market's taker fee rate from now on (the category's exponent, taker-only and
   * rebate are kept); null makes it fee-free. Returns false for an unknown condition id.
   */
  changeFee(conditionId: string, rate: string | null): boolean {
    const m = this.#world.universe.byCondition.get(conditionId);
    if (m === undefined) return false;
    const current = feeScheduleAt(m.meta, this.#world.now()) ?? categorySchedule(m.meta.category);
    this.#world.changeFee(m, rate === null ? null : { ...current, rate });
    return true;
  }
  /** Renames a placeholder of an augmented group (title, question, rules); false if not one. */
  clarifyPlaceholder(conditionId: string, name: string): boolean {
    const m = this.#world.universe.byCondition.get(conditionId);
    return m !== undefined && this.#world.clarifyPlaceholder(m, name);
  }
  /** Appends a clarification to a market's rules text (its rules hash changes). */
  amendRules(conditionId: string, clarification: string): boolean {
    const m = this.#world.universe.byCondition.get(conditionId);
    if (m === undefined) return false;
    m.meta.rules = `${m.meta.rules}\n\nClarification: ${clarification}`;
    return true;
  }
  /**
   * Rewords a market's question (its rules text follows), e.g. to plant a pair of questions
   * across events for the relation proposals; false for an unknown condition id.
   */
  rephrase(conditionId: string, question: string): boolean {
    const m = this.#world.universe.byCondition.get(conditionId);
    if (m === undefined) return false;
    m.question = question;
    m.meta.rules = rulesText(question, null, m.meta.is5050);
    return true;
  }
  /**
   * Replaces an open market's whole book (YES side: decimal [price, size] pairs, prices on its
   * tick grid) and sends the new `book` of both tokens, e.g. to plant a known mispricing.
   * Returns false for an unknown or closed market or a price off the grid.
   */
  setBook(
    conditionId: string,
    levels: {
      bids: readonly (readonly [string, string])[];
      asks: readonly (readonly [string, string])[];
    },
  ): boolean {
    const m = this.#world.universe.byCondition.get(conditionId);
    if (m === undefined || m.status !== "open") return false;
    const units = (text: string, scale: number) => Math.round(Number(text) * scale);
    const all = [...levels.bids, ...levels.asks];
    const book = this.#world.book(m);
    if (all.some(([p]) => units(p, PRICE_SCALE) % book.tickUnits !== 0)) return false;
    book.bids.clear();
    book.asks.clear();
    for (const [p, size] of levels.bids) {
      book.set("bid", units(p, PRICE_SCALE), units(size, SIZE_SCALE));
    }
    for (const [p, size] of levels.asks) {
      book.set("ask", units(p, PRICE_SCALE), units(size, SIZE_SCALE));
    }
    book.touch(this.#world.now());
    this.#hub.publish([0, 1].map((o) => ({
      conditionId,
      message: wsBook(m, book, o as 0 | 1),
    })));
    return true;
  }
  /** Resolves an open market 50-50 (final prices 0.5/0.5, marked `is5050`): a plant. */
  resolveFiftyFifty(conditionId: string): boolean {
    const m = this.#world.universe.byCondition.get(conditionId);
    if (m === undefined || m.status !== "open") return false;
    this.#world.resolveFiftyFifty(m);
    return true;
  }
  /** Clears every fault and un-stalls sockets. */
  reset(): void {
    this.#faults.reset();
    this.#hub.stall(false);
  }

  /** `POST /__control` with `{"action": name, ...args}`. */
  async handle(req: Request): Promise<Response> {
    const body = await readJson(req);
    if (typeof body !== "object" || body === null) {
      return jsonResponse({ error: "JSON object required" }, 400);
    }
    const b = body as Record<string, unknown>;
    const n = (k: string, d: number) => (typeof b[k] === "number" ? b[k] as number : d);
    const burst: BurstOptions = {
      status: typeof b.status === "number" ? b.status : undefined,
      family: typeof b.family === "string" ? b.family as RouteFamily : undefined,
      retryAfterSeconds: typeof b.retryAfterSeconds === "number" ? b.retryAfterSeconds : undefined,
    };
    const actions: Record<string, () => unknown> = {
      latency: () => this.latency(n("ms", 0)),
      failNext: () => this.failNext(n("count", 1), burst),
      failFor: () => this.failFor(n("ms", 1000), burst),
      rateLimitNext: () => this.rateLimitNext(n("count", 1), burst),
      maintenance: () => this.maintenance(n("ms", 90_000), burst.family),
      malformed: () => this.malformed({ pages: n("pages", 0), frames: n("frames", 0) }),
      withholdSnapshots: () => this.withholdSnapshots(n("count", 1)),
      dropSockets: () => this.dropSockets(n("fraction", 1)),
      stall: () => this.stall(b.on !== false, n("fraction", 1)),
      load: () => this.load(b.on !== false),
      pause: () => this.pause(),
      resume: () => this.resume(),
      advance: () => this.advance(n("ticks", 1)),
      resolve: () =>
        this.resolve(
          typeof b.conditionId === "string" ? b.conditionId : undefined,
          b.winner === 0 || b.winner === 1 ? b.winner : undefined,
        ),
      listMarket: () => this.listMarket(),
      clarifyPlaceholder: () => this.clarifyPlaceholder(String(b.conditionId), String(b.name)),
      amendRules: () => this.amendRules(String(b.conditionId), String(b.text)),
      resolveFiftyFifty: () => this.resolveFiftyFifty(String(b.conditionId)),
      rephrase: () => this.rephrase(String(b.conditionId), String(b.question)),
      changeFee: () =>
        this.changeFee(
          String(b.conditionId),
          typeof b.rate === "string" ? b.rate : null,
        ),
      reset: () => this.reset(),
      stats: () => ({
        sentTrades: this.sentTrades(),
        sentMessages: this.sentMessages(),
        trades: this.tradeCount(),
      }),
    };
    const action = typeof b.action === "string" ? actions[b.action] : undefined;
    if (action === undefined) {
      return jsonResponse({ error: `unknown action: ${String(b.action)}` }, 400);
    }
    return jsonResponse({ ok: true, result: action() ?? null });
  }
}
