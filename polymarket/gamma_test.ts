import assert from "node:assert/strict";
import { fetchMarket, listMarkets } from "./gamma.ts";
import { createHttpClient, type HttpClient } from "./http.ts";
import { createRateLimiter } from "./rate_limiter.ts";
import { UnexpectedResponseError } from "./errors.ts";
import { silentLogger } from "../runtime/log.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/gamma/", import.meta.url);

async function withGamma(
  pages: (url: URL) => unknown,
  fn: (http: HttpClient, seen: URL[]) => Promise<void>,
): Promise<void> {
  const seen: URL[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    seen.push(url);
    return Response.json(pages(url));
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const http = createHttpClient({
    baseUrls: { gamma: base, clob: base, dataApi: base },
    limiter: createRateLimiter(),
    log: silentLogger(),
    maxRetries: 0,
  });
  try {
    await fn(http, seen);
  } finally {
    await server.shutdown();
  }
}

const markets = JSON.parse(
  await Deno.readTextFile(new URL("markets_resolved_negrisk_2024_election.json", FIXTURES)),
) as unknown[];

Deno.test("listMarkets() follows next_cursor via after_cursor and re-sends the filters", async () => {
  const next: Record<string, string> = { "": "c1", c1: "c2", c2: "" };
  await withGamma((url) => ({
    markets: [markets[0]],
    next_cursor: next[url.searchParams.get("after_cursor") ?? ""],
  }), async (http, seen) => {
    const cursors: (string | null)[] = [];
    let items = 0;
    const filters = { closed: true, limit: 1, condition_ids: ["0xa", "0xb"] };
    for await (const page of listMarkets(http, filters, { signal: AbortSignal.timeout(5000) })) {
      cursors.push(page.cursor);
      items += page.items.length;
    }
    assert.deepEqual(cursors, [null, "c1", "c2"]);
    assert.equal(items, 3);
    for (const url of seen) {
      assert.equal(url.pathname, "/markets/keyset");
      assert.equal(url.searchParams.get("closed"), "true");
      assert.equal(url.searchParams.get("limit"), "1");
      assert.deepEqual(url.searchParams.getAll("condition_ids"), ["0xa", "0xb"]);
      assert.equal(url.searchParams.has("cursor"), false);
    }
  });
});

Deno.test("listMarkets() throws a clear error when the cursor repeats", async () => {
  await withGamma(() => ({ markets: [], next_cursor: "same" }), async (http) => {
    const pages = listMarkets(http, {}, { signal: AbortSignal.timeout(5000) });
    await assert.rejects(
      async () => {
        for await (const _ of pages) { /* drain */ }
      },
      (err) => err instanceof UnexpectedResponseError && /repeats/.test(err.message),
    );
  });
});

Deno.test("listMarkets() yields rejects of a page without stopping the walk", async () => {
  await withGamma(
    (url) =>
      url.searchParams.has("after_cursor")
        ? { markets: [markets[1]] }
        : { markets: [markets[0], { id: "bad", clobTokenIds: "[1.5]" }], next_cursor: "n" },
    async (http) => {
      const pages = [];
      for await (const p of listMarkets(http, {}, { signal: AbortSignal.timeout(5000) })) {
        pages.push(p);
      }
      assert.deepEqual(pages.map((p) => [p.items.length, p.rejects.length]), [[1, 1], [1, 0]]);
    },
  );
});

Deno.test("fetchMarket() requests /markets/{id} and parses one market", async () => {
  await withGamma(() => markets[0], async (http, seen) => {
    const got = await fetchMarket(http, "253591", { signal: AbortSignal.timeout(5000) });
    assert.equal(got.items[0]!.id, "253591");
    assert.equal(seen[0]!.pathname, "/markets/253591");
  });
});
