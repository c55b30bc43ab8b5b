/**
 * What listens on a database address: sends PostgreSQL's 8-byte SSLRequest, which every
 * PostgreSQL server answers with one byte (`S` or `N`, or an `E` error from a very old one)
 * before anything else, and describes anything else it gets back. Used when the startup
 * handshake through postgres.js does not finish in time, so the error can say what was found
 * (an HTTP server answers `HTTP/1.1 400 Bad Request`) instead of hanging without a word.
 *
 * @example
 * ```ts ignore
 * import { probePostgres } from "./_probe.ts";
 * const found = await probePostgres({ hostname: "127.0.0.1", port: 5432 }, { timeoutMs: 2000 });
 * found.postgres; // true
 * ```
 */

/** SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** What the probe found; `found` is a short description safe to print. */
export interface ProbeResult {
  /** Something accepted the connection and sent bytes back. */
  readonly answered: boolean;
  readonly postgres: boolean;
  readonly found: string;
}

/** Where a URL's (first) host listens, or null for a Unix socket. */
export function databaseAddress(url: string): { hostname: string; port: number } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const first = u.host.split(",")[0] ?? "";
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(first);
  const hostname = (match?.[1] ?? "").replace(/^\[|\]$/g, "");
  if (hostname === "") return null;
  return { hostname: decodeURIComponent(hostname), port: Number(match?.[2] ?? 5432) };
}

/** Connects, sends an SSLRequest and reads the first reply (up to `timeoutMs`). */
export async function probePostgres(
  address: { hostname: string; port: number },
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeResult> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect(address);
  } catch (err) {
    return {
      answered: false,
      postgres: false,
      found: `nothing accepts connections (${(err as Error).name})`,
    };
  }
  const timer = setTimeout(() => close(conn), options.timeoutMs);
  const onAbort = () => close(conn);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await conn.write(SSL_REQUEST);
    const buf = new Uint8Array(256);
    const n = await conn.read(buf).catch(() => null);
    if (n === null || n === 0) {
      return {
        answered: false,
        postgres: false,
        found: `it accepts connections but sent nothing back within ${options.timeoutMs} ms`,
      };
    }
    const first = buf[0]!;
    if (n === 1 && (first === 0x53 || first === 0x4e)) {
      return { answered: true, postgres: true, found: "a PostgreSQL server" };
    }
    if (first === 0x45) {
      return { answered: true, postgres: true, found: "a PostgreSQL server (error reply)" };
    }
    return {
      answered: true,
      postgres: false,
      found: `it answered ${describeBytes(buf.subarray(0, n))}`,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    close(conn);
  }
}

/** The first line of a reply as quoted printable text, e.g. `"HTTP/1.1 400 Bad Request"`. */
function describeBytes(bytes: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const line = (text.split(/\r?\n/)[0] ?? "").replaceAll(/[^\x20-\x7e]/g, "?").slice(0, 80);
  return line.trim() === "" ? `${bytes.length} bytes that are not PostgreSQL` : `"${line}"`;
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
