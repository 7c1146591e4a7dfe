/**
 * The part of net-snmp 3.29 this collector uses. net-snmp ships no types; these are written from its
 * index.js and README and cover only what the wrapper in session.ts calls.
 */
declare module 'net-snmp' {
  import type { EventEmitter } from 'node:events';

  export interface Varbind {
    oid: string;
    type: number;
    /** number (Integer, Counter32, Gauge32, TimeTicks), Buffer (OctetString, Opaque, Counter64), string (OID, IpAddress), null. */
    value: unknown;
  }

  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    backoff?: number;
    idBitsSize?: 16 | 32;
    backwardsGetNexts?: boolean;
    reportOidMismatchErrors?: boolean;
  }

  export interface User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }

  export class Session extends EventEmitter {
    get(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
    getNext(oids: string[], cb: (error: Error | null, varbinds?: Varbind[]) => void): void;
    /** Non-repeaters come back as Varbind, repeaters as Varbind[] (one list per requested OID). */
    getBulk(
      oids: string[],
      nonRepeaters: number,
      maxRepetitions: number,
      cb: (error: Error | null, varbinds?: (Varbind | Varbind[])[]) => void,
    ): void;
    cancelRequests(error: Error): void;
    close(): this;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: User, options?: SessionOptions): Session;
  export function isVarbindError(varbind: Varbind): boolean;
  export function varbindError(varbind: Varbind): string;

  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const ObjectType: Record<string, number>;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<
    'none' | 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512',
    number
  >;
  export const PrivProtocols: Record<'none' | 'des' | 'aes' | 'aes256b' | 'aes256r', number>;

  export class RequestTimedOutError extends Error {}
  export class RequestFailedError extends Error {
    status?: number;
  }
  export class ResponseInvalidError extends Error {}
  export class RequestInvalidError extends Error {}

  const snmp: {
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    isVarbindError: typeof isVarbindError;
    varbindError: typeof varbindError;
    Version1: number;
    Version2c: number;
    Version3: number;
    ObjectType: Record<string, number>;
    SecurityLevel: typeof SecurityLevel;
    AuthProtocols: typeof AuthProtocols;
    PrivProtocols: typeof PrivProtocols;
    RequestTimedOutError: typeof RequestTimedOutError;
    RequestFailedError: typeof RequestFailedError;
  };
  export default snmp;
}
