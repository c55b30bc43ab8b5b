import assert from "node:assert/strict";
import {
  fingerprintJson,
  fingerprintText,
  parseMarketsSkipping,
  rawMarketId,
} from "./gamma_unchanged.ts";

const FIXTURES = new URL("../tests/fixtures/polymarket/gamma/", import.meta.url);
const markets = JSON.parse(
  await Deno.readTextFile(new URL("markets_resolved_negrisk_2024_election.json", FIXTURES)),
) as Record<string, unknown>[];
const signal = AbortSignal.timeout(5000);
const noYield = () => Promise.resolve();

function knownOf(entries: Record<string, number>) {
  return { printOf: (id: string) => entries[id] };
}

Deno.test("fingerprintJson() is equal for equal text and differs for a one-character change", () => {
  const a = structuredClone(markets[0]!);
  assert.equal(fingerprintJson(a), fingerprintJson(structuredClone(a)));
  assert.notEqual(fingerprintJson(a), fingerprintJson({ ...a, bestBid: "0.011" }));
  assert.notEqual(fingerprintText("ab"), fingerprintText("ba"));
  assert.notEqual(fingerprintJson({ a: 1, b: 2 }), fingerprintJson({ a: 2, b: 1 }));
  assert.notEqual(fingerprintJson({ a: "1" }), fingerprintJson({ a: 1 }));
  assert.notEqual(fingerprintJson(["a", "b"]), fingerprintJson(["ab"]));
  assert.notEqual(fingerprintJson({ a: null }), fingerprintJson({ a: false }));
  assert.notEqual(fingerprintText(""), fingerprintText("\u0000"));
  const print = fingerprintJson(a);
  assert.ok(Number.isSafeInteger(print) && print >= 0);
});

Deno.test("fingerprintText() spreads 100,000 near-identical strings without a collision", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 100_000; i++) seen.add(fingerprintText(`{"id":"${i}","bestBid":"0.5"}`));
  assert.equal(seen.size, 100_000);
});

Deno.test("rawMarketId() reads a string or integer id and nothing else", () => {
  assert.deepEqual(
    [{ id: "12" }, { id: 12 }, { id: 1.5 }, { id: null }, null, "12", {}].map(rawMarketId),
    ["12", "12", null, null, null, null, null],
  );
});

Deno.test("parseMarketsSkipping() leaves a byte-identical market unparsed and parses the rest", async () => {
  const [a, b] = markets;
  const known = knownOf({ [String(a!.id)]: fingerprintJson(a), [String(b!.id)]: 1 });
  const page = await parseMarketsSkipping([a, b], known, { signal, yieldNow: noYield });
  assert.deepEqual(page.unchanged, [String(a!.id)]);
  assert.deepEqual(page.items.map((m) => m.id), [String(b!.id)], "a changed print is parsed");
  assert.deepEqual(page.prints, [fingerprintJson(b)]);
  assert.deepEqual(page.rejects, []);
});

Deno.test("parseMarketsSkipping() parses a market it has never seen and rejects at the page index", async () => {
  const [a, b] = markets;
  const known = knownOf({ [String(a!.id)]: fingerprintJson(a) });
  const bad = { ...b, id: "x1" };
  const page = await parseMarketsSkipping([a, bad, b], known, { signal, yieldNow: noYield });
  assert.deepEqual(page.unchanged, [String(a!.id)]);
  assert.deepEqual(page.items.map((m) => m.id), [String(b!.id)], "a new market is parsed");
  assert.equal(page.prints.length, page.items.length);
  assert.deepEqual(page.rejects.map((r) => r.path), ["markets[1]"]);
});

Deno.test("parseMarketsSkipping() yields between slices and stops once the signal aborts", async () => {
  const list = Array.from({ length: 250 }, (_, i) => ({ ...markets[0], id: String(1000 + i) }));
  let yields = 0;
  const page = await parseMarketsSkipping(list, knownOf({}), {
    signal,
    yieldNow: () => {
      yields++;
      return Promise.resolve();
    },
  });
  assert.equal(page.items.length, 250);
  assert.equal(yields, 2, "every 100 validations");
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assert.rejects(
    parseMarketsSkipping(list, knownOf({}), { signal: controller.signal, yieldNow: noYield }),
    /stop/,
  );
});
