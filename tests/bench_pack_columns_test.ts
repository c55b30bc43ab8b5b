/**
 * The storage bench's pack columns (bench/_pack_columns.ts): `splitColumns` cuts a pack's
 * `data` (stream/pack.ts) into its five columns at the right varints.
 */
import assert from "node:assert/strict";
import { splitColumns } from "../bench/_pack_columns.ts";
import { encodePack, type PackRow } from "../stream/pack.ts";

function varintCount(bytes: Uint8Array): number {
  return bytes.filter((b) => b < 128).length;
}

Deno.test("splitColumns() cuts a pack into its five columns, n − 1, n − 1, n, n, n varints", () => {
  const at = 1_764_000_000_000;
  const rows: PackRow[] = [
    { seq: 7, atMs: at, kind: 9, side: 0, price: 5200, size: 12050, lag: 40 },
    { seq: 9_000, atMs: at + 70_000, kind: 1, side: 1, price: 5100, size: 3, lag: 41 },
    { seq: 9_001, atMs: at + 70_001, kind: 2, side: 0, price: 9990, size: 2_000_000, lag: 400 },
  ];
  const data = encodePack(rows);
  const parts = splitColumns(data, rows.length);
  assert.deepEqual(parts.map(varintCount), [2, 2, 3, 3, 3]);
  // The seq deltas 8,993 and 1: a two-byte varint, then a one-byte one.
  assert.deepEqual(parts[0]!.length, 3);
  assert.deepEqual(parts.reduce((n, p) => n + p.length, 0), data.length);
  // The sizes column alone: 12050 (2 bytes), 3 (1), 2,000,000 (3).
  assert.deepEqual(parts[3]!.length, 6);
});

Deno.test("splitColumns() refuses a pack whose row count does not match its bytes", () => {
  const rows: PackRow[] = [
    { seq: 1, atMs: 1_000, kind: 9, side: 0, price: 100, size: 5, lag: 0 },
    { seq: 2, atMs: 1_001, kind: 9, side: 1, price: 101, size: 6, lag: 0 },
  ];
  const data = encodePack(rows);
  assert.throws(() => splitColumns(data, 3), /ends early/);
  assert.throws(() => splitColumns(data, 1), /bytes are left/);
});
