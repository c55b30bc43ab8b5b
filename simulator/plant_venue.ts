/**
 * The venue behind a planted scenario: its markets as a simulator `Universe` (events, Gamma and
 * CLOB metadata) over a `World` whose books follow the planted stream, so the normal simulator's
 * Gamma, CLOB and Data API routes serve it, and the product's relation derivation
 * (`relations/derive.ts`) finds the planted structures by itself:
 * - every group is a neg-risk event (`negRiskMarketID`, `questionID` = that id with its last
 *   byte replaced by the question index): the basket, conversion, stale-leg and quiet groups
 *   with indexes 0…n−1 (complete partitions); the incomplete decoy with its member n−1 unlisted
 *   (the listed ones are 0…n−2 and n), so it derives as `incomplete` and is never priced;
 * - the implication pair is a date ladder: one plain event whose two questions differ only in
 *   their deadline ("… by March 31, Y?" ⇒ "… by June 30, Y?"), next year from `now`.
 * Each market carries the scenario's fee schedule and tick. `productKeys` maps the scenario's
 * relation keys to the keys the scanner reports (`partition:<negRiskMarketID>`,
 * `ladder_date:<eventId>:<A>=><B>`).
 *
 * @example
 * ```ts
 * import { plantScenario } from "./plant.ts";
 * import { plantedVenue } from "./plant_venue.ts";
 * const venue = plantedVenue(plantScenario({ seed: 1 }), { now: Date.now });
 * venue.productKeys.get("pair-implication"); // "ladder_date:40004:17=>18"
 * ```
 */
import { parseDec } from "../edge/decimal.ts";
import type { ScanMarket } from "../scanner/relation_set.ts";
import type { BookEvent } from "../stream/book_event.ts";
import type { PlantedScenario } from "./plant.ts";
import { rulesText } from "./structure.ts";
import type { SimEvent, SimMarket, TokenRef, Universe } from "./universe.ts";
import { World } from "./world.ts";

/** A planted scenario's venue: the world the routes read, and the relation keys it implies. */
export interface PlantedVenue {
  readonly world: World;
  /** Scenario relation key → the key the product derives and the scanner reports. */
  readonly productKeys: ReadonlyMap<string, string>;
  /** Applies a YES-side book event of the stream to the world's book (REST follows the socket). */
  apply(event: BookEvent): void;
}

const DAY = 86_400_000;
const NAMES = ["Alpha", "Bravo", "Carter", "Delta", "Echo", "Foxtrot", "Gold", "Harbor"];
const CUPS = ["Copper", "Silver", "Iron", "Tin", "Nickel", "Zinc", "Cobalt", "Lead"];

/** Builds the venue of `scenario` with creation and end dates around `now()`. */
export function plantedVenue(
  scenario: PlantedScenario,
  options: { readonly now: () => number },
): PlantedVenue {
  const now = options.now();
  const year = new Date(now).getUTCFullYear() + 1;
  const markets: SimMarket[] = [];
  const events: SimEvent[] = [];
  const productKeys = new Map<string, string>();
  const lastId = Math.max(
    ...scenario.relations.flatMap((r) => r.markets.map((m) => Number(m.marketId))),
  );
  let hidden = lastId;
  for (const relation of scenario.relations) {
    const index = events.length;
    const eventId = String(40_000 + index);
    const event = {
      index,
      id: eventId,
      marketIndexes: [] as number[],
      createdAtMs: now - 30 * DAY,
    };
    const add = (m: ScanMarket, shape: Shape) => {
      event.marketIndexes.push(markets.length);
      markets.push(simMarket(m, { ...shape, index: markets.length, eventIndex: index, now }));
    };
    if (relation.kind === "implication") {
      const [a, b] = relation.markets as [ScanMarket, ScanMarket];
      const deadlines = [["March 31", Date.UTC(year, 2, 31)], ["June 30", Date.UTC(year, 5, 30)]];
      [a, b].forEach((m, i) => {
        const [day, endDateMs] = deadlines[i] as [string, number];
        add(m, {
          question: `Will the Harbor Accord be signed by ${day}, ${year}?`,
          groupItemTitle: day,
          endDateMs,
          negRiskMarketId: "",
          questionId: hexId("0a", Number(m.marketId)),
          fair: fairOf(scenario, m),
        });
      });
      events.push({
        ...event,
        slug: `planted-harbor-accord-${eventId}`,
        title: `Harbor Accord signed by …?`,
        negRisk: false,
        negRiskMarketId: "",
        meta: { kind: "date_ladder", negRiskAugmented: false },
      });
      productKeys.set(relation.key, `ladder_date:${eventId}:${a.marketId}=>${b.marketId}`);
      continue;
    }
    // The group id's last byte is 00: a member's questionID carries its index there.
    const negRiskMarketId = `0x0b${index.toString(16).padStart(60, "0")}00`;
    const cup = `${CUPS[index % CUPS.length]} Cup${index >= CUPS.length ? ` ${index}` : ""}`;
    const n = relation.markets.length;
    const member = (m: ScanMarket | null, i: number, questionIndex: number) => {
      const name = NAMES[i % NAMES.length]!;
      const shape: Shape = {
        question: `Will ${name} win the ${cup}?`,
        groupItemTitle: name,
        endDateMs: now + 180 * DAY,
        negRiskMarketId,
        questionId: negRiskMarketId.slice(0, 64) + questionIndex.toString(16).padStart(2, "0"),
        fair: m === null ? 0 : fairOf(scenario, m),
      };
      if (m !== null) return add(m, shape);
      // The unlisted member of the incomplete decoy: known to the venue, served nowhere.
      hidden++;
      add({
        ...relation.markets[0]!,
        marketId: String(hidden),
        conditionId: hexId("0c", hidden),
        yesTokenId: `${hidden}01`,
        noTokenId: `${hidden}02`,
      }, { ...shape, fair: 1000 });
      markets.at(-1)!.status = "unlisted";
    };
    relation.markets.forEach((m, i) => {
      member(m, i, relation.complete || i < n - 1 ? i : n);
    });
    if (!relation.complete) member(null, n, n - 1);
    events.push({
      ...event,
      slug: `planted-${cup.toLowerCase().replaceAll(" ", "-")}-${eventId}`,
      title: `Who will win the ${cup}?`,
      negRisk: true,
      negRiskMarketId,
      meta: { kind: "neg_risk", negRiskAugmented: false },
    });
    productKeys.set(relation.key, `partition:${negRiskMarketId}`);
  }
  const universe = indexUniverse(markets, events);
  const world = new World(universe, { seed: 1, now: options.now });
  for (const m of markets) world.book(m).bids.clear(), world.book(m).asks.clear();
  const byYesToken = new Map(markets.map((m) => [m.tokenIds[0], m]));
  const apply = (event: BookEvent) => {
    const market = byYesToken.get(event.tokenId);
    if (market === undefined || market.status !== "open") return;
    const book = world.book(market);
    if (event.kind === "book") {
      book.bids.clear();
      book.asks.clear();
      for (const [price, size] of event.bids) book.set("bid", units(price), hundredths(size));
      for (const [price, size] of event.asks) book.set("ask", units(price), hundredths(size));
    } else if (event.kind === "price_change") {
      for (const c of event.changes) {
        book.set(c.side === "BUY" ? "bid" : "ask", units(c.price), hundredths(c.size));
      }
    } else return;
    book.touch(options.now());
  };
  for (const e of scenario.events) if (e.kind === "book") apply(e);
  return { world, productKeys, apply };
}

interface Shape {
  question: string;
  groupItemTitle: string;
  endDateMs: number;
  negRiskMarketId: string;
  questionId: string;
  /** Fair YES price in price units (1e-4). */
  fair: number;
}

function simMarket(
  m: ScanMarket,
  o: Shape & { index: number; eventIndex: number; now: number },
): SimMarket {
  const schedule = m.fee === null ? null : {
    rate: m.fee.rate,
    exponent: String(m.fee.exponent),
    takerOnly: m.fee.takerOnly,
    rebateRate: "0",
  };
  return {
    index: o.index,
    id: m.marketId,
    conditionId: m.conditionId,
    questionId: o.questionId,
    tokenIds: [m.yesTokenId, m.noTokenId],
    question: o.question,
    slug: `planted-market-${m.marketId}`,
    eventIndex: o.eventIndex,
    negRiskMarketId: o.negRiskMarketId,
    negRiskRequestId: o.negRiskMarketId === "" ? "" : hexId("0d", Number(m.marketId)),
    groupItemTitle: o.groupItemTitle,
    groupItemThreshold: String(m.questionIndex ?? 0),
    tagId: "2",
    createdAtMs: o.now - 30 * DAY,
    endDateMs: o.endDateMs,
    volume: 250_000 + o.index,
    liquidity: 50_000,
    feesEnabled: schedule !== null,
    tickUnits: Number(parseDec(m.tickSize) / 10_000n),
    priceUnits: o.fair,
    status: "open",
    finalPrices: null,
    closedAtMs: null,
    meta: {
      category: "politics",
      feeType: null,
      feeSchedule: schedule,
      feeChange: null,
      rules: rulesText(o.question, null, false),
      resolutionSource: "",
      negRiskOther: false,
      placeholder: false,
      sports: null,
      is5050: false,
      // No resolution is planted: the scenario ends with every market open.
      fate: null,
    },
  };
}

/** The mid of a market's first snapshot (its fair price) in price units. */
function fairOf(scenario: PlantedScenario, m: ScanMarket): number {
  const book = scenario.events.find((e) => e.kind === "book" && e.tokenId === m.yesTokenId);
  if (book?.kind !== "book" || book.bids.length === 0 || book.asks.length === 0) return 5000;
  return (units(book.bids[0]![0]) + units(book.asks[0]![0])) / 2;
}

function indexUniverse(markets: SimMarket[], events: SimEvent[]): Universe {
  const byToken = new Map<string, TokenRef>();
  for (const m of markets) {
    byToken.set(m.tokenIds[0], { market: m, outcomeIndex: 0 });
    byToken.set(m.tokenIds[1], { market: m, outcomeIndex: 1 });
  }
  return {
    seed: 1,
    markets,
    events,
    byId: new Map(markets.map((m) => [m.id, m])),
    byCondition: new Map(markets.map((m) => [m.conditionId, m])),
    byToken,
  };
}

/** A 0x-prefixed 64-hex id: a two-hex tag, zeros, then `n`. */
function hexId(tag: string, n: number): string {
  return `0x${tag}${n.toString(16).padStart(62, "0")}`;
}

/** "0.531" → 5310 (price units of 1e-4). */
function units(price: string): number {
  return Number(parseDec(price) / 10_000n);
}

/** "12.37" → 1237 (hundredths of a share). */
function hundredths(size: string): number {
  return Number(parseDec(size) / 1_000_000n);
}
