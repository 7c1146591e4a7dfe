import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

export type { Enrollment } from './credential.js';

/** Counters that must survive restarts (they feed agent_health and `hatang agent status`). */
export interface Counters {
  /** Every point the agent produced but could not keep: the sum of the dropped_* reasons below. */
  dropped_points: number;
  /** Dropped oldest-first because the queue reached queue.max_bytes. */
  dropped_queue_full_points: number;
  /** Could not be written to the queue at all (disk full or another write error). */
  dropped_disk_full_points: number;
  /** Refused by the server as invalid (kept in queue/rejected/). */
  rejected_points: number;
  /** Queue files found damaged (unreadable, not JSON, not a batch), moved to queue/rejected/. */
  corrupt_queue_files: number;
  /** Points those damaged files held, as their names said. */
  corrupt_queue_points: number;
}

export const zeroCounters = (): Counters => ({
  dropped_points: 0,
  dropped_queue_full_points: 0,
  dropped_disk_full_points: 0,
  rejected_points: 0,
  corrupt_queue_files: 0,
  corrupt_queue_points: 0,
});

export interface CollectorStatus {
  last_run_at: string;
  success: boolean;
  duration_ms: number;
  points: number;
  error: string;
}

/** What `hatang agent status` shows: written by the running agent, read by the command. */
export interface AgentStatus {
  pid: number;
  version: string;
  updated_at: string;
  agent_id?: string;
  site_id?: string;
  last_send_at?: string;
  last_send_error?: string;
  /** The last thing that stopped the agent from working, e.g. why enrollment failed; cleared once enrolled. */
  last_error?: { at: string; message: string };
  queue: { batches: number; points: number; bytes: number };
  /** agent_health and collector_run points held in memory because the queue could not be written. */
  reserve_points?: number;
  /** The last failure to write the queue (disk full…), until a write succeeds again. */
  last_write_error?: string | undefined;
  credential?: {
    role?: string | undefined;
    expires_at?: string | undefined;
    renew_from?: string | undefined;
  };
  counters: Counters;
  collectors: Record<string, CollectorStatus>;
}

export const stateFiles = (stateDir: string) => ({
  enrollment: join(stateDir, 'credential.json'),
  counters: join(stateDir, 'counters.json'),
  status: join(stateDir, 'status.json'),
  queue: join(stateDir, 'queue'),
  collectors: join(stateDir, 'collectors'),
});

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function writeJson(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
