import assert from "node:assert/strict";
import { createHttpClient, type HttpClientOptions } from "./http.ts";
import { createRateLimiter } from "./rate_limiter.ts";
import { HttpStatusError, RateLimitError, TransportError } from "./errors.ts";
import { createLogger, silentLogger } from "../runtime/log.ts";
import { createReachability } from "./reachability.ts";

type Handler = (req: Request, hit: number) => Response | Promise<Response>;

async function withServer(handler: Handler, fn: (base: string) => Promise<void>): Promise<void> {
  let hits = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => handler(req, ++hits),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

function client(base: string, waits: number[], extra: Partial<HttpClientOptions> = {}) {
  return createHttpClient({
    baseUrls: { gamma: base, clob: base, dataApi: base },
    limiter: createRateLimiter(),
    log: silentLogger(),
    timeoutMs: 2000,
    maxRetries: 3,
    backoffBaseMs: 100,
    random: () => 1,
    sleep: (ms, signal) => {
      waits.push(ms);
      signal.throwIfAborted();
      return Promise.resolve();
    },
    ...extra,
  });
}

/** Requests that hang until the test releases them (no timers, no request.signal). */
function stalls() {
  const waiting = new Set<() => void>();
  return {
    wait: () => new Promise<Response>((resolve) => waiting.add(() => resolve(new Response("{}")))),
    release: () => {
      for (const resolve of waiting) resolve();
      waiting.clear();
    },
  };
}

const signal = () => AbortSignal.timeout(10_000);

Deno.test("getJson() waits Retry-After on 429, then retries", async () => {
  const waits: number[] = [];
  await withServer(
    (_req, hit) =>
      hit === 1
        ? new Response("slow down", { status: 429, headers: { "retry-after": "2" } })
        : Response.json({ ok: true }),
    async (base) => {
      assert.deepEqual(await client(base, waits).getJson("gamma", "/x", {}, signal()), {
        ok: true,
      });
    },
  );
  assert.deepEqual(waits, [2000]);
});

Deno.test("getJson() retries 5xx with exponential backoff", async () => {
  const waits: number[] = [];
  await withServer(
    (_req, hit) => hit <= 2 ? new Response("down", { status: 503 }) : Response.json([1]),
    async (base) => {
      assert.deepEqual(await client(base, waits).getJson("clob", "/y", {}, signal()), [1]);
    },
  );
  assert.deepEqual(waits, [100, 200]);
});

Deno.test("getJson() gives up after maxRetries with HttpStatusError or RateLimitError", async () => {
  await withServer(() => new Response("down", { status: 500 }), async (base) => {
    const err = await client(base, []).getJson("gamma", "/markets", {}, signal()).catch((e) => e);
    assert.ok(err instanceof HttpStatusError);
    assert.equal(err.status, 500);
    assert.equal(err.message, "Cannot fetch /markets: HTTP 500");
  });
  await withServer(() => new Response("no", { status: 429 }), async (base) => {
    const err = await client(base, []).getJson("gamma", "/m", {}, signal()).catch((e) => e);
    assert.ok(err instanceof RateLimitError);
  });
});

Deno.test("getJson() waits out 425 maintenance without counting it as a failure", async () => {
  const waits: number[] = [];
  await withServer(
    (_req, hit) => hit <= 5 ? new Response("maintenance", { status: 425 }) : Response.json("up"),
    async (base) => {
      const http = client(base, waits, { maxRetries: 0 });
      assert.equal(await http.getJson("clob", "/z", {}, signal()), "up");
    },
  );
  assert.equal(waits.length, 5);
});

Deno.test("getJson() stops waiting for 425 after the maintenance deadline", async () => {
  let clock = 0;
  await withServer(() => new Response("maintenance", { status: 425 }), async (base) => {
    const http = client(base, [], {
      maintenanceDeadlineMs: 3000,
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
    });
    const err = await http.getJson("clob", "/z", {}, signal()).catch((e) => e);
    assert.ok(err instanceof HttpStatusError && err.status === 425);
  });
});

Deno.test("getJson() does not retry other 4xx", async () => {
  let hits = 0;
  await withServer(() => {
    hits++;
    return new Response("nope", { status: 404 });
  }, async (base) => {
    const err = await client(base, []).getJson("gamma", "/404", {}, signal()).catch((e) => e);
    assert.ok(err instanceof HttpStatusError && err.status === 404);
  });
  assert.equal(hits, 1);
});

Deno.test("getJson() turns a timeout into a retryable TransportError", async () => {
  const hang = stalls();
  await withServer(() => hang.wait(), async (base) => {
    const http = client(base, [], { timeoutMs: 50, maxRetries: 1 });
    const err = await http.getJson("gamma", "/slow", {}, signal()).catch((e) => e);
    hang.release();
    assert.ok(err instanceof TransportError, String(err));
  });
});

Deno.test("getJson() rethrows the caller's abort reason", async () => {
  const hang = stalls();
  await withServer(() => hang.wait(), async (base) => {
    const controller = new AbortController();
    const reason = new Error("shutting down");
    const pending = client(base, []).getJson("gamma", "/slow", {}, controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(pending, (err) => err === reason);
    hang.release();
  });
});

Deno.test("getJson() repeats array query params; postJson() sends a JSON body", async () => {
  await withServer(async (req) => {
    const url = new URL(req.url);
    return Response.json({
      search: url.search,
      body: req.method === "POST" ? await req.json() : null,
    });
  }, async (base) => {
    const http = client(base, []);
    const got = await http.getJson(
      "gamma",
      "/markets",
      { id: ["1", "2"], closed: false },
      signal(),
    );
    assert.deepEqual(got, { search: "?id=1&id=2&closed=false", body: null });
    const posted = await http.postJson("clob:books", "/books", [{ token_id: "1" }], signal());
    assert.deepEqual(posted, { search: "", body: [{ token_id: "1" }] });
  });
});

Deno.test("getJson() names the host and the cause of a transport failure, logged once at the first attempt", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { write: (line) => lines.push(JSON.parse(line)) });
  const reachability = createReachability();
  const http = client(`http://127.0.0.1:${port}`, [], { log, reachability });
  const err = await http.getJson("gamma:markets", "/markets", {}, AbortSignal.timeout(5000))
    .catch((e) => e);
  assert.ok(err instanceof TransportError, String(err));
  assert.match(
    err.message,
    new RegExp(`^Cannot fetch /markets: cannot reach 127\\.0\\.0\\.1:${port}: connection refused`),
  );
  const said = lines.filter((l) => l.event === "venue_unreachable");
  assert.equal(said.length, 1, "said at once, not repeated for each of the 4 attempts");
  assert.equal(said[0]!.host, `127.0.0.1:${port}`);
  assert.equal(said[0]!.reason, "refused");
  assert.match(String(said[0]!.hint), /deno task demo/);
  assert.deepEqual(reachability.unreachable(Date.now()).map((h) => h.failures), [4]);
});
