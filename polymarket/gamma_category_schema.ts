/**
 * The category and tags Gamma shows on a market object: its own `category` (a label, e.g.
 * "Politics") and the slugs of its `tags`, else those of its first event's tags (Gamma nests
 * them on `events[]` when asked with `include_tag=true`). Parsed beside `gammaMarketSchema`
 * from the same raw page, for the resolved backfill; absent fields give null and `[]`.
 *
 * @example
 * ```ts
 * import { parseMarketCategories } from "./gamma_category_schema.ts";
 * const raw = { markets: [{ id: "12", category: "Sports", events: [{ tags: [{ slug: "nba" }] }] }] };
 * parseMarketCategories(raw).get("12"); // { category: "Sports", tags: ["nba"] }
 * ```
 */
import { z } from "zod";
import { marketIdSchema } from "./ids.ts";

/** A market's category and tag slugs as Gamma shows them. */
export interface MarketCategory {
  category: string | null;
  tags: string[];
}

const tagSchema = z.object({ slug: z.string().nullish(), label: z.string().nullish() });
const tagsSchema = z.array(tagSchema).nullish().catch(null);

const categorySchema = z.object({
  id: marketIdSchema,
  category: z.string().nullish().catch(null),
  tags: tagsSchema,
  events: z.array(z.object({ tags: tagsSchema })).nullish().catch(null),
});

const slugs = (tags: z.infer<typeof tagsSchema>) =>
  (tags ?? []).flatMap((t) => t.slug ?? t.label ?? []).filter((s) => s !== "");

/**
 * Category and tags by market id from a keyset envelope (`{markets: […]}`) or a bare array;
 * a market whose id cannot be read is left out (the market parser rejects it too).
 */
export function parseMarketCategories(raw: unknown): Map<string, MarketCategory> {
  const list = Array.isArray(raw) ? raw : typeof raw === "object" && raw !== null &&
      Array.isArray((raw as { markets?: unknown }).markets)
    ? (raw as { markets: unknown[] }).markets
    : [];
  const out = new Map<string, MarketCategory>();
  for (const item of list) {
    const parsed = categorySchema.safeParse(item);
    if (!parsed.success) continue;
    const m = parsed.data;
    const own = slugs(m.tags);
    out.set(m.id, {
      category: m.category ?? null,
      tags: own.length > 0 ? own : slugs(m.events?.[0]?.tags ?? null),
    });
  }
  return out;
}
