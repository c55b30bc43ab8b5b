/**
 * The simulator's hidden truth: how every market will resolve ("its fate", `meta.fate`, 0 =
 * Yes), drawn once per structure so that the venue's own structures are never contradicted by
 * its own resolutions.
 *
 * Structures and the worlds each allows:
 * - a neg-risk group (plain or augmented, placeholders and "Other" included): exactly one
 *   member resolves Yes, the others No (one world per member that can still win: not void,
 *   not 50-50);
 * - a date ladder (earliest deadline first), a threshold ladder (highest strike first), a
 *   game's margin chain (spreads by ascending line, then the moneyline) and its totals chain
 *   (descending line): each member implies the next, so the world is a cut — members before it
 *   resolve No, members from it on resolve Yes (n + 1 worlds for n members).
 * Markets outside a structure get a fair coin.
 *
 * `draw` picks one world per structure among those consistent with the markets the seed
 * created already closed (1/0 or 0/1); when none is, it takes a world with the fewest
 * conflicts and rewrites those markets' final prices, so the universe is coherent from the
 * start. Void (0/0) and 50-50 markets constrain nothing and never win a group.
 *
 * An explicit resolution (a test or the control API naming the winner) calls `bind`: the
 * structure's world is re-chosen among those consistent with every resolved member and the
 * new one, keeping as many open members' fates as possible; when none is (a tie planted on
 * purpose), the fates stay and `bind` returns false — the contradiction is the caller's plant.
 *
 * `settledWith` says which open markets resolve together with one (the random lifecycle
 * resolves them in one step): a group's winner settles the whole group (a loser resolves
 * alone, as a withdrawn candidate does); a date ladder's Yes settles every later deadline, its
 * No every earlier one; a threshold ladder and a game resolve all at once.
 *
 * @example
 * ```ts
 * import { createUniverse } from "./universe.ts";
 * import { Fates } from "./fates.ts";
 * const u = createUniverse({ markets: 200, seed: 1, now: 0 }); // fates are drawn here
 * const fates = new Fates(u, 1);
 * const m = u.markets.find((x) => x.status === "open")!;
 * fates.settledWith(m).every((x) => x.status === "open"); // true
 * ```
 */
import { Random } from "./_random.ts";
import type { SimEvent, SimMarket } from "./universe.ts";

/** One coherent unit of markets. */
interface Structure {
  kind: "partition" | "chain";
  /** Partition: question order. Chain: each member implies the next. */
  members: SimMarket[];
}

type Outcome = "yes" | "no";

/** The markets and events fates are drawn over (a {@link Universe} or one being built). */
export interface FateScope {
  readonly markets: readonly SimMarket[];
  readonly events: readonly SimEvent[];
}

/** Index of the structures of a universe; draws, binds and cascades fates. */
export class Fates {
  readonly #scope: FateScope;
  readonly #byMarket = new Map<number, Structure>();
  readonly #structures: Structure[] = [];
  readonly #random: Random;

  /** Indexes `scope`'s structures; `seed` drives the choices between equal worlds. */
  constructor(scope: FateScope, seed: number) {
    this.#scope = scope;
    this.#random = new Random((seed ^ 0x0fa7e5) >>> 0);
    for (const e of scope.events) {
      for (const members of structuresOf(e, scope.markets)) {
        if (members.members.length < 2) continue;
        this.#structures.push(members);
        for (const m of members.members) this.#byMarket.set(m.index, members);
      }
    }
  }

  /**
   * Draws the fate of every market that has none yet and makes the already-closed markets
   * agree (see above). Structures whose fates are all drawn keep them, so drawing again (as
   * every {@link World} does for a universe built by hand) changes nothing.
   */
  draw(): void {
    const undrawn = (m: SimMarket) => m.meta.fate === null && !isVoid(m);
    const pending = this.#structures.filter((s) => s.members.some(undrawn));
    for (const m of this.#scope.markets) {
      if (!undrawn(m)) continue;
      const fixed = closedOutcome(m);
      m.meta.fate = fixed === "yes" ? 0 : fixed === "no" ? 1 : this.#random.chance(0.5) ? 0 : 1;
    }
    for (const s of pending) {
      const worlds = worldsOf(s);
      const conflicts = worlds.map((w) =>
        s.members.filter((m, i) => {
          const fixed = closedOutcome(m);
          return fixed !== null && w[i] !== null && fixed !== w[i];
        }).length
      );
      const least = Math.min(...conflicts);
      const candidates = worlds.filter((_, i) => conflicts[i] === least);
      if (candidates.length === 0) continue;
      const world = this.#random.pick(candidates);
      s.members.forEach((m, i) => {
        const o = world[i];
        if (o === null) return;
        m.meta.fate = o === "yes" ? 0 : 1;
        if (closedOutcome(m) !== null) m.finalPrices = o === "yes" ? ["1", "0"] : ["0", "1"];
      });
    }
  }

  /**
   * Re-chooses the structure's world so that `market` resolves to `winner` (0 = Yes) and every
   * resolved member keeps its outcome; false when no world allows it (the fates stay).
   */
  bind(market: SimMarket, winner: 0 | 1): boolean {
    const s = this.#byMarket.get(market.index);
    if (s === undefined) {
      market.meta.fate = winner;
      return true;
    }
    return this.#rechoose(s, market, winner === 0 ? "yes" : "no");
  }

  /** After `market` became void or 50-50: its group re-chooses a winner if it was the one. */
  release(market: SimMarket): void {
    market.meta.fate = null;
    const s = this.#byMarket.get(market.index);
    if (s !== undefined) this.#rechoose(s, null, null);
  }

  /** Open markets whose outcome is settled when `market` resolves to its fate (see above). */
  settledWith(market: SimMarket): SimMarket[] {
    const event = this.#scope.events[market.eventIndex];
    const open = (ms: readonly SimMarket[]) =>
      ms.filter((m) => m !== market && m.status === "open" && m.meta.fate !== null);
    if (event === undefined) return [];
    const kind = event.meta.kind;
    if (kind === "threshold_ladder" || kind === "game") {
      return open(event.marketIndexes.map((i) => this.#scope.markets[i]!));
    }
    const s = this.#byMarket.get(market.index);
    if (s === undefined) return [];
    const at = s.members.indexOf(market);
    if (s.kind === "partition") return market.meta.fate === 0 ? open(s.members) : [];
    if (kind !== "date_ladder") return [];
    return open(market.meta.fate === 0 ? s.members.slice(at + 1) : s.members.slice(0, at));
  }

  #rechoose(s: Structure, market: SimMarket | null, outcome: Outcome | null): boolean {
    const fixed = s.members.map((m) => (m === market ? outcome : closedOutcome(m)));
    const consistent = worldsOf(s).filter((w) =>
      w.every((o, i) => o === null || fixed[i] === null || o === fixed[i])
    );
    if (consistent.length === 0) {
      if (market !== null && outcome !== null) market.meta.fate = outcome === "yes" ? 0 : 1;
      return false;
    }
    const changes = (w: (Outcome | null)[]) =>
      s.members.filter((m, i) => w[i] !== null && fateOutcome(m) !== w[i]).length;
    const fewest = Math.min(...consistent.map(changes));
    const world = this.#random.pick(consistent.filter((w) => changes(w) === fewest));
    s.members.forEach((m, i) => {
      const o = world[i];
      if (o !== null) m.meta.fate = o === "yes" ? 0 : 1;
    });
    return true;
  }
}

/** The structures of one event: a neg-risk group, a ladder, or a game's two chains. */
function structuresOf(e: SimEvent, markets: readonly SimMarket[]): Structure[] {
  const members = e.marketIndexes.map((i) => markets[i]!);
  if (e.negRisk) return [{ kind: "partition", members }];
  if (e.meta.kind === "date_ladder") return [{ kind: "chain", members }];
  if (e.meta.kind === "threshold_ladder") return [{ kind: "chain", members: members.reverse() }];
  if (e.meta.kind !== "game") return [];
  const line = (m: SimMarket) => Number(m.meta.sports?.line ?? 0);
  const of = (type: string) => members.filter((m) => m.meta.sports?.sportsMarketType === type);
  return [
    {
      kind: "chain",
      members: [...of("spreads"), ...of("moneyline")].sort((a, b) => line(a) - line(b)),
    },
    { kind: "chain", members: of("totals").sort((a, b) => line(b) - line(a)) },
  ];
}

/** Every outcome vector the structure allows (null: a void or 50-50 member, unconstrained). */
function worldsOf(s: Structure): (Outcome | null)[][] {
  const n = s.members.length;
  const out: (Outcome | null)[][] = [];
  if (s.kind === "partition") {
    s.members.forEach((winner, w) => {
      if (isVoid(winner)) return;
      out.push(s.members.map((m, i) => (isVoid(m) ? null : i === w ? "yes" : "no")));
    });
    return out;
  }
  for (let cut = 0; cut <= n; cut++) {
    out.push(s.members.map((m, i) => (isVoid(m) ? null : i >= cut ? "yes" : "no")));
  }
  return out;
}

/** A closed market's 0/1 outcome, or null (open, unlisted, void, 50-50). */
function closedOutcome(m: SimMarket): Outcome | null {
  if (m.status !== "closed") return null;
  const p = m.finalPrices?.join("/");
  return p === "1/0" ? "yes" : p === "0/1" ? "no" : null;
}

function fateOutcome(m: SimMarket): Outcome | null {
  return m.meta.fate === null ? null : m.meta.fate === 0 ? "yes" : "no";
}

/** Closed without a winner (0/0) or 50-50: neither wins nor constrains. */
function isVoid(m: SimMarket): boolean {
  return m.status === "closed" && closedOutcome(m) === null;
}
