/**
 * Pure resolution inference: one piece of venue evidence in, one verdict out, shaped like a
 * `ResolutionRow` (db/resolutions.ts) so the collector can upsert it as is.
 *
 * Strength scale (higher wins in the DB; a weaker verdict never overwrites a stronger one):
 * - 0 `unresolved` from any source: closed but not (yet) resolved, or still open. Any verdict
 *   replaces it; it never replaces one.
 * - 1 Gamma: `closed` plus `outcomePrices` exactly one "1" and the rest "0" (resolved), or the
 *   legacy/split patterns (ambiguous). Gamma is a cache and lags or disagrees with the CLOB.
 * - 2 CLOB `GET /markets/{condition_id}` `tokens[].winner`: the venue's settlement flag.
 * - 3 Websocket `market_resolved`: pushed by the venue at resolution time and names the winning
 *   asset id itself (no outcome-index mapping). Ranked above the CLOB because the CLOB REST
 *   view is known to lag its own state (`accepting_orders:true` on closed markets); a later
 *   CLOB answer therefore confirms but cannot correct it.
 *
 * @example
 * ```ts
 * import { inferWinner } from "./infer_winner.ts";
 * // const verdict = inferWinner({ source: "clob", market: clobMarket, observedAt: new Date() });
 * // verdict.status === "resolved" && verdict.winnerTokenId
 * ```
 */
import type { ResolutionRow } from "../db/resolutions.ts";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import type { ClobMarket } from "../polymarket/clob_schema.ts";
import type { WsMarketResolvedMessage } from "../polymarket/ws_schema.ts";

/** Strength of each kind of verdict (see the module comment). */
export const STRENGTH = { unresolved: 0, gamma: 1, clob: 2, ws: 3 } as const;

/** A fractional close older than this is taken as final (legacy/split), not as pending. */
export const SETTLE_MS = 14 * 86_400_000;

/** One piece of evidence, with the time it was received (the only clock used). */
export type ResolutionEvidence =
  | { source: "gamma"; market: GammaMarket; observedAt: Date }
  | { source: "clob"; market: ClobMarket; observedAt: Date }
  | { source: "ws"; message: WsMarketResolvedMessage; observedAt: Date };

/** A verdict: a `ResolutionRow` whose condition id may be unknown (Gamma can omit it). */
export type Verdict = Omit<ResolutionRow, "conditionId"> & { conditionId: string | null };

/** Infers the resolution a single piece of evidence supports. */
export function inferWinner(evidence: ResolutionEvidence): Verdict {
  if (evidence.source === "ws") return fromWs(evidence.message);
  if (evidence.source === "clob") return fromClob(evidence.market);
  return fromGamma(evidence.market, evidence.observedAt);
}

/** True when the verdict can be stored (it names its market's condition id). */
export function isStorable(v: Verdict): v is ResolutionRow {
  return v.conditionId !== null;
}

function fromWs(m: WsMarketResolvedMessage): Verdict {
  return {
    conditionId: m.market,
    marketId: m.marketId,
    status: "resolved",
    winnerTokenId: m.winningTokenId,
    winnerOutcome: m.winningOutcome,
    finalPrices: null,
    resolvedAt: new Date(m.timestamp),
    source: "ws",
    strength: STRENGTH.ws,
    evidence: {
      ws: {
        winningAssetId: m.winningTokenId,
        winningOutcome: m.winningOutcome,
        assetIds: m.tokenIds,
        timestamp: m.timestamp,
        reason: "market_resolved",
      },
    },
  };
}

function fromClob(m: ClobMarket): Verdict {
  const winners = m.tokens.filter((t) => t.winner);
  const prices = m.tokens.map((t) => t.price);
  const finalPrices = prices.every((p) => p !== null) ? prices as string[] : null;
  const one = winners.length === 1 ? winners[0] : undefined;
  const reason = one !== undefined
    ? "winner flag"
    : winners.length > 1
    ? "several winner flags"
    : m.closed === true
    ? "closed without a winner flag"
    : "open";
  const status = one !== undefined ? "resolved" : winners.length > 1 ? "ambiguous" : "unresolved";
  return {
    conditionId: m.conditionId,
    marketId: null,
    status,
    winnerTokenId: one?.tokenId ?? null,
    winnerOutcome: one?.outcome ?? null,
    finalPrices,
    resolvedAt: null,
    source: "clob",
    strength: status === "unresolved" ? STRENGTH.unresolved : STRENGTH.clob,
    evidence: {
      clob: {
        closed: m.closed,
        acceptingOrders: m.acceptingOrders,
        tokens: m.tokens.map((t) => ({
          tokenId: t.tokenId,
          outcome: t.outcome,
          price: t.price,
          winner: t.winner,
        })),
        reason,
      },
    },
  };
}

const PENDING_UMA = new Set(["proposed", "disputed", "challenged"]);

/** Why a closed Gamma market is not final yet, or null when its prices can be read. */
function umaPending(m: GammaMarket): string | null {
  const status = m.umaResolutionStatus?.toLowerCase() ?? null;
  if (status === "resolved") return null;
  if (status !== null && PENDING_UMA.has(status)) return `UMA ${status}, not final`;
  const last = m.umaResolutionStatuses.at(-1)?.toLowerCase();
  if (last !== undefined && last !== "resolved") return `UMA ${last}, not final`;
  return null;
}

function fromGamma(m: GammaMarket, observedAt: Date): Verdict {
  const prices = m.outcomePrices;
  const base = {
    conditionId: m.conditionId,
    marketId: m.id,
    winnerTokenId: null,
    winnerOutcome: null,
    finalPrices: prices.length > 0 ? prices : null,
    resolvedAt: m.closed === true ? m.closedTime : null,
    source: "gamma",
  };
  const evidence = (reason: string) => ({
    gamma: {
      marketId: m.id,
      closed: m.closed,
      outcomes: m.outcomes,
      outcomePrices: prices,
      umaResolutionStatus: m.umaResolutionStatus,
      umaResolutionStatuses: m.umaResolutionStatuses,
      closedTime: m.closedTime?.toISOString() ?? null,
      reason,
    },
  });
  const unresolved = (reason: string): Verdict => ({
    ...base,
    status: "unresolved",
    resolvedAt: null,
    strength: STRENGTH.unresolved,
    evidence: evidence(reason),
  });
  const ambiguous = (reason: string): Verdict => ({
    ...base,
    status: "ambiguous",
    strength: STRENGTH.gamma,
    evidence: evidence(reason),
  });
  if (m.closed !== true) return unresolved("open");
  const pending = umaPending(m);
  if (pending !== null) return unresolved(pending);
  if (prices.length < 2) return unresolved("closed without outcome prices");
  const ones = prices.filter((p) => p === "1").length;
  const zeros = prices.filter((p) => p === "0").length;
  if (ones === 1 && zeros === prices.length - 1) {
    const i = prices.indexOf("1" as (typeof prices)[number]);
    return {
      ...base,
      status: "resolved",
      winnerTokenId: m.clobTokenIds[i] ?? null,
      winnerOutcome: m.outcomes[i] ?? null,
      strength: STRENGTH.gamma,
      evidence: evidence('closed with a single "1" price'),
    };
  }
  if (zeros === prices.length) return ambiguous("legacy all-zero final prices");
  if (prices.every((p) => p === prices[0])) return ambiguous(`even split at ${prices[0]}`);
  if (m.umaResolutionStatus?.toLowerCase() === "resolved") {
    return ambiguous("resolved with fractional final prices (split)");
  }
  const closedAt = m.closedTime?.getTime() ?? null;
  if (closedAt !== null && observedAt.getTime() - closedAt >= SETTLE_MS) {
    return ambiguous("fractional prices long after close (legacy or split)");
  }
  return unresolved("closed, awaiting resolution");
}

/** One member market of a neg-risk event, as far as the tracker knows it. */
export interface NegRiskMember {
  conditionId: string;
  status: Verdict["status"];
  /** The winning outcome of the member's Yes/No market ("Yes" means this member won). */
  winnerOutcome: string | null;
}

/** The verdict on one neg-risk event's members. */
export interface NegRiskCheck {
  members: number;
  settled: number;
  /** Condition ids of members whose "Yes" won. */
  winners: string[];
  problem: "no_winner" | "multiple_winners" | null;
}

/**
 * Checks that a neg-risk event has exactly one winning member among its settled members:
 * more than one is always flagged (unless `allowMultipleWinners`); none is flagged only when
 * `complete` says `members` is the whole event and every member is settled.
 *
 * @example
 * ```ts
 * import { checkNegRiskEvent } from "./infer_winner.ts";
 * checkNegRiskEvent([
 *   { conditionId: "0xa", status: "resolved", winnerOutcome: "Yes" },
 *   { conditionId: "0xb", status: "resolved", winnerOutcome: "Yes" },
 * ]).problem; // "multiple_winners"
 * ```
 */
export function checkNegRiskEvent(
  members: readonly NegRiskMember[],
  options: { complete?: boolean; allowMultipleWinners?: boolean } = {},
): NegRiskCheck {
  const settled = members.filter((m) => m.status !== "unresolved");
  const winners = settled
    .filter((m) => m.status === "resolved" && m.winnerOutcome?.toLowerCase() === "yes")
    .map((m) => m.conditionId);
  let problem: NegRiskCheck["problem"] = null;
  if (winners.length > 1 && options.allowMultipleWinners !== true) problem = "multiple_winners";
  const allSettled = members.length > 0 && settled.length === members.length;
  if (winners.length === 0 && options.complete === true && allSettled) problem = "no_winner";
  return { members: members.length, settled: settled.length, winners, problem };
}
