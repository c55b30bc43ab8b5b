/**
 * The official `@polymarket/clob-client-v2@1.1.0` public read calls against the simulator
 * (no signer: only unauthenticated routes).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
// Test-only: imported by full specifier, not through deno.json, so that `deno task start` does
// not install it (see the README's dependency table).
// deno-lint-ignore no-import-prefix
import { ClobClient, Side } from "npm:@polymarket/clob-client-v2@1.1.0";
import { startSimulator } from "../simulator/server.ts";

Deno.test({
  name: "official clob-client-v2 reads books, markets, prices and tick sizes from the simulator",
  fn: async () => {
    const sim = await startSimulator({ markets: 300, seed: 21, tickMs: 60_000, lifecycleRate: 0 });
    try {
      const client = new ClobClient({ host: sim.url, chain: 137 });
      const m = sim.universe.markets.find((x) => x.status === "open" && x.negRiskMarketId !== "")!;
      const [yes] = m.tokenIds;
      const book = await client.getOrderBook(yes);
      assertEquals(book.asset_id, yes);
      assertEquals(book.market, m.conditionId);
      ok(book.bids.length > 0 && book.asks.length > 0);
      const market = await client.getMarket(m.conditionId);
      assertEquals(market.condition_id, m.conditionId);
      assertEquals(market.tokens[0].token_id, yes);
      const page = await client.getMarkets();
      ok(page.data.length > 0);
      assertEquals(typeof page.next_cursor, "string");
      const bid = await client.getPrice(yes, Side.BUY);
      const ask = await client.getPrice(yes, Side.SELL);
      ok(Number(bid.price) < Number(ask.price));
      const mid = await client.getMidpoint(yes);
      assertEquals(Number(mid.mid), (Number(bid.price) + Number(ask.price)) / 2);
      assertEquals(await client.getTickSize(yes), String(m.tickUnits / 10_000));
      assertEquals(await client.getNegRisk(yes), true);
      assertEquals(typeof (await client.getFeeRateBps(yes)), "number");
      assertEquals(typeof (await client.getServerTime()), "number");
      assertEquals(await client.getOk(), "OK");
      const history = await client.getPricesHistory({
        market: yes,
        interval: "1d" as never,
        fidelity: 60,
      });
      ok(Array.isArray((history as { history?: unknown[] }).history ?? history));
    } finally {
      await sim.close();
    }
  },
});
