import assert from "node:assert/strict";
import { ListingCopies, RecentKeys } from "./_recent_keys.ts";

Deno.test("RecentKeys.firstSeen() is true once per key while it is remembered", () => {
  const seen = new RecentKeys({ capacity: 8, ttlMs: 1000 });
  assert.deepEqual(
    [seen.firstSeen("a", 0), seen.firstSeen("a", 10), seen.firstSeen("b", 20)],
    [true, false, true],
  );
  assert.equal(seen.firstSeen("a", 1000), false); // exactly ttlMs after: still a copy
  assert.equal(seen.firstSeen("b", 1020), false);
});

Deno.test("RecentKeys forgets keys older than ttlMs and holds no more than capacity", () => {
  const seen = new RecentKeys({ capacity: 3, ttlMs: 1000 });
  for (const [i, k] of ["a", "b", "c", "d"].entries()) assert.equal(seen.firstSeen(k, i), true);
  assert.equal(seen.size, 3);
  assert.equal(seen.firstSeen("a", 5), true); // evicted by "d": seen again counts as new
  assert.equal(seen.firstSeen("d", 6), false);
  // Far later every earlier key has expired: memory shrinks to the one key just seen.
  assert.equal(seen.firstSeen("c", 5000), true);
  assert.equal(seen.size, 1);
});

Deno.test("RecentKeys refuses a capacity below 1 or a ttl that is not positive", () => {
  assert.throws(() => new RecentKeys({ capacity: 0, ttlMs: 1000 }), RangeError);
  assert.throws(() => new RecentKeys({ capacity: 1, ttlMs: 0 }), RangeError);
});

Deno.test("ListingCopies: a listing's copies are not first; another market or timestamp is", () => {
  const copies = new ListingCopies();
  const listing = { marketId: "1031769", timestamp: 1766790415550, receivedAt: 1766790415730 };
  assert.equal(copies.first(listing), true);
  // The other connections' copies, up to seconds later.
  assert.equal(copies.first({ ...listing, receivedAt: listing.receivedAt + 4 }), false);
  assert.equal(copies.first({ ...listing, receivedAt: listing.receivedAt + 2_500 }), false);
  // Another market at the same instant, and the same market listed again later.
  assert.equal(copies.first({ ...listing, marketId: "1031770" }), true);
  const later = {
    timestamp: listing.timestamp + 3_600_000,
    receivedAt: listing.receivedAt + 3_600_000,
  };
  assert.equal(copies.first({ ...listing, ...later }), true);
  assert.equal(copies.first({ ...listing, ...later, receivedAt: later.receivedAt + 10 }), false);
});
