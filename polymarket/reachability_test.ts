import assert from "node:assert/strict";
import { createReachability, describeTransportCause } from "./reachability.ts";

/** A loopback port nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function fetchError(url: string, timeoutMs = 5000): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
  } catch (err) {
    return err;
  }
  throw new Error(`${url} answered`);
}

Deno.test("describeTransportCause() names a refused connection from Deno's bare 'fetch failed'", async () => {
  const err = await fetchError(`http://127.0.0.1:${closedPort()}/`);
  assert.equal((err as Error).message, "fetch failed");
  const why = describeTransportCause(err);
  assert.equal(why.reason, "refused");
  assert.match(why.detail, /^connection refused \(.*Connection refused/);
});

Deno.test("describeTransportCause() names a failed DNS lookup", async () => {
  // .invalid never resolves (RFC 6761), with or without internet.
  const why = describeTransportCause(await fetchError("https://pmcollect-test.invalid/"));
  assert.equal(why.reason, "dns");
  assert.match(why.detail, /^DNS lookup failed/);
});

Deno.test("describeTransportCause() names a TLS failure and a timeout", async () => {
  const plain = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (plain.addr as Deno.NetAddr).port;
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of plain) {
      accepted.push(conn);
      if (accepted.length === 1) conn.close(); // TLS client hello meets a closed socket
    }
  })();
  try {
    const tls = describeTransportCause(await fetchError(`https://127.0.0.1:${port}/`));
    assert.equal(tls.reason, "tls", tls.detail);
    // The second connection is accepted and never answered.
    const slow = describeTransportCause(await fetchError(`http://127.0.0.1:${port}/`, 200));
    assert.deepEqual(slow.reason, "timeout");
  } finally {
    plain.close();
    for (const c of accepted.slice(1)) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("createReachability() says a host is down at once, then once per interval, and when it is back", () => {
  const reach = createReachability({ repeatMs: 60_000 });
  const why = { reason: "dns" as const, detail: "DNS lookup failed" };
  assert.deepEqual(
    [0, 1_000, 59_999, 60_000, 61_000].map((t) => reach.failed("a.example", why, t)),
    [true, false, false, true, false],
  );
  assert.deepEqual(reach.unreachable(61_000).map((h) => [h.host, h.failures, h.since]), [
    ["a.example", 5, 0],
  ]);
  assert.equal(reach.ok("a.example", 90_000), 90_000);
  assert.equal(reach.ok("a.example", 91_000), null);
  assert.deepEqual(reach.unreachable(91_000), []);
});
