/**
 * The tracked market metadata (fees, tick, neg-risk structure, rules, sports fields, dates) as
 * each source reports it: a Gamma market (with its parent event), a CLOB market and a websocket
 * `new_market`. Each builder returns only the fields its source carries, so merging the
 * observations of several sources never blanks a field that another source owns (the CLOB
 * market has no `negRiskOther`, `new_market` no `negRiskMarketID`).
 *
 * @example
 * ```ts
 * import { questionIndex } from "./market_metadata.ts";
 * questionIndex("0x" + "ab".repeat(31) + "00", "0x" + "ab".repeat(31) + "05"); // 5
 * ```
 */
import { createHash } from "node:crypto";
import type { GammaMarket } from "../polymarket/gamma_schema.ts";
import type { GammaEvent } from "../polymarket/gamma_event_schema.ts";
import type { ClobMarket } from "../polymarket/clob_schema.ts";
import type { WsNewMarketMessage } from "../polymarket/ws_schema.ts";
import type { MarketMetadata, MetadataObservation } from "../db/market_metadata.ts";

/** SHA-256 (hex) of a rules text; equal texts share one `market_rules` row. */
export function rulesHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * A neg-risk member's question index: `questionID` is `negRiskMarketID` with its last byte
 * replaced by the index. Null when the market is not a member or the ids do not line up.
 */
export function questionIndex(negRiskMarketId: string | null, questionId: string | null) {
  if (negRiskMarketId === null || questionId === null) return null;
  if (negRiskMarketId.length !== 66 || questionId.length !== 66) return null;
  if (negRiskMarketId.slice(0, 64).toLowerCase() !== questionId.slice(0, 64).toLowerCase()) {
    return null;
  }
  const index = Number.parseInt(questionId.slice(64), 16);
  return Number.isNaN(index) ? null : index;
}

function observation(
  marketId: string,
  description: string | null | undefined,
  fields: Partial<MarketMetadata>,
): MetadataObservation {
  if (description === undefined) return { marketId, fields, rules: null };
  if (description === null) {
    return { marketId, fields: { ...fields, rulesHash: null }, rules: null };
  }
  const hash = rulesHash(description);
  return { marketId, fields: { ...fields, rulesHash: hash }, rules: { hash, text: description } };
}

/**
 * A short digest of what one observation says (its fields, in builder order): equal keys mean
 * the same observation, so a caller may skip re-sending it.
 */
export function observationKey(o: MetadataObservation): string {
  return createHash("sha1").update(JSON.stringify(o.fields)).digest("base64");
}

/** The only fields of a market's event that its metadata tracks. */
export type EventFlags = Pick<GammaEvent, "enableNegRisk" | "negRiskAugmented">;

/** Every tracked field of a Gamma market; the event's flags when its event is known. */
export function metadataFromGamma(m: GammaMarket, event?: EventFlags): MetadataObservation {
  const negRiskMarketId = m.negRisk ? m.negRiskMarketId : null;
  const fields: Partial<MarketMetadata> = {
    resolutionSource: m.resolutionSource,
    feesEnabled: m.feesEnabled,
    feeType: m.feeType,
    feeRate: m.feeSchedule?.rate ?? null,
    feeExponent: m.feeSchedule?.exponent ?? null,
    feeTakerOnly: m.feeSchedule?.takerOnly ?? null,
    feeRebateRate: m.feeSchedule?.rebateRate ?? null,
    makerBaseFee: m.makerBaseFee,
    takerBaseFee: m.takerBaseFee,
    tickSize: m.orderPriceMinTickSize,
    minOrderSize: m.orderMinSize,
    negRisk: m.negRisk,
    negRiskMarketId: m.negRiskMarketId,
    questionId: m.questionId,
    questionIndex: questionIndex(negRiskMarketId, m.questionId),
    negRiskOther: m.negRiskOther,
    groupItemTitle: m.groupItemTitle,
    groupItemThreshold: m.groupItemThreshold,
    gameId: m.gameId,
    sportsMarketType: m.sportsMarketType,
    line: m.line,
    gameStartTime: m.gameStartTime?.toISOString() ?? null,
    endDate: m.endDate?.toISOString() ?? null,
    eventId: m.eventIds[0] ?? null,
  };
  if (event !== undefined) {
    fields.eventEnableNegRisk = event.enableNegRisk;
    fields.eventNegRiskAugmented = event.negRiskAugmented;
  }
  return observation(m.id, m.description, fields);
}

/**
 * The fields a CLOB market carries (`GET /markets/{condition_id}`): rules, tick, minimum size,
 * base fees, the 50-50 flag and the game start. `marketId` is the Gamma id it belongs to.
 */
export function metadataFromClob(marketId: string, m: ClobMarket): MetadataObservation {
  return observation(marketId, m.description, {
    tickSize: m.minimumTickSize,
    minOrderSize: m.minimumOrderSize,
    makerBaseFee: m.makerBaseFee,
    takerBaseFee: m.takerBaseFee,
    is5050Outcome: m.is5050Outcome,
    negRisk: m.negRisk,
    ...(m.gameStartTime === null ? {} : { gameStartTime: m.gameStartTime.toISOString() }),
  });
}

/** The fields a websocket `new_market` carries; absent keys are left out, not blanked. */
export function metadataFromNewMarket(m: WsNewMarketMessage): MetadataObservation {
  const fields: Partial<MarketMetadata> = {};
  if (m.tickSize !== null) fields.tickSize = m.tickSize;
  if (m.groupItemTitle !== null) fields.groupItemTitle = m.groupItemTitle;
  if (m.sportsMarketType !== null) fields.sportsMarketType = m.sportsMarketType;
  if (m.line !== null) fields.line = m.line;
  if (m.gameStartTime !== null) fields.gameStartTime = m.gameStartTime.toISOString();
  if (m.feesEnabled !== null) fields.feesEnabled = m.feesEnabled;
  if (m.takerBaseFee !== null) fields.takerBaseFee = m.takerBaseFee;
  if (m.eventId !== null) fields.eventId = m.eventId;
  if (m.feeSchedule !== null) {
    fields.feeRate = m.feeSchedule.rate;
    fields.feeExponent = m.feeSchedule.exponent;
    fields.feeTakerOnly = m.feeSchedule.takerOnly;
    fields.feeRebateRate = m.feeSchedule.rebateRate;
  }
  return observation(m.marketId, m.description ?? undefined, fields);
}
