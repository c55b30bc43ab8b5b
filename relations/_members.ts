/**
 * Grouping markets and digesting their rules, shared by the structural derivation and the
 * lexical proposals.
 */
import { createHash } from "node:crypto";
import type { StructuralMarket } from "./derive.ts";

/** SHA-256 over the members' rules hashes in member order: an amendment changes it. */
export function rulesDigest(members: readonly StructuralMarket[]): string {
  return createHash("sha256").update(members.map((m) => m.rulesHash ?? "").join("\n")).digest(
    "hex",
  );
}

/** Markets by `key` (null: left out), in input order. */
export function groupBy<K>(
  items: readonly StructuralMarket[],
  key: (m: StructuralMarket) => K | null,
) {
  const out = new Map<K, StructuralMarket[]>();
  for (const m of items) {
    const k = key(m);
    if (k === null) continue;
    const list = out.get(k);
    if (list === undefined) out.set(k, [m]);
    else list.push(m);
  }
  return out;
}
