import assert from "node:assert/strict";
import { SpillFiles } from "./_spill_file.ts";

const trade = (i: number) => ({
  kind: "trade" as const,
  row: {
    ts: new Date(1000 + i),
    tokenId: "1",
    tradeKey: `k${i}#0`,
    conditionId: null,
    receivedAt: new Date(2000 + i),
    price: "0.5",
    size: "1",
    side: "BUY" as const,
    feeRateBps: null,
    txHash: null,
    source: "ws" as const,
  },
});

Deno.test("SpillFiles round-trips rows, skips a torn last line and removes the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spill = new SpillFiles(dir);
    await spill.append([trade(0), trade(1), trade(2)]);
    await spill.rotate();
    const [file] = await spill.list();
    await Deno.writeTextFile(file.path, '{"kind":"trade","row":{"ts', { append: true });
    const seen: number[] = [];
    const r = await spill.replay(file.path, 2, (items) => {
      for (const i of items) if (i.kind === "trade") seen.push(i.row.ts.getTime());
      return Promise.resolve();
    });
    assert.deepEqual(seen, [1000, 1001, 1002]);
    assert.deepEqual(r, { rows: 3, skipped: 1 });
    assert.deepEqual(await spill.list(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SpillFiles keeps a file whose replay failed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spill = new SpillFiles(dir);
    await spill.append([trade(0)]);
    await spill.close();
    const [file] = await spill.list();
    await assert.rejects(spill.replay(file.path, 10, () => Promise.reject(new Error("down"))));
    assert.equal((await spill.list()).length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
