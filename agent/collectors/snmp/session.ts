import snmp, { type Session, type Varbind } from 'net-snmp';
import type { Credential } from './config.js';

/** Where and how to reach one agent. The credential never leaves this module in a message or log. */
export interface SnmpTarget {
  address: string;
  port: number;
  credential: Credential;
  timeoutMs: number;
  retries: number;
}

/** A value as read: `undefined` when the agent has no such object/instance. */
export type SnmpValue = Varbind;

/** Most varbinds asked for in one getBulk: keeps a response near 4–5 KB, inside what agents send unfragmented. */
const MAX_VARBINDS_PER_REQUEST = 60;

/** A table read column by column: column OID → (row index suffix → varbind). */
export type Columns = Map<string, Map<string, Varbind>>;

const authProtocols = snmp.AuthProtocols;
const privProtocols = snmp.PrivProtocols;

function openSession(t: SnmpTarget): Session {
  const options = { port: t.port, timeout: t.timeoutMs, retries: t.retries, backoff: 1 };
  const c = t.credential;
  if (c.version === '3') {
    return snmp.createV3Session(
      t.address,
      {
        name: c.user,
        level: snmp.SecurityLevel[c.level],
        ...(c.auth_protocol ? { authProtocol: authProtocols[c.auth_protocol], authKey: c.auth_key } : {}),
        ...(c.priv_protocol ? { privProtocol: privProtocols[c.priv_protocol], privKey: c.priv_key } : {}),
      },
      { ...options, version: snmp.Version3 },
    );
  }
  return snmp.createSession(t.address, c.community, {
    ...options,
    version: c.version === '1' ? snmp.Version1 : snmp.Version2c,
  });
}

/** Numeric comparison of dotted OIDs. */
export function compareOids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * One device's SNMP session (one UDP socket) with promise-returning, abortable requests. Counts the
 * varbinds it receives so a poll can report how much it read.
 */
export class SnmpClient {
  private readonly session: Session;
  private readonly v1: boolean;
  /** Varbinds received so far. */
  oids = 0;

  constructor(
    target: SnmpTarget,
    private readonly signal: AbortSignal,
  ) {
    this.session = openSession(target);
    this.v1 = target.credential.version === '1';
    // An undecodable datagram is emitted as 'error'; without a listener it would crash the process.
    this.session.on('error', () => {});
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      // already closed
    }
  }

  private request<T>(what: string, send: (cb: (err: Error | null, res?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(new Error(`${what}: aborted`, { cause: this.signal.reason }));
        return;
      }
      const onAbort = () => this.session.cancelRequests(new Error('aborted', { cause: this.signal.reason }));
      this.signal.addEventListener('abort', onAbort, { once: true });
      send((err, res) => {
        this.signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res as T);
      });
    });
  }

  /** GET of scalars; an object the agent lacks comes back as undefined. */
  async get(oids: readonly string[]): Promise<Map<string, Varbind | undefined>> {
    const out = new Map<string, Varbind | undefined>();
    if (oids.length === 0) return out;
    let varbinds: Varbind[];
    try {
      varbinds = await this.request<Varbind[]>('get', (cb) => this.session.get([...oids], cb));
    } catch (err) {
      // SNMPv1 fails the whole request when one OID is missing (noSuchName): ask one by one.
      if (this.v1 && oids.length > 1 && err instanceof snmp.RequestFailedError) {
        for (const o of oids) {
          const one = await this.get([o]).catch((e: unknown) => {
            if (e instanceof snmp.RequestFailedError) return new Map([[o, undefined]]);
            throw e;
          });
          out.set(o, one.get(o));
        }
        return out;
      }
      throw err;
    }
    this.oids += varbinds.length;
    oids.forEach((o, i) => {
      const vb = varbinds[i];
      out.set(o, vb && !snmp.isVarbindError(vb) ? vb : undefined);
    });
    return out;
  }

  /**
   * Walks table columns together with getBulk (getNext on SNMPv1), each column until it leaves its
   * subtree. Bounded by `maxOids` varbinds (throws past it) and by the session's signal.
   */
  async walkColumns(columns: readonly string[], maxRepetitions: number, maxOids: number): Promise<Columns> {
    const result: Columns = new Map(columns.map((c) => [c, new Map()]));
    const cursor = new Map(columns.map((c) => [c, c]));
    let active = [...new Set(columns)];
    let read = 0;
    if (this.v1) {
      // v1 has no getBulk, and one exhausted column would fail a multi-OID getNext: walk one at a time.
      const all = active;
      for (const column of all) {
        active = [column];
        while (active.length > 0) {
          let rows: Varbind[][];
          try {
            const vbs = await this.request<Varbind[]>('getNext', (cb) =>
              this.session.getNext([cursor.get(column) as string], cb),
            );
            rows = vbs.map((v) => [v]);
          } catch (err) {
            if (err instanceof snmp.RequestFailedError) break; // noSuchName: past the end of the MIB
            throw err;
          }
          read += this.advance(active, rows, cursor, result, maxOids, read);
          active = active.filter((c) => cursor.get(c) !== '');
        }
      }
      return result;
    }
    while (active.length > 0) {
      const repetitions = Math.max(
        1,
        Math.min(maxRepetitions, Math.floor(MAX_VARBINDS_PER_REQUEST / active.length)),
      );
      const response = await this.request<(Varbind | Varbind[])[]>('getBulk', (cb) =>
        this.session.getBulk(
          active.map((c) => cursor.get(c) as string),
          0,
          repetitions,
          cb,
        ),
      );
      const rows = active.map((_, i) => {
        const r = response[i];
        return Array.isArray(r) ? r : r ? [r] : [];
      });
      const got = this.advance(active, rows, cursor, result, maxOids, read);
      read += got;
      // An agent that answers nothing for every column would loop forever: treat it as the end.
      if (got === 0 && rows.every((r) => r.length === 0)) break;
      active = active.filter((c) => cursor.get(c) !== '');
    }
    return result;
  }

  /** Stores the varbinds of each column still inside its subtree; marks finished columns with cursor ''. */
  private advance(
    active: readonly string[],
    rows: readonly Varbind[][],
    cursor: Map<string, string>,
    result: Columns,
    maxOids: number,
    readBefore: number,
  ): number {
    let got = 0;
    active.forEach((column, i) => {
      const list = rows[i] ?? [];
      for (const vb of list) {
        got++;
        this.oids++;
        const last = cursor.get(column) as string;
        if (snmp.isVarbindError(vb) || !vb.oid.startsWith(`${column}.`)) {
          cursor.set(column, '');
          return;
        }
        if (compareOids(vb.oid, last) <= 0) {
          throw new Error(`walk ${column}: agent returned ${vb.oid} after ${last} (OIDs not increasing)`);
        }
        result.get(column)?.set(vb.oid.slice(column.length + 1), vb);
        cursor.set(column, vb.oid);
      }
      if (readBefore + got > maxOids) {
        throw new Error(`walk ${column}: more than ${maxOids} varbinds (max_oids_per_device)`);
      }
    });
    return got;
  }
}
