/**
 * The simulated venue's matching engine for the accounts' orders, on the very books the market
 * channel publishes. A marketable order walks the book best price first (consuming the crowd's
 * liquidity and any resting own orders in queue order), so the market channel publishes the
 * `price_change` and `last_trade_price` of its fills like any trade; a GTC/GTD remainder rests
 * in the book (published too) and fills later from the simulated crowd's taker flow
 * (`market_activity.ts`) or a crossing order. The venue's rules and error texts: tick grid and
 * price range, the 5-share minimum for resting orders, the $1 minimum of a marketable BUY,
 * post-only crossing, FOK all-or-nothing and FAK fill-and-kill, balance and allowance, GTD
 * expiry (a cancellation). Takers pay the market's fee per fill (`shares × rate × (p(1−p))^e`,
 * rounded to 5 dp), makers pay nothing. Trades go MATCHED → MINED → CONFIRMED.
 *
 * @example
 * ```ts
 * import { Venue } from "./venue.ts";
 * // const venue = new Venue(world, hub, { collateral: "1000" });
 * // venue.place(owner, request, orderHash) → { status: 200, body: { success: true, ... } }
 * ```
 */
import type { MarketBook, Taker, YesSide } from "./book.ts";
import {
  type ActivityContext,
  type LevelChange,
  priceChange,
  recordTrade,
  transactionHashOf,
} from "./market_activity.ts";
import { Random } from "./_random.ts";
import { feeScheduleAt, type SimFeeSchedule } from "./structure.ts";
import { PRICE_SCALE, type SimMarket } from "./universe.ts";
import type { ApiKeyOwner } from "./clob_auth.ts";
import { type Account, Accounts, type Fill, UNITS_PER_HUNDREDTH } from "./venue_accounts.ts";
import { decimalUnits, type PlannedFill, planTake, takerFee } from "./venue_match.ts";
import { checkOrderRules } from "./venue_rules.ts";
import { Trades, type VenueTrade } from "./venue_trades.ts";
import { OwnBook, type RestingOrder } from "./venue_book.ts";
import { type OrderRequest, type OrderType, units, type WireObject } from "./venue_wire.ts";
import type { World } from "./world.ts";
import type { MarketHub } from "./ws_hub.ts";
import type { WsMessage } from "./ws_messages.ts";
import {
  CROWD_ADDRESS,
  killedOrderMessage,
  openOrderWire,
  tradeWire,
  userOrderMessage,
  userTradeMessage,
} from "./venue_messages.ts";

/** Trading options of the simulator. */
export interface VenueOptions {
  /** pUSD every new account starts with (decimal string, default "10000"). */
  collateral?: string;
  /** Shares per token id every new account starts with (decimal strings). */
  positions?: Record<string, string>;
  /** Delay from MATCHED to MINED and from MINED to CONFIRMED (default 2,000 ms). */
  settleMs?: number;
  /**
   * Dead-man switch: once an address sent a heartbeat, a gap longer than this cancels all its
   * open orders (default 10,000 ms; the venue's own figure is not published).
   */
  heartbeatTimeoutMs?: number;
}

/** An order the venue accepted. */
export interface VenueOrder extends RestingOrder {
  readonly owner: ApiKeyOwner;
  /** Lower-case maker (funder) address: the account that pays and holds. */
  readonly maker: string;
  readonly market: SimMarket;
  readonly outcome: 0 | 1;
  readonly side: "BUY" | "SELL";
  /** Limit price of the token (price units); a market order's worst acceptable price. */
  readonly priceUnits: number;
  readonly originalSize: number;
  matched: number;
  readonly orderType: OrderType;
  /** Unix seconds, 0 = none. */
  readonly expiration: number;
  readonly createdAtMs: number;
  status: "LIVE" | "MATCHED" | "CANCELED" | "CANCELED_MARKET_RESOLVED";
  readonly trades: string[];
}

/** A user-channel message for the sockets of `address`. */
export interface UserEvent {
  address: string;
  conditionId: string;
  message: WireObject;
}

/** A venue answer: HTTP status and JSON body. */
export interface VenueAnswer {
  status: number;
  body: unknown;
}

/** Orders, trades and accounts of the simulated venue. */
export class Venue {
  readonly accounts: Accounts;
  readonly orders = new Map<string, VenueOrder>();
  readonly listeners = new Set<(event: UserEvent) => void>();
  readonly #world: World;
  readonly #hub: MarketHub;
  readonly #own = new Map<MarketBook, OwnBook<VenueOrder>>();
  readonly #random = new Random(0x7e4de);
  readonly #live = new Set<VenueOrder>();
  readonly #heartbeats = new Map<string, number>();
  readonly #funders = new Map<string, string>();
  readonly #heartbeatTimeoutMs: number;
  readonly #trades: Trades;

  /** A venue over `world`, publishing book changes through `hub`. */
  constructor(world: World, hub: MarketHub, options: VenueOptions = {}) {
    this.#world = world;
    this.#hub = hub;
    this.#trades = new Trades(options.settleMs ?? 2000);
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10_000;
    const positions = new Map<string, bigint>();
    for (const [token, size] of Object.entries(options.positions ?? {})) {
      positions.set(token, decimalUnits(size));
    }
    this.accounts = new Accounts({
      collateral: decimalUnits(options.collateral ?? "10000"),
      positions,
    });
  }

  /** Places a verified order whose EIP-712 hash is `orderId`. */
  place(owner: ApiKeyOwner, request: OrderRequest, orderId: string): VenueAnswer {
    const reject = (error: string): VenueAnswer => ({ status: 400, body: { error } });
    const o = request.order;
    if (request.owner !== owner.apiKey) {
      return reject("the order owner has to be the owner of the API KEY");
    }
    if (o.signatureType !== 3 && o.signer.toLowerCase() !== owner.address) {
      return reject("the order signer address has to be the address of the API KEY");
    }
    if (this.orders.has(orderId)) {
      return reject(
        "order is invalid. Duplicated. Same order has already been placed, can't be placed again",
      );
    }
    const ref = this.#world.universe.byToken.get(o.tokenId);
    if (ref === undefined || ref.market.status !== "open") {
      return reject("No orderbook exists for the requested token id");
    }
    const market = ref.market;
    const nowMs = this.#world.now();
    const checked = checkOrderRules(request, { tickUnits: market.tickUnits, orderId, nowMs });
    if ("error" in checked) return reject(checked.error);
    const { side, maker, taker, marketable, priceUnits, hundredths, expiration } = checked;
    const book = this.#world.book(market);
    const outcome = ref.outcomeIndex;
    const limit = { side, maker, taker } as const;
    const plan = planTake(book, outcome, limit, {
      hundredths,
      budget: marketable && side === "BUY" ? maker : null,
    });
    const schedule = feeScheduleAt(market.meta, nowMs);
    const account = this.accounts.get(o.maker);
    if (side === "BUY") {
      // the order's worth at its limit (a market BUY: its amount) plus the fees of what it takes
      let need = marketable ? maker : BigInt(hundredths) * BigInt(priceUnits);
      for (const f of plan.fills) need += takerFee(schedule, f.hundredths, f.tokenPrice);
      if (account.collateral - this.#lockedCollateral(o.maker) < need) {
        return reject("not enough balance / allowance");
      }
    } else {
      const held = this.accounts.position(account, o.tokenId).size;
      const need = BigInt(hundredths) * UNITS_PER_HUNDREDTH;
      if (held - this.#lockedShares(o.maker, o.tokenId) < need) {
        return reject("not enough balance / allowance");
      }
    }
    if (request.postOnly && plan.fills.length > 0) {
      return reject("invalid post-only order: order crosses book");
    }
    const killed = request.orderType === "FOK" && !plan.complete
      ? "order couldn't be fully filled. FOK orders are fully filled or killed."
      : request.orderType === "FAK" && plan.fills.length === 0
      ? "no orders found to match with FAK order"
      : null;
    if (killed !== null) {
      // the venue also tells the user channel, with the reason in a free-text status
      const message = killedOrderMessage({
        id: orderId,
        owner,
        maker: o.maker,
        market,
        outcome,
        side,
        priceUnits,
        hundredths,
        orderType: request.orderType,
        status: `CANCELED_${killed}`,
        nowMs,
      });
      for (const listener of this.listeners) {
        listener({ address: owner.address, conditionId: market.conditionId, message });
      }
      return reject(killed);
    }
    this.#funders.set(owner.address, account.address);
    const order: VenueOrder = {
      id: orderId,
      owner,
      maker: o.maker.toLowerCase(),
      market,
      outcome,
      side,
      priceUnits,
      originalSize: plan.budgetShares ?? hundredths,
      matched: 0,
      orderType: request.orderType,
      expiration,
      createdAtMs: nowMs,
      status: "LIVE",
      trades: [],
      yesSide: restingSide(side, outcome),
      yesPriceUnits: outcome === 0 ? priceUnits : PRICE_SCALE - priceUnits,
      remaining: 0,
      ahead: 0,
    };
    this.orders.set(orderId, order);
    const ctx = { market, book, random: this.#random, trades: this.#world.trades, nowMs };
    const { changes, publicTrades, making, taking, newTrades } = this.#take(order, plan.fills, {
      ctx,
      account,
      schedule,
    });
    const rest = marketable ? 0 : order.originalSize - order.matched;
    if (rest > 0) {
      order.remaining = rest;
      this.#live.add(order);
      this.#ownBook(book).add(order);
      changes.push({ yesSide: order.yesSide, priceUnits: order.yesPriceUnits });
    } else {
      order.status = "MATCHED"; // a FAK's unfilled rest is killed, not kept
    }
    if (changes.length > 0) {
      book.touch(nowMs);
      const emitted = [priceChange(ctx, changes), ...publicTrades];
      this.#hub.publish(emitted.map((message) => ({ conditionId: market.conditionId, message })));
    }
    this.#emit(order, userOrderMessage(order, "PLACEMENT", nowMs));
    for (const t of newTrades) this.#emit(order, userTradeMessage(t, nowMs));
    return {
      status: 200,
      body: {
        success: true,
        errorMsg: "",
        orderID: orderId,
        status: rest > 0 ? "live" : "matched",
        makingAmount: units(making),
        takingAmount: units(taking),
        transactionsHashes: newTrades.map((t) => t.transactionHash),
        tradeIDs: newTrades.map((t) => t.id),
      },
    };
  }

  /**
   * Takes the planned levels for `order`: the book shrinks (own orders there fill as makers),
   * each level is a public trade and a trade of the account, which pays cost and fee.
   */
  #take(
    order: VenueOrder,
    fills: readonly PlannedFill[],
    at: { ctx: ActivityContext; account: Account; schedule: SimFeeSchedule | null },
  ) {
    const { ctx, account, schedule } = at;
    const { book, market, nowMs } = ctx;
    const token = market.tokenIds[order.outcome];
    const changes: LevelChange[] = [];
    const publicTrades: WsMessage[] = [];
    const newTrades: VenueTrade[] = [];
    let making = 0n;
    let taking = 0n;
    for (const fill of fills) {
      const map = fill.yesSide === "bid" ? book.bids : book.asks;
      const total = map.get(fill.yesPrice) ?? 0;
      book.own?.consumed(fill.yesSide, fill.yesPrice, fill.hundredths, {
        outcome: order.outcome,
        side: order.side,
        orderId: order.id,
        address: order.maker,
      });
      book.set(fill.yesSide, fill.yesPrice, total - fill.hundredths);
      changes.push({ yesSide: fill.yesSide, priceUnits: fill.yesPrice });
      const message = recordTrade(ctx, order.outcome, fill.yesPrice, fill.hundredths, order.side);
      publicTrades.push(message);
      book.lastTradeUnits = fill.yesPrice;
      market.priceUnits = fill.yesPrice;
      const fee = takerFee(schedule, fill.hundredths, fill.tokenPrice);
      const settled: Fill = {
        hundredths: fill.hundredths,
        priceUnits: fill.tokenPrice,
        fee,
        atMs: nowMs,
      };
      if (order.side === "BUY") this.accounts.buy(account, token, settled);
      else this.accounts.sell(account, token, settled);
      const cash = BigInt(fill.hundredths) * BigInt(fill.tokenPrice);
      const shares = BigInt(fill.hundredths) * UNITS_PER_HUNDREDTH;
      making += order.side === "BUY" ? cash : shares;
      taking += order.side === "BUY" ? shares : cash;
      order.matched += fill.hundredths;
      newTrades.push(this.#trades.record(order, {
        traderSide: "TAKER",
        taker: {
          orderId: order.id,
          address: order.maker,
          outcome: order.outcome,
          side: order.side,
          hundredths: fill.hundredths,
          priceUnits: fill.tokenPrice,
        },
        counterOrderId: this.#trades.counterpartyOrderId(),
        hundredths: fill.hundredths,
        priceUnits: fill.tokenPrice,
        fee,
        transactionHash: String(message.transaction_hash),
        nowMs,
      }));
    }
    return { changes, publicTrades, making, taking, newTrades };
  }

  /** Cancels one live order of `address`; returns the reason when it cannot. */
  cancel(address: string, orderId: string, reason: VenueOrder["status"] = "CANCELED") {
    const order = this.orders.get(orderId);
    if (order === undefined || order.owner.address !== address) return "order not found";
    if (order.status !== "LIVE") return "order already canceled or matched";
    const book = this.#world.peekBook(order.market);
    const own = book === undefined ? undefined : this.#own.get(book);
    order.status = reason;
    this.#live.delete(order);
    const nowMs = this.#world.now();
    if (book !== undefined && own !== undefined && order.market.status === "open") {
      own.remove(order);
      book.touch(nowMs);
      const ctx = {
        market: order.market,
        book,
        random: this.#random,
        trades: this.#world.trades,
        nowMs,
      };
      const level = { yesSide: order.yesSide, priceUnits: order.yesPriceUnits };
      const message = priceChange(ctx, [level]);
      this.#hub.publish([{ conditionId: order.market.conditionId, message }]);
    }
    order.remaining = 0;
    this.#emit(order, userOrderMessage(order, "CANCELLATION", nowMs));
    return null;
  }

  /**
   * The account a key's address trades for: the maker of its latest order (a proxy or safe
   * funder under signature types 1 and 2), else the address itself.
   */
  funderOf(address: string): string {
    return this.#funders.get(address) ?? address;
  }

  /** A heartbeat of `address`: arms (or re-arms) its dead-man switch. */
  heartbeat(address: string): void {
    this.#heartbeats.set(address, this.#world.now());
  }

  /** Every trade of every account, oldest first. */
  get trades(): readonly VenueTrade[] {
    return this.#trades.all;
  }

  /** Live orders of `address`. */
  liveOrders(address: string): VenueOrder[] {
    return [...this.#live].filter((o) => o.owner.address === address);
  }

  /** Wire form of an open order. */
  openOrder(order: VenueOrder): WireObject {
    return openOrderWire(order);
  }

  /** Wire form of a trade. */
  trade(trade: VenueTrade): WireObject {
    return tradeWire(trade);
  }

  /**
   * Housekeeping: trades move MATCHED → MINED → CONFIRMED; GTD orders past their expiration,
   * orders of markets no longer open and all orders of an address whose heartbeats stopped
   * are cancelled.
   */
  tick(): void {
    const nowMs = this.#world.now();
    for (const t of this.#trades.settle(nowMs)) this.#emit(t.order, userTradeMessage(t, nowMs));
    for (const [address, lastMs] of [...this.#heartbeats]) {
      if (nowMs - lastMs <= this.#heartbeatTimeoutMs) continue;
      this.#heartbeats.delete(address);
      for (const o of this.liveOrders(address)) this.cancel(address, o.id);
    }
    for (const o of [...this.#live]) {
      if (o.market.status !== "open") {
        this.cancel(o.owner.address, o.id, "CANCELED_MARKET_RESOLVED");
      } else if (o.expiration !== 0 && o.expiration <= nowMs / 1000) {
        this.cancel(o.owner.address, o.id);
      }
    }
  }

  #ownBook(book: MarketBook): OwnBook<VenueOrder> {
    let own = this.#own.get(book);
    if (own === undefined) {
      own = new OwnBook<VenueOrder>(
        book,
        (order, filled, by) => this.#makerFill(order, filled, by),
      );
      this.#own.set(book, own);
    }
    return own;
  }

  #makerFill(order: VenueOrder, filled: number, by: { taker: Taker; amount: number }): void {
    const nowMs = this.#world.now();
    const account = this.accounts.get(order.maker);
    const fill: Fill = { hundredths: filled, priceUnits: order.priceUnits, fee: 0n, atMs: nowMs };
    const token = order.market.tokenIds[order.outcome];
    if (order.side === "BUY") this.accounts.buy(account, token, fill);
    else this.accounts.sell(account, token, fill);
    order.matched += filled;
    if (order.remaining === 0) {
      order.status = "MATCHED";
      this.#live.delete(order);
    }
    const t = by.taker;
    const trade = this.#trades.record(order, {
      traderSide: "MAKER",
      taker: {
        orderId: t.orderId ?? this.#trades.counterpartyOrderId(),
        address: t.address ?? CROWD_ADDRESS,
        outcome: t.outcome,
        side: t.side,
        hundredths: by.amount,
        priceUnits: t.outcome === 0 ? order.yesPriceUnits : PRICE_SCALE - order.yesPriceUnits,
      },
      counterOrderId: "",
      hundredths: filled,
      priceUnits: order.priceUnits,
      fee: 0n,
      // the crowd's trade is recorded right after this fill: its sequence is the next one
      transactionHash: transactionHashOf(this.#world.trades.total + 1),
      nowMs,
    });
    this.#emit(order, userOrderMessage(order, "UPDATE", nowMs));
    this.#emit(order, userTradeMessage(trade, nowMs));
  }

  #lockedCollateral(address: string): bigint {
    let sum = 0n;
    for (const o of this.#live) {
      if (o.maker === address.toLowerCase() && o.side === "BUY") {
        sum += BigInt(o.remaining) * BigInt(o.priceUnits);
      }
    }
    return sum;
  }

  #lockedShares(address: string, tokenId: string): bigint {
    let sum = 0n;
    for (const o of this.#live) {
      if (
        o.maker === address.toLowerCase() && o.side === "SELL" &&
        o.market.tokenIds[o.outcome] === tokenId
      ) sum += BigInt(o.remaining) * UNITS_PER_HUNDREDTH;
    }
    return sum;
  }

  #emit(order: VenueOrder, message: WireObject): void {
    const event = { address: order.owner.address, conditionId: order.market.conditionId, message };
    for (const listener of this.listeners) listener(event);
  }
}

/** Where a remainder rests, Yes perspective: a Yes BUY bids, a No BUY offers Yes at 1 − p. */
function restingSide(side: "BUY" | "SELL", outcome: 0 | 1): YesSide {
  return (side === "BUY") === (outcome === 0) ? "bid" : "ask";
}
