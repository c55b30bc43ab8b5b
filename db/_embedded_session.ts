/**
 * One PGlite session shared by local processes without ever interleaving them. PGlite is a
 * single PostgreSQL session; `@electric-sql/pglite-socket` queues clients message by message,
 * so one client's Bind landed between another's Parse and Execute (`portal "" does not exist`)
 * and the collector's writes failed while `export` ran. Here a connection that sends a message
 * takes the session for a whole episode: until PostgreSQL answers ReadyForQuery with status
 * idle, which covers an extended-protocol sequence, a COPY and an open transaction. Only then
 * does another connection's message run.
 *
 * Two listeners on loopback: the owning process (the collector) connects to `ownPort`, other
 * processes (`status`, `export`, …) to `sharedPort`. The owner goes first whenever the session
 * is free, and a client may keep the session for at most `maxClientHoldMs` while the owner
 * waits: past that its episode is rolled back and its connection closed with SQLSTATE 57014,
 * so a user's heavy read cannot stall the collector's writes for longer than that bound plus
 * the one statement PGlite is executing (PGlite cannot interrupt a statement: it runs
 * synchronously and ignores `statement_timeout`).
 *
 * Every connection must present `password` (cleartext over loopback; the data directory's lock
 * file, readable by its owner only, holds it). Client startup parameters are not applied to
 * the shared session: each client gets the owner's startup answer.
 *
 * @example
 * ```ts ignore
 * import { PGlite } from "@electric-sql/pglite";
 * import { serveSession } from "./_embedded_session.ts";
 * const db = await PGlite.create();
 * const server = await serveSession(db, { password: "secret" });
 * // postgres({ host: "127.0.0.1", port: server.sharedPort, password: "secret", prepare: false })
 * await server.stop();
 * await db.close();
 * ```
 */
import type { PGlite } from "@electric-sql/pglite";
import {
  authenticationCleartext,
  errorResponse,
  lastReadyStatus,
  parsedStatementName,
  splitMessages,
  startupPacket,
} from "./_embedded_wire.ts";

export interface SessionServerOptions {
  /** The password every connection must present. */
  readonly password: string;
  /** Longest a client may keep the session while the owner waits (default 2,000 ms). */
  readonly maxClientHoldMs?: number;
  /** Called for notable events (a preempted client). */
  readonly onEvent?: (event: string, fields: Record<string, unknown>) => void;
}

/** What the server measured since it started. */
export interface SessionStats {
  /** Episodes run for other processes. */
  clientEpisodes: number;
  /** Longest episode of another process, start to idle (ms). */
  longestClientHoldMs: number;
  /** Longest the owner waited for the session with a message ready (ms). */
  longestOwnerWaitMs: number;
  /** Client episodes ended by the server because the owner waited too long. */
  preempted: number;
}

export interface SessionServer {
  /** Loopback port for the owning process (goes first). */
  readonly ownPort: number;
  /** Loopback port for other processes (published in the lock file). */
  readonly sharedPort: number;
  stats(): SessionStats;
  stop(): Promise<void>;
}

interface Peer {
  readonly id: number;
  readonly owner: boolean;
  readonly conn: Deno.Conn;
  /** Writes in order, one after another. */
  writing: Promise<void>;
  stage: "startup" | "password" | "ready";
  buffer: Uint8Array;
  readonly queue: Uint8Array[];
  readonly statements: Set<string>;
  /** Answers not yet written: sent together when the peer's queue runs dry. */
  readonly outbox: Uint8Array[];
  waitingSince: number | null;
  closed: boolean;
}

const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const COPY_FAIL = new Uint8Array([0x66, 0, 0, 0, 5, 0]);

/** Starts both listeners on 127.0.0.1 (ephemeral ports). */
export async function serveSession(
  db: PGlite,
  options: SessionServerOptions,
): Promise<SessionServer> {
  // The owner's startup answer (AuthenticationOk, parameters, key data, ReadyForQuery),
  // given to every connection after its password.
  const greeting = await db.execProtocolRaw(
    startupPacket({ user: "postgres", database: "postgres" }),
  );
  const session = new SharedSession(db, greeting, options);
  const own = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const shared = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = [session.accept(own, true), session.accept(shared, false)];
  return {
    ownPort: own.addr.port,
    sharedPort: shared.addr.port,
    stats: () => session.stats(),
    stop: async () => {
      own.close();
      shared.close();
      await Promise.all(accepting);
      await session.stop();
    },
  };
}

class SharedSession {
  readonly #db: PGlite;
  readonly #greeting: Uint8Array;
  readonly #password: string;
  readonly #maxHoldMs: number;
  readonly #onEvent: SessionServerOptions["onEvent"];
  readonly #peers = new Set<Peer>();
  readonly #reading = new Set<Promise<void>>();
  readonly #cleanups: string[] = [];
  readonly #stats: SessionStats = {
    clientEpisodes: 0,
    longestClientHoldMs: 0,
    longestOwnerWaitMs: 0,
    preempted: 0,
  };
  #nextId = 1;
  #holder: Peer | null = null;
  #episodeStart = 0;
  #pumping = false;
  #holdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(db: PGlite, greeting: Uint8Array, options: SessionServerOptions) {
    this.#db = db;
    this.#greeting = greeting;
    this.#password = options.password;
    this.#maxHoldMs = options.maxClientHoldMs ?? 2_000;
    this.#onEvent = options.onEvent;
  }

  stats(): SessionStats {
    return { ...this.#stats };
  }

  async accept(listener: Deno.Listener, owner: boolean): Promise<void> {
    try {
      for await (const conn of listener) {
        (conn as Deno.TcpConn).setNoDelay(true); // no Nagle pause on small answers
        const peer: Peer = {
          id: this.#nextId++,
          owner,
          conn,
          writing: Promise.resolve(),
          stage: "startup",
          buffer: new Uint8Array(0),
          queue: [],
          statements: new Set(),
          outbox: [],
          waitingSince: null,
          closed: false,
        };
        this.#peers.add(peer);
        const reading = this.#read(peer);
        this.#reading.add(reading);
        reading.finally(() => this.#reading.delete(reading));
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource)) throw err;
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.#holdTimer);
    for (const peer of this.#peers) this.#close(peer);
    await Promise.all([...this.#reading]);
  }

  async #read(peer: Peer): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await peer.conn.read(chunk);
        if (n === null || peer.closed) break;
        const joined = new Uint8Array(peer.buffer.length + n);
        joined.set(peer.buffer);
        joined.set(chunk.subarray(0, n), peer.buffer.length);
        peer.buffer = joined;
        this.#take(peer);
      }
    } catch {
      /* reset by the client, or closed here: treated as a close */
    } finally {
      this.#gone(peer);
    }
  }

  /** Moves the complete messages out of the peer's buffer, answering the handshake itself. */
  #take(peer: Peer): void {
    for (;;) {
      if (peer.closed) return;
      const b = peer.buffer;
      if (peer.stage === "startup") {
        if (b.length < 8) return;
        const view = new DataView(b.buffer, b.byteOffset);
        const length = view.getInt32(0);
        const code = view.getInt32(4);
        if (b.length < length) return;
        peer.buffer = b.slice(length);
        if (code === 80877103) this.#send(peer, new Uint8Array([0x4e])); // SSLRequest: "N"
        else if (code === 196608) {
          peer.stage = "password";
          this.#send(peer, authenticationCleartext());
        } else return this.#close(peer); // CancelRequest and unknown codes
        continue;
      }
      const [messages, rest] = splitMessages(b);
      peer.buffer = rest;
      if (messages.length === 0) return;
      for (const message of messages) this.#received(peer, message);
      return;
    }
  }

  #received(peer: Peer, message: Uint8Array): void {
    if (peer.closed) return;
    const type = message[0];
    if (peer.stage === "password") {
      const given = new TextDecoder().decode(message.subarray(5, message.length - 1));
      if (type !== 0x70 || given !== this.#password) {
        this.#send(peer, errorResponse("28P01", "password authentication failed"));
        return this.#close(peer);
      }
      peer.stage = "ready";
      this.#send(peer, this.#greeting);
      return;
    }
    if (type === 0x58) return this.#close(peer); // Terminate: never forwarded to the session
    if (type === 0x50 && !peer.owner) {
      const name = parsedStatementName(message);
      if (name !== "") peer.statements.add(name);
    }
    if (peer.queue.length === 0 && this.#holder !== peer) peer.waitingSince = performance.now();
    peer.queue.push(message);
    if (peer.owner) this.#armHoldTimer();
    void this.#pump();
  }

  /** Runs queued messages, one episode at a time, the owner first. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#holder === null) {
          await this.#runCleanups();
          const next = this.#next();
          if (next === null) return;
          this.#begin(next);
        }
        const holder = this.#holder!;
        if (this.#overstayed(holder)) {
          await this.#preempt(holder);
          continue;
        }
        const message = holder.queue.shift();
        if (message === undefined) {
          this.#flush(holder);
          // Mid-episode: wait for the holder's next message. The hold timer may have fired
          // while this pump was busy, or a little early (timers have millisecond resolution,
          // the bound is measured in fractions): set it again, or an idle client holding a
          // transaction open would keep the owner waiting for ever.
          this.#armHoldTimer();
          return;
        }
        const answer = await this.#execute(message);
        if (holder.closed) continue; // gone while it ran: #gone reset the session
        holder.outbox.push(answer);
        if (holder.queue.length === 0) this.#flush(holder);
        if (lastReadyStatus(answer) === "I") {
          this.#flush(holder);
          this.#end(holder);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #execute(message: Uint8Array): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    await this.#db.execProtocolRawStream(message, { onRawData: (d) => chunks.push(d.slice()) });
    return chunks.length === 1 ? chunks[0]! : concat(chunks);
  }

  #next(): Peer | null {
    let best: Peer | null = null;
    for (const peer of this.#peers) {
      if (peer.closed || peer.queue.length === 0) continue;
      if (
        best === null || (peer.owner && !best.owner) ||
        (peer.owner === best.owner && peer.waitingSince! < best.waitingSince!)
      ) best = peer;
    }
    return best;
  }

  #begin(peer: Peer): void {
    const now = performance.now();
    if (peer.owner && peer.waitingSince !== null) {
      this.#stats.longestOwnerWaitMs = Math.max(
        this.#stats.longestOwnerWaitMs,
        now - peer.waitingSince,
      );
    }
    peer.waitingSince = null;
    this.#holder = peer;
    this.#episodeStart = now;
  }

  #end(peer: Peer): void {
    if (!peer.owner) {
      this.#stats.clientEpisodes++;
      this.#stats.longestClientHoldMs = Math.max(
        this.#stats.longestClientHoldMs,
        performance.now() - this.#episodeStart,
      );
    }
    this.#holder = null;
    // Messages it sent meanwhile wait for their turn like everyone else's.
    if (peer.queue.length > 0) peer.waitingSince = performance.now();
    this.#armHoldTimer();
  }

  /** The owner has waited past the bound for a client's episode. */
  #overstayed(holder: Peer): boolean {
    if (holder.owner) return false;
    const since = this.#ownerWaitingSince();
    if (since === null) return false;
    return performance.now() - Math.max(since, this.#episodeStart) >= this.#maxHoldMs;
  }

  #ownerWaitingSince(): number | null {
    let since: number | null = null;
    for (const peer of this.#peers) {
      if (peer.owner && !peer.closed && peer.waitingSince !== null) {
        since = since === null ? peer.waitingSince : Math.min(since, peer.waitingSince);
      }
    }
    return since;
  }

  /** Wakes the pump when a client's episode would overstay while the owner waits. */
  #armHoldTimer(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const holder = this.#holder;
    const since = this.#ownerWaitingSince();
    if (holder === null || holder.owner || since === null) return;
    const due = Math.max(since, this.#episodeStart) + this.#maxHoldMs - performance.now();
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      void this.#pump();
    }, Math.max(0, due));
  }

  async #preempt(holder: Peer): Promise<void> {
    const heldMs = Math.round(performance.now() - this.#episodeStart);
    this.#stats.preempted++;
    this.#onEvent?.("embedded_client_preempted", { heldMs, maxHoldMs: this.#maxHoldMs });
    this.#send(
      holder,
      errorResponse(
        "57014",
        `canceled: the collector needed the embedded database after this connection had held ` +
          `it for ${heldMs} ms (the limit is ${this.#maxHoldMs} ms while the collector waits); ` +
          "retry, read less at once, or use a PostgreSQL server (DATABASE_URL) for heavy reads",
      ),
    );
    this.#close(holder);
    await this.#reset(holder);
  }

  /** Ends whatever episode `holder` left open: a COPY, an unsynced sequence, a transaction. */
  async #reset(holder: Peer): Promise<void> {
    if (this.#holder !== holder) return;
    try {
      await this.#execute(COPY_FAIL);
      await this.#execute(SYNC);
      if (this.#db.isInTransaction()) await this.#db.exec("rollback");
    } finally {
      this.#end(holder);
    }
  }

  async #runCleanups(): Promise<void> {
    while (this.#cleanups.length > 0) {
      const name = this.#cleanups.shift()!;
      await this.#db.exec(`deallocate "${name.replaceAll('"', '""')}"`).catch(() => {});
    }
  }

  #gone(peer: Peer): void {
    this.#close(peer);
    if (!this.#peers.delete(peer)) return;
    this.#cleanups.push(...peer.statements);
    if (this.#holder === peer) {
      // The pump may be inside #execute for this peer: reset once it is free.
      void this.#whenFree(() => this.#reset(peer)).then(() => this.#pump());
    } else void this.#pump();
  }

  async #whenFree(fn: () => Promise<void>): Promise<void> {
    while (this.#pumping) await new Promise((r) => setTimeout(r, 1));
    this.#pumping = true;
    try {
      await fn();
    } finally {
      this.#pumping = false;
    }
  }

  #send(peer: Peer, bytes: Uint8Array): void {
    peer.outbox.push(bytes);
    this.#flush(peer);
  }

  /** Writes the peer's outbox in one piece (one write per batch of pipelined messages). */
  #flush(peer: Peer): void {
    const parts = peer.outbox.splice(0);
    if (peer.closed || parts.length === 0) return;
    const bytes = parts.length === 1 ? parts[0]! : concat(parts);
    if (bytes.length === 0) return;
    peer.writing = peer.writing.then(async () => {
      let at = 0;
      while (at < bytes.length) at += await peer.conn.write(bytes.subarray(at));
    }).catch(() => this.#close(peer));
  }

  #close(peer: Peer): void {
    if (peer.closed) return;
    peer.closed = true;
    peer.queue.length = 0;
    // After what is already queued (a preempted client's error message) has been written.
    void peer.writing.finally(() => {
      try {
        peer.conn.close();
      } catch { /* already closed */ }
    });
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of parts) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
