/**
 * The simulated venue's moving state: lazily seeded books, per-tick activity, market lifecycle
 * (listing, tick-size changes, resolution) and the trade log. Produces market-channel messages
 * keyed by condition id for the websocket fan-out.
 *
 * Resolutions obey the universe's structures: a market resolves to its fate (`fates.ts`), and
 * the markets its outcome settles resolve in the same step (a group's winner closes the whole
 * group; a date ladder's Yes every later deadline, its No every earlier one; a threshold ladder
 * or a game all at once). So no neg-risk group ever has two winners, and no ladder or game line
 * resolves against its order. A winner named by the caller is a plant: that market alone
 * resolves to it, and its structure's fates are re-chosen around it when they can be.
 *
 * @example
 * ```ts
 * import { createUniverse } from "./universe.ts";
 * import { World } from "./world.ts";
 * const world = new World(createUniverse({ markets: 10, seed: 1, now: 0 }), { seed: 1, now: () => 0 });
 * world.step([], 5); // five random activity events
 * ```
 */
import { MarketBook } from "./book.ts";
import { randomQuoteChange, randomTrade, recordTrade } from "./market_activity.ts";
import type { ActivityModel } from "./activity_model.ts";
import { Random } from "./_random.ts";
import { TradeLog } from "./trade_log.ts";
import type { SimMarket, Universe } from "./universe.ts";
import { rulesText, type SimFeeSchedule } from "./structure.ts";
import { Fates } from "./fates.ts";
import {
  marketResolved,
  newMarket,
  tickSizeChange,
  wsBook,
  type WsMessage,
} from "./ws_messages.ts";

/** A message for the sockets subscribed to `conditionId` (null: every custom-feature socket). */
export interface Emission {
  conditionId: string | null;
  message: WsMessage;
}

/** Options for {@link World}. */
export interface WorldOptions {
  seed: number;
  now: () => number;
  /** Trades kept per token for the Data API and price history (default 5,000). */
  tradeCapacity?: number;
}

/** Mutable simulation state over a {@link Universe}. */
export class World {
  readonly universe: Universe;
  readonly trades: TradeLog;
  readonly #books = new Map<number, MarketBook>();
  readonly #random: Random;
  readonly #now: () => number;
  readonly #fates: Fates;

  /** Creates the world; books are seeded on first use. */
  constructor(universe: Universe, options: WorldOptions) {
    this.universe = universe;
    this.trades = new TradeLog(options.tradeCapacity ?? 5000);
    this.#random = new Random(options.seed ^ 0x51ab);
    this.#now = options.now;
    this.#fates = new Fates(universe, options.seed);
    this.#fates.draw(); // a universe not made by createUniverse may come without fates
  }

  /** The world's clock (unix ms). */
  now(): number {
    return this.#now();
  }

  /**
   * Changes a market's fee schedule from now on (null: fee-free); a scheduled change that has
   * not happened yet is dropped. The venue announces fee changes on REST only.
   */
  changeFee(market: SimMarket, schedule: SimFeeSchedule | null): void {
    market.meta.feeSchedule = schedule;
    market.meta.feeChange = null;
  }

  /**
   * Clarifies a placeholder of an augmented group into a named outcome: new title, question
   * and rules (the rules hash changes, as on the venue).
   */
  clarifyPlaceholder(market: SimMarket, name: string): boolean {
    if (!market.meta.placeholder) return false;
    const subject = market.question.replace(/^Will .* win the (.*)\?$/, "$1");
    market.groupItemTitle = name;
    market.question = `Will ${name} win the ${subject}?`;
    market.meta.placeholder = false;
    market.meta.rules = rulesText(market.question, null, market.meta.is5050);
    return true;
  }

  /**
   * Closes a market as a 50-50 resolution (final prices 0.5/0.5; no websocket message) and
   * marks it `is5050`: a plant (the random lifecycle never resolves 50-50). If it was its
   * group's winner, the group's fates pick another.
   */
  resolveFiftyFifty(market: SimMarket): void {
    if (market.status === "closed") return;
    market.status = "closed";
    market.finalPrices = ["0.5", "0.5"];
    market.closedAtMs = this.#now();
    market.meta.is5050 = true;
    this.#books.delete(market.index);
    this.#fates.release(market);
  }

  /** The market's book, seeded around its price on first access. */
  book(market: SimMarket): MarketBook {
    let book = this.#books.get(market.index);
    if (book === undefined) {
      book = new MarketBook(market.tickUnits);
      book.seed(
        new Random(this.universe.seed + market.index),
        market.priceUnits,
        market.createdAtMs,
      );
      this.#books.set(market.index, book);
    }
    return book;
  }

  /** The market's book if it has been seeded, without seeding it. */
  peekBook(market: SimMarket): MarketBook | undefined {
    return this.#books.get(market.index);
  }

  /** Runs `count` activity events, mostly on `focus` markets (the subscribed ones). */
  step(focus: readonly SimMarket[], count: number): Emission[] {
    const out: Emission[] = [];
    for (let i = 0; i < count; i++) {
      const useFocus = focus.length > 0 && this.#random.chance(0.9);
      const market = useFocus ? this.#random.pick(focus) : this.randomMarket("open");
      if (market === null || market.status !== "open") continue;
      const ctx = this.#context(market);
      const messages = this.#random.chance(0.35) ? randomTrade(ctx) : randomQuoteChange(ctx);
      for (const message of messages) out.push({ conditionId: market.conditionId, message });
      out.push(...this.#maybeChangeTick(market));
    }
    return out;
  }

  /**
   * Runs `count` events of the realistic model: markets drawn by their activity share over
   * the whole universe (subscribed or not), a trade with the model's small probability.
   */
  stepRealistic(model: ActivityModel, count: number): Emission[] {
    const out: Emission[] = [];
    for (let i = 0; i < count; i++) {
      const market = this.#openMarket(model);
      if (market === null) continue;
      const ctx = this.#context(market);
      // An event is a message: a quote change that found nothing to change (no new level
      // price, too few levels to delete) draws again, as the venue's counted messages all
      // changed something (dropping them lost ~25% of the rate).
      let messages = model.isTrade(this.#random) ? randomTrade(ctx) : randomQuoteChange(ctx);
      for (let retry = 0; messages.length === 0 && retry < 8; retry++) {
        messages = randomQuoteChange(ctx);
      }
      for (const message of messages) out.push({ conditionId: market.conditionId, message });
    }
    return out;
  }

  /**
   * A market drawn by activity share among the open ones: the venue's rate is over its active
   * markets, so a draw that lands on a closed or unlisted market draws again (dropping it lost
   * ~9% of the rate at venue size). Null after a few misses (a universe with nothing open).
   */
  #openMarket(model: ActivityModel): SimMarket | null {
    for (let i = 0; i < 32; i++) {
      const market = this.universe.markets[model.pickMarket(this.#random)];
      if (market !== undefined && market.status === "open") return market;
    }
    return null;
  }

  /** A Poisson count of the model's events in `ms` (drawn from the world's generator). */
  realisticEventsIn(model: ActivityModel, ms: number): number {
    return model.eventsIn(ms, this.#random);
  }

  /** Load mode: `count` trades at the current best prices without consuming liquidity. */
  loadTrades(markets: readonly SimMarket[], count: number): Emission[] {
    const out: Emission[] = [];
    for (let i = 0; i < count && markets.length > 0; i++) {
      const market = markets[i % markets.length];
      const book = this.book(market);
      const buy = (i & 1) === 0;
      const price = (buy ? book.bestAsk() : book.bestBid()) ?? market.priceUnits;
      const message = recordTrade(
        this.#context(market),
        0,
        price,
        100 + (i % 997),
        buy ? "BUY" : "SELL",
      );
      out.push({ conditionId: market.conditionId, message });
    }
    return out;
  }

  /** A random market in `status`, or null after a few misses. */
  randomMarket(status: SimMarket["status"]): SimMarket | null {
    for (let i = 0; i < 50; i++) {
      const m = this.#random.pick(this.universe.markets);
      if (m.status === status) return m;
    }
    return this.universe.markets.find((m) => m.status === status) ?? null;
  }

  /**
   * Resolves an open market to its fate together with the open markets that outcome settles
   * (see the module comment); emits one `market_resolved` per market. With `winner` (0 = Yes)
   * only this market resolves, to `winner`, and its structure's fates follow it when they can.
   */
  resolve(market: SimMarket, winner?: 0 | 1): Emission[] {
    if (market.status === "closed") return [];
    if (winner !== undefined) {
      this.#fates.bind(market, winner);
      return this.#close(market, winner);
    }
    const together = this.#fates.settledWith(market);
    const fate = market.meta.fate ?? (this.#random.chance(0.5) ? 0 : 1);
    const out = this.#close(market, fate);
    for (const m of together) out.push(...this.#close(m, m.meta.fate ?? fate));
    return out;
  }

  #close(market: SimMarket, winner: 0 | 1): Emission[] {
    if (market.status === "closed") return [];
    market.status = "closed";
    market.finalPrices = winner === 0 ? ["1", "0"] : ["0", "1"];
    market.closedAtMs = this.#now();
    this.#books.delete(market.index);
    return [{
      conditionId: market.conditionId,
      message: marketResolved(market, winner, this.#now()),
    }];
  }

  /** Lists an unlisted market (it becomes open); emits a broadcast `new_market`. */
  list(market: SimMarket): Emission[] {
    if (market.status !== "unlisted") return [];
    market.status = "open";
    const event = this.universe.events[market.eventIndex];
    const message = newMarket(market, event.id, event.title, this.#now());
    return [{ conditionId: null, message }];
  }

  /** Moves a market to a new tick size; emits `tick_size_change` for both tokens, then books. */
  changeTick(market: SimMarket, newTickUnits: number): Emission[] {
    const book = this.book(market);
    const old = book.tickUnits;
    if (old === newTickUnits) return [];
    for (const map of [book.bids, book.asks]) {
      for (const price of [...map.keys()]) if (price % newTickUnits !== 0) map.delete(price);
    }
    book.tickUnits = newTickUnits;
    market.tickUnits = newTickUnits;
    book.touch(this.#now());
    const now = this.#now();
    const c = market.conditionId;
    return [
      { conditionId: c, message: tickSizeChange(market, 0, old, newTickUnits, now) },
      { conditionId: c, message: tickSizeChange(market, 1, old, newTickUnits, now) },
      { conditionId: c, message: wsBook(market, book, 0) },
      { conditionId: c, message: wsBook(market, book, 1) },
    ];
  }

  /**
   * Occasional lifecycle events, each with probability `p`: a resolution (a random open market
   * and what its fate settles) and a listing.
   */
  lifecycle(p: number): Emission[] {
    const out: Emission[] = [];
    if (this.#random.chance(p)) {
      const m = this.randomMarket("open");
      if (m !== null) out.push(...this.resolve(m));
    }
    if (this.#random.chance(p)) {
      const m = this.randomMarket("unlisted");
      if (m !== null) out.push(...this.list(m));
    }
    return out;
  }

  #maybeChangeTick(market: SimMarket): Emission[] {
    const book = this.book(market);
    if (book.tickUnits !== 100) return [];
    const bid = book.bestBid() ?? 5000;
    const ask = book.bestAsk() ?? 5000;
    return bid >= 9600 || ask <= 400 ? this.changeTick(market, 10) : [];
  }

  #context(market: SimMarket) {
    const book = this.book(market);
    return { market, book, random: this.#random, trades: this.trades, nowMs: this.#now() };
  }
}
