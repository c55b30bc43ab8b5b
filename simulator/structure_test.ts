import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createUniverse } from "./universe.ts";
import { structureTruth } from "./truth.ts";
import { categorySchedule } from "./structure.ts";

const NOW = Date.UTC(2026, 10, 1);

Deno.test("createUniverse() keeps the base universe of a seed unchanged by the structure pass", () => {
  const u = createUniverse({ markets: 2000, seed: 7, now: NOW });
  const text = u.markets.map((m) =>
    [
      m.id,
      m.conditionId,
      m.tokenIds.join(","),
      m.priceUnits,
      m.tickUnits,
      m.status,
      m.feesEnabled,
      m.volume,
      m.createdAtMs,
    ].join("|")
  ).join("\n");
  // Fingerprint of the same fields before structure existed (commit 1766237), once its token
  // ids above 2^256 − 1 start with "10" (universe.ts `tokenIdDigits`): that commit's text with
  // that one change hashes to this (it hashed to 31d85816… before the change).
  assert.equal(
    createHash("sha256").update(text).digest("hex"),
    "2678333508c7006043829a6752d3f7e3acca5d511c583524b13634cf3060eee2",
  );
});

Deno.test("structureTruth() is the same for the same seed", () => {
  const a = structureTruth(createUniverse({ markets: 1500, seed: 3, now: NOW }));
  const b = structureTruth(createUniverse({ markets: 1500, seed: 3, now: NOW }));
  assert.deepEqual(a, b);
  assert.ok(a.negRiskGroups.some((g) => g.augmented));
  assert.ok(a.ladders.some((l) => l.kind === "date_ladder"));
  assert.ok(a.ladders.some((l) => l.kind === "threshold_ladder"));
  assert.ok(a.games.length > 0 && a.fiftyFifty.length > 0);
});

Deno.test("planted structure holds its invariants", () => {
  const u = createUniverse({ markets: 3000, seed: 9, now: NOW });
  const truth = structureTruth(u);
  const market = (id: string) => u.byId.get(id)!;
  for (const g of truth.negRiskGroups) {
    g.marketIds.forEach((id, i) => {
      assert.equal(
        market(id).questionId,
        g.negRiskMarketId.slice(0, 64) + i.toString(16).padStart(2, "0"),
      );
    });
    if (!g.augmented) {
      assert.equal(g.otherId, null);
      continue;
    }
    assert.equal(g.otherId, g.marketIds.at(-1), "Other is the last question");
    assert.ok(g.placeholderIds.length > 0 && !g.placeholderIds.includes(g.otherId!));
    assert.ok(!market(g.marketIds[0]!).meta.placeholder, "a named outcome comes first");
  }
  for (const l of truth.ladders) {
    const chain = l.impliedChain.map(market);
    assert.ok(chain.every((m) => m.negRiskMarketId === ""), "ladders are not neg-risk");
    for (let i = 1; i < chain.length; i++) {
      if (l.kind === "date_ladder") assert.ok(chain[i - 1]!.endDateMs < chain[i]!.endDateMs);
      else {
        assert.ok(Number(chain[i - 1]!.groupItemThreshold) > Number(chain[i]!.groupItemThreshold));
      }
    }
  }
  for (const g of truth.games) {
    assert.ok(g.marketIds.every((id) => market(id).meta.sports?.gameId === g.gameId));
  }
  for (const m of u.markets) {
    assert.equal(m.meta.feeSchedule !== null, m.feesEnabled);
    if (m.meta.feeSchedule !== null) {
      assert.deepEqual(m.meta.feeSchedule, categorySchedule(m.meta.category));
    }
    if (m.meta.feeChange !== null) assert.ok(m.meta.feeChange.atMs > NOW);
  }
});
