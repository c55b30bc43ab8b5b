import assert from "node:assert/strict";
import { formatDec, parseDec } from "./decimal.ts";
import {
  depth,
  minimumLots,
  mirrorLadder,
  parseLadder,
  prepareWalk,
  walkBuy,
  walkPrepared,
} from "./book_walk.ts";

const tick = parseDec("0.01");
const fee = { rate: parseDec("0.05"), exponent: 1 };

Deno.test("parseLadder() sorts cheapest first and merges equal prices", () => {
  // The SDK returns asks descending (best last): the engine must not trust the order.
  const levels = parseLadder([["0.45", "5"], ["0.43", "2"], ["0.45", "1.5"]], tick)!;
  assert.deepStrictEqual(levels.map((l) => [formatDec(l.price), formatDec(l.size)]), [
    ["0.43", "2"],
    ["0.45", "6.5"],
  ]);
});

Deno.test("parseLadder() refuses prices off the tick grid or outside (0, 1)", () => {
  assert.equal(parseLadder([["0.455", "5"]], tick), null);
  assert.equal(parseLadder([["1", "5"]], tick), null);
  assert.equal(parseLadder([["0.5", "0"]], tick), null);
  assert.notEqual(parseLadder([["0.455", "5"]], parseDec("0.001")), null);
});

Deno.test("mirrorLadder() turns YES bids into NO asks with the same depth", () => {
  const bids = parseLadder([["0.40", "10"], ["0.39", "20"]], tick)!;
  const noAsks = mirrorLadder(bids);
  assert.deepStrictEqual(noAsks.map((l) => formatDec(l.price)), ["0.6", "0.61"]);
  assert.equal(depth(noAsks), depth(bids));
});

Deno.test("walkBuy() charges each level's fee on that level's fill", () => {
  const asks = parseLadder([["0.42", "10"], ["0.43", "5"]], tick)!;
  const fill = walkBuy(asks, parseDec("12"), fee)!;
  // 10 × 0.42 + 2 × 0.43 = 5.06; fees 0.1218 + 0.02451
  assert.equal(formatDec(fill.notional), "5.06");
  assert.deepStrictEqual(fill.fills.map((f) => formatDec(f.fee)), ["0.1218", "0.02451"]);
  assert.equal(formatDec(fill.cost), "5.20631");
  assert.equal(walkBuy(asks, parseDec("15.01"), fee), null);
});

Deno.test("minimumLots() applies orderMinSize and the $1 minimum of a marketable order", () => {
  const lot = parseDec("0.01");
  const rules = { minSize: parseDec("5"), minNotional: parseDec("1"), lot };
  // A 0.005 leg needs 200 shares to be worth $1.
  const cheap = parseLadder([["0.005", "1000"]], parseDec("0.001"))!;
  assert.equal(minimumLots(cheap, rules), 20_000n);
  // At 0.60 the 5-share minimum binds (5 × 0.60 = $3).
  assert.equal(minimumLots(parseLadder([["0.60", "100"]], tick)!, rules), 500n);
  // Without a share minimum, $1 at 0.30 is 3.333… shares: rounded up to 3.34.
  assert.equal(
    minimumLots(parseLadder([["0.30", "100"]], tick)!, { ...rules, minSize: parseDec("0") }),
    334n,
  );
  assert.equal(minimumLots(parseLadder([["0.30", "3"]], tick)!, rules), null);
});

Deno.test("walkPrepared() equals walkBuy() field by field on random ladders and every size", () => {
  let x = 99;
  const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let round = 0; round < 40; round++) {
    const levels = parseLadder(
      Array.from({ length: 1 + Math.floor(random() * 8) }, (_, i) => [
        (0.05 + i * 0.07 + Math.floor(random() * 3) / 100).toFixed(2),
        (0.5 + Math.floor(random() * 4000) / 100).toFixed(2),
      ]),
      tick,
    )!;
    const rate = { rate: parseDec(["0", "0.04", "0.25"][round % 3]!), exponent: 1 + (round % 2) };
    const walk = prepareWalk(levels, rate);
    const total = depth(levels);
    for (let q = 0n; q <= total + parseDec("0.02"); q += parseDec("0.01")) {
      assert.deepStrictEqual(walkPrepared(walk, q), walkBuy(levels, q, rate), `${q}`);
    }
  }
});
