import assert from "node:assert/strict";
import { listTradesV2 } from "./data_api.ts";
import { createHttpClient } from "./http.ts";
import { createRateLimiter } from "./rate_limiter.ts";
import { silentLogger } from "../runtime/log.ts";

const page = JSON.parse(
  await Deno.readTextFile(
    new URL("../tests/fixtures/polymarket/data-api/v2_trades_2026-09.json", import.meta.url),
  ),
) as { data: unknown[]; pagination: Record<string, unknown> };

Deno.test("listTradesV2() follows pagination.next_cursor until it is null, re-sending filters", async () => {
  const seen: URL[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    seen.push(url);
    const last = url.searchParams.get("cursor") === "p2";
    return Response.json({
      data: page.data,
      pagination: { ...page.pagination, has_more: !last, next_cursor: last ? null : "p2" },
    });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const http = createHttpClient({
    baseUrls: { gamma: base, clob: base, dataApi: base },
    limiter: createRateLimiter(),
    log: silentLogger(),
  });
  try {
    const counts: number[] = [];
    const filters = { user: "0xabc", limit: 2 };
    for await (const p of listTradesV2(http, filters, { signal: AbortSignal.timeout(5000) })) {
      counts.push(p.items.length);
    }
    assert.deepEqual(counts, [2, 2]);
    assert.deepEqual(seen.map((u) => u.pathname), ["/v2/trades", "/v2/trades"]);
    assert.ok(seen.every((u) => u.searchParams.get("user") === "0xabc"));
    assert.equal(seen[1]!.searchParams.get("cursor"), "p2");
  } finally {
    await server.shutdown();
  }
});

Deno.test("listTradesV2() ends on a page with data: null (the documented empty result)", async () => {
  const empty = await Deno.readTextFile(
    new URL("../tests/fixtures/polymarket/data-api/v2_empty_data_null_docs.json", import.meta.url),
  );
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(empty, { headers: { "content-type": "application/json" } }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const http = createHttpClient({
    baseUrls: { gamma: base, clob: base, dataApi: base },
    limiter: createRateLimiter(),
    log: silentLogger(),
  });
  try {
    const pages = [];
    const filters = { condition: "0x" + "ab".repeat(32) };
    for await (const p of listTradesV2(http, filters, { signal: AbortSignal.timeout(5000) })) {
      pages.push(p);
    }
    assert.deepEqual(pages.map((p) => [p.items.length, p.rejects.length]), [[0, 0]]);
  } finally {
    await server.shutdown();
  }
});
