import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseUserChannelMessage, tradeSchema } from "../polymarket/trading_schema.ts";
import { fillsOfTrade, orderStatusOf } from "./_venue_fills.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/", import.meta.url);

async function fixture(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(path, FIXTURES)));
}

async function trade(path: string, edit: Record<string, unknown> = {}) {
  const parsed = tradeSchema.safeParse({ ...await fixture(path), ...edit });
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

const none = () => null;

Deno.test("fillsOfTrade() picks our maker orders out of a MAKER trade, with their own side and price", async () => {
  const t = await trade("ws-user/trade_maker_side_nt_edited_2025-11.json");
  const fills = fillsOfTrade(
    t,
    { apiKey: "a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5", address: "0x1" },
    (id) => id.startsWith("0x3ad") ? "c-1" : null,
  );
  assertEquals(
    fills.map((
      f,
    ) => [
      f.fillId.split(":")[1].slice(0, 5),
      f.clientOrderId,
      f.side,
      f.price,
      f.size,
      f.fee,
      f.liquidity,
      f.at,
    ]),
    [
      ["0x3ad", "c-1", "BUY", "0.4", "5", "0", "maker", 1762776367000],
      ["0x67b", null, "BUY", "0.3", "5", "0", "maker", 1762776367000],
    ],
  );
  // By address as well as by key (case aside); another user's maker order is not ours.
  const byAddress = fillsOfTrade(t, {
    apiKey: "x",
    address: "0x0F6E2B19C81549AEB3E5812D4118F325502A3288",
  }, none);
  assertEquals(byAddress.map((f) => f.price), ["0.35"]);
  assertEquals(fillsOfTrade(t, { apiKey: "x", address: "0x2" }, none), []);
});

Deno.test("fillsOfTrade() books a TAKER trade's top level once, its fee from fee_rate_bps floored to 5 places", async () => {
  const t = await trade("clob/data_trades_item_2024-09.json", { fee_rate_bps: "1000" });
  const me = {
    apiKey: "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe",
    address: "0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8",
  };
  const [fill, ...rest] = fillsOfTrade(t, me, none);
  assertEquals(rest, []);
  assertEquals(fill.fillId, `${t.tradeId}:${t.takerOrderId}`);
  assertEquals([fill.side, fill.price, fill.size, fill.liquidity], ["BUY", "0.489", "5", "taker"]);
  // 5 × 0.1 × 0.489 × 0.511 = 0.1249395
  assertEquals(fill.fee, "0.12493");
  assertEquals(fillsOfTrade({ ...t, status: "FAILED" }, me, none), []);
});

Deno.test("fillsOfTrade() infers a maker's side when the venue leaves it out", async () => {
  const t = await trade("clob/data_trades_item_2024-09.json", { trader_side: "MAKER" });
  const me = { apiKey: "62880c97-4a03-c6fa-2665-e6072ffc6ae6", address: "0x0" };
  // The taker bought this token: the maker on the same token sold it.
  assertEquals(fillsOfTrade(t, me, none).map((f) => [f.side, f.liquidity]), [["SELL", "maker"]]);
  const other = {
    ...t,
    makerOrders: t.makerOrders.map((m) => ({ ...m, tokenId: "1" as typeof m.tokenId })),
  };
  assertEquals(fillsOfTrade(other, me, none).map((f) => f.side), ["BUY"]);
});

Deno.test("orderStatusOf() reads the venue's status words; a killed FOK is REJECTED", async () => {
  assertEquals(
    ["LIVE", "matched", "delayed", "unmatched", "CANCELED_MARKET_RESOLVED", "??"].map(
      orderStatusOf,
    ),
    [
      "LIVE",
      "MATCHED",
      "LIVE",
      "LIVE",
      "CANCELED_MARKET_RESOLVED",
      null,
    ],
  );
  const killed = parseUserChannelMessage(await fixture("ws-user/order_fok_killed_sanitized.json"));
  if (!killed.success || killed.data.kind !== "order") throw new Error("not parsed as an order");
  assertEquals([killed.data.type, killed.data.order.sizeMatched, killed.data.order.createdAt], [
    "CANCELLATION",
    "0",
    0,
  ]);
  assertEquals(orderStatusOf(killed.data.order.status), "REJECTED");
});
