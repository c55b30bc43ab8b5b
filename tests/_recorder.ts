/**
 * The stream recorder as the tests use it: COPY into the test database, no spill directory,
 * silent, session 1, with any option overridden.
 */
import type { Queryable } from "../db/client.ts";
import { silentLogger } from "../runtime/log.ts";
import { type RecorderOptions, StreamRecorder } from "../stream/recorder.ts";

export function testRecorder(
  sql: Queryable,
  options: Partial<Omit<RecorderOptions, "sql">> = {},
): StreamRecorder {
  return new StreamRecorder({
    sql,
    method: "copy",
    log: silentLogger(),
    spillDir: null,
    session: 1,
    ...options,
  });
}
