import assert from "node:assert/strict";
import { assessDisk, createGrowthWindow, levelFor } from "./disk_guard.ts";
import { createShedState, type DiskLevel } from "./shed.ts";

const GIB = 2 ** 30;
const T = { warnPct: 15, shedPct: 6 };
const disk = (freePct: number) => ({ freeBytes: freePct * GIB, totalBytes: 100 * GIB });

Deno.test("levelFor() warns, then sheds quotes, then books as free space falls", () => {
  assert.deepEqual([50, 15, 14.9, 6, 5.9, 3, 2.9, 0].map((p) => levelFor(p, T)), [
    "ok",
    "ok",
    "warn",
    "warn",
    "shed_quotes",
    "shed_quotes",
    "shed_books",
    "shed_books",
  ]);
});

Deno.test("assessDisk() leaves a level only 1 point above its threshold (no flapping)", () => {
  let level: DiskLevel = "ok";
  const seen: DiskLevel[] = [];
  for (const pct of [20, 14, 5.5, 2, 3.5, 4.5, 6.5, 7.5, 15.5, 16.5]) {
    level = assessDisk(disk(pct), null, T, level).level;
    seen.push(level);
  }
  assert.deepEqual(seen, [
    "ok",
    "warn",
    "shed_quotes",
    "shed_books",
    "shed_books", // 3.5 > 3 but < 3 + 1
    "shed_quotes",
    "shed_quotes", // 6.5 > 6 but < 6 + 1
    "warn",
    "warn",
    "ok",
  ]);
});

Deno.test("assessDisk() gives days left at the growth rate and a reason naming what is shed", () => {
  const v = assessDisk(disk(5), 2 * GIB, T, "ok");
  assert.equal(v.level, "shed_quotes");
  assert.equal(v.daysLeft, 2.5);
  assert.equal(
    v.reason,
    "disk 5.0% free (5.0 GiB), 2.5 days left at the current rate: quote rows are not written",
  );
  assert.equal(assessDisk(disk(50), -1 * GIB, T, "ok").daysLeft, null);
  assert.deepEqual(assessDisk(null, GIB, T, "warn"), {
    level: "ok",
    freePct: null,
    daysLeft: null,
    reason: null,
  });
});

Deno.test("createGrowthWindow() measures bytes per day over its window, not before minSpan", () => {
  const w = createGrowthWindow({ windowMs: 3_600_000, minSpanMs: 600_000 });
  w.add(0, 1000);
  w.add(300_000, 2000);
  assert.equal(w.perDay(), null);
  w.add(600_000, 3000);
  assert.equal(w.perDay(), (2000 / 600_000) * 86_400_000);
  // Samples older than the window fall out: only the last hour counts.
  w.add(7_200_000, 10_000);
  w.add(7_800_000, 10_000);
  assert.equal(w.perDay(), 0);
});

Deno.test("createShedState() sheds quotes first, then keeps one book slot in four", () => {
  const shed = createShedState();
  const slots = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => new Date(i * 300_000));
  const kept = () => slots.filter((s) => shed.keepBookSlot(s, 300_000)).length;
  assert.equal(shed.quotesEnabled(), true);
  assert.equal(kept(), 8);
  shed.set("warn");
  assert.equal(shed.quotesEnabled(), true);
  shed.set("shed_quotes");
  assert.equal(shed.quotesEnabled(), false);
  assert.equal(kept(), 8);
  shed.set("shed_books");
  assert.equal(shed.quotesEnabled(), false);
  assert.equal(kept(), 2);
});
