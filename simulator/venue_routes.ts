/**
 * The simulated venue's private REST routes, as the official client calls them: API keys
 * (L1: `POST /auth/api-key`, `GET /auth/derive-api-key`; L2: `GET /auth/api-keys`), orders
 * (`POST /order`, `POST /orders` ≤ 15), cancels (`DELETE /order`, `/orders`, `/cancel-all`,
 * `/cancel-market-orders`, all `{canceled, not_canceled}`), the ledger (`GET /data/orders`,
 * `/data/order/{id}` — live orders only —, `/data/trades`), `GET /balance-allowance`,
 * heartbeats (`POST /v1/heartbeats` as the official client sends them, `POST /heartbeats` as
 * the docs page shows them; a gap cancels the address's orders, `venue.ts`), plus the
 * public `GET /markets-by-token/{token}` and the Data API's `GET /positions?user=` (v1) and
 * `GET /v2/positions?user=` (`venue_positions.ts`). Every
 * private route checks the L2 HMAC (401 otherwise). An order's EIP-712 signature is verified
 * against domain version "2" and the exchange of its market (neg-risk or not); a V1 order or a
 * signature for another domain version gets the venue's version-mismatch answer.
 *
 * @example
 * ```ts
 * import { handleTrading } from "./venue_routes.ts";
 * // const res = await handleTrading({ venue, keys, world }, req, url); // null: not a route
 * ```
 */
import { jsonResponse } from "./_http.ts";
import {
  EXCHANGE_V2,
  NEG_RISK_EXCHANGE_V2,
  orderDigest,
  type OrderV2Fields,
  recoverSigner,
  toHex,
} from "./_eip712.ts";
import type { ApiKeyOwner, ApiKeys } from "./clob_auth.ts";
import type { Venue, VenueAnswer } from "./venue.ts";
import { parseOrderRequest, units } from "./venue_wire.ts";
import type { World } from "./world.ts";
import { handlePositions } from "./venue_positions.ts";

/** What the routes need. */
export interface TradingDeps {
  venue: Venue;
  keys: ApiKeys;
  world: World;
}

const EXCHANGE_V3 = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa";
const MAX_BATCH = 15;
const MAX_CANCEL = 3000;
const END_CURSOR = "LTE=";
const UNAUTHORIZED = { error: "Unauthorized/Invalid api key" };
const MAX_ALLOWANCE = (2n ** 256n - 1n).toString();
const PRIVATE = new Set([
  "/auth/api-keys",
  "/order",
  "/orders",
  "/cancel-all",
  "/cancel-market-orders",
  "/data/orders",
  "/data/trades",
  "/balance-allowance",
  "/balance-allowance/update",
  "/v1/heartbeats",
  "/heartbeats",
]);

/** Serves a trading route, or returns null when the path is not one. */
export async function handleTrading(
  deps: TradingDeps,
  req: Request,
  url: URL,
): Promise<Response | null> {
  const path = url.pathname;
  const { venue, keys, world } = deps;
  if (path === "/auth/api-key" && req.method === "POST" || path === "/auth/derive-api-key") {
    const l1 = keys.verifyL1(req.headers);
    if ("error" in l1) return jsonResponse({ error: l1.error }, 401);
    return jsonResponse(await keys.credentialsFor(l1.address, l1.nonce));
  }
  const byToken = /^\/markets-by-token\/(\d+)$/.exec(path);
  if (byToken !== null && req.method === "GET") {
    const ref = world.universe.byToken.get(byToken[1]);
    if (ref === undefined || ref.market.status === "unlisted") {
      return jsonResponse({ error: "market not found" }, 404);
    }
    const [yes, no] = ref.market.tokenIds;
    return jsonResponse({
      condition_id: ref.market.conditionId,
      primary_token_id: yes,
      secondary_token_id: no,
    });
  }
  if (req.method === "GET") {
    const positions = handlePositions(deps, url);
    if (positions !== null) return positions;
  }
  const orderPath = /^\/data\/order\/(0x[0-9a-fA-F]{64})$/.exec(path);
  if (!PRIVATE.has(path) && orderPath === null) return null;
  const body = req.method === "GET" ? "" : await req.text();
  const owner = await keys.verifyL2(req.headers, { method: req.method, path, body });
  if (owner === null) return jsonResponse(UNAUTHORIZED, 401);
  const json = body === "" ? undefined : parseJson(body);
  if (orderPath !== null) {
    const order = venue.orders.get(orderPath[1].toLowerCase());
    const live = order !== undefined && order.status === "LIVE" &&
      order.owner.address === owner.address;
    return jsonResponse(live ? venue.openOrder(order) : null);
  }
  switch (`${req.method} ${path}`) {
    case "GET /auth/api-keys":
      return jsonResponse({ apiKeys: [owner.apiKey] });
    case "POST /v1/heartbeats":
      venue.heartbeat(owner.address);
      return jsonResponse({ heartbeat_id: crypto.randomUUID() });
    case "POST /heartbeats":
      venue.heartbeat(owner.address);
      return jsonResponse({ status: "ok" });
    case "POST /order": {
      const answer = placeOne(deps, owner, json);
      return jsonResponse(answer.body, answer.status);
    }
    case "POST /orders": {
      if (!Array.isArray(json)) return jsonResponse({ error: "Invalid order payload" }, 400);
      if (json.length > MAX_BATCH) {
        return jsonResponse(
          { error: `Too many orders in payload, max allowed: ${MAX_BATCH}` },
          400,
        );
      }
      return jsonResponse(json.map((item) => batchLeg(placeOne(deps, owner, item))));
    }
    case "DELETE /order": {
      const id = (json as { orderID?: unknown } | undefined)?.orderID;
      if (typeof id !== "string") return jsonResponse({ error: "Invalid orderID" }, 400);
      return jsonResponse(cancelMany(venue, owner, [id]));
    }
    case "DELETE /orders": {
      if (!Array.isArray(json) || !json.every((x) => typeof x === "string")) {
        return jsonResponse({ error: "Invalid orderID" }, 400);
      }
      if (json.length > MAX_CANCEL) {
        return jsonResponse(
          { error: `Too many orders in payload, max allowed: ${MAX_CANCEL}` },
          400,
        );
      }
      return jsonResponse(cancelMany(venue, owner, json));
    }
    case "DELETE /cancel-all":
      return jsonResponse(
        cancelMany(venue, owner, venue.liveOrders(owner.address).map((o) => o.id)),
      );
    case "DELETE /cancel-market-orders": {
      const q = (json ?? {}) as { market?: unknown; asset_id?: unknown };
      const ids = venue.liveOrders(owner.address).filter((o) =>
        (typeof q.market !== "string" || o.market.conditionId === q.market.toLowerCase()) &&
        (typeof q.asset_id !== "string" || o.market.tokenIds[o.outcome] === q.asset_id)
      ).map((o) => o.id);
      return jsonResponse(cancelMany(venue, owner, ids));
    }
    case "GET /data/orders": {
      const p = url.searchParams;
      const rows = venue.liveOrders(owner.address).filter((o) =>
        (p.get("id") === null || o.id === p.get("id")?.toLowerCase()) &&
        (p.get("market") === null || o.market.conditionId === p.get("market")?.toLowerCase()) &&
        (p.get("asset_id") === null || o.market.tokenIds[o.outcome] === p.get("asset_id"))
      ).map((o) => venue.openOrder(o));
      return page(rows);
    }
    case "GET /data/trades": {
      const p = url.searchParams;
      const after = Number(p.get("after") ?? "0");
      const before = Number(p.get("before") ?? "Infinity");
      const rows = venue.trades.filter((t) => {
        const o = t.order;
        const s = t.matchedAtMs / 1000;
        return o.owner.address === owner.address &&
          (p.get("id") === null || t.id === p.get("id")) &&
          (p.get("market") === null || o.market.conditionId === p.get("market")?.toLowerCase()) &&
          (p.get("asset_id") === null || o.market.tokenIds[o.outcome] === p.get("asset_id")) &&
          (p.get("maker_address") === null ||
            o.maker === p.get("maker_address")?.toLowerCase()) &&
          s >= after && s <= before;
      }).reverse().map((t) => venue.trade(t));
      return page(rows);
    }
    case "GET /balance-allowance":
    case "GET /balance-allowance/update": {
      const account = venue.accounts.get(venue.funderOf(owner.address));
      const type = url.searchParams.get("asset_type");
      const token = url.searchParams.get("token_id") ?? "";
      if (type !== "COLLATERAL" && type !== "CONDITIONAL") {
        return jsonResponse({ error: "invalid asset_type" }, 400);
      }
      const balance = type === "COLLATERAL"
        ? account.collateral
        : venue.accounts.position(account, token).size;
      return jsonResponse({
        balance: balance.toString(),
        allowances: { [EXCHANGE_V2]: MAX_ALLOWANCE, [NEG_RISK_EXCHANGE_V2]: MAX_ALLOWANCE },
      });
    }
  }
  return jsonResponse({ error: "not found" }, 404);
}

function placeOne(deps: TradingDeps, owner: ApiKeyOwner, value: unknown): VenueAnswer {
  const parsed = parseOrderRequest(value);
  if (parsed.kind === "v1") {
    return {
      status: 400,
      body: { error: "invalid order version, please use the latest clob-client" },
    };
  }
  if (parsed.kind === "invalid") return { status: 400, body: { error: "Invalid order payload" } };
  const { request } = parsed;
  const ref = deps.world.universe.byToken.get(request.order.tokenId);
  const negRisk = ref !== undefined && ref.market.negRiskMarketId !== "";
  const contract = negRisk ? NEG_RISK_EXCHANGE_V2 : EXCHANGE_V2;
  const digest = orderDigest(request.order, { version: "2", verifyingContract: contract });
  const signer = request.order.signer.toLowerCase();
  if (recoverSigner(digest, request.order.signature) !== signer) {
    const error = signedForOtherVersion(request.order, contract)
      ? "order_version_mismatch"
      : "invalid order signature";
    return { status: 400, body: { error } };
  }
  return deps.venue.place(owner, request, toHex(digest));
}

/** True when the order was signed for exchange domain "3" or "1" instead of "2". */
function signedForOtherVersion(order: OrderV2Fields & { signature: string }, contract: string) {
  const signer = order.signer.toLowerCase();
  return [["3", EXCHANGE_V3], ["1", contract]].some(([version, verifyingContract]) =>
    recoverSigner(orderDigest(order, { version, verifyingContract }), order.signature) === signer
  );
}

function batchLeg(answer: VenueAnswer): unknown {
  if (answer.status === 200) return answer.body;
  const error = (answer.body as { error?: string }).error ?? "";
  return {
    success: false,
    errorMsg: error,
    orderID: "",
    status: "",
    makingAmount: units(0n),
    takingAmount: units(0n),
    transactionsHashes: [],
    tradeIDs: [],
  };
}

function cancelMany(venue: Venue, owner: ApiKeyOwner, ids: readonly string[]) {
  const canceled: string[] = [];
  const notCanceled: Record<string, string> = {};
  for (const raw of ids) {
    const id = raw.toLowerCase();
    const reason = venue.cancel(owner.address, id);
    if (reason === null) canceled.push(id);
    else notCanceled[raw] = reason;
  }
  return { canceled, not_canceled: notCanceled };
}

function page(rows: unknown[]): Response {
  return jsonResponse({
    data: rows,
    next_cursor: END_CURSOR,
    limit: rows.length,
    count: rows.length,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
