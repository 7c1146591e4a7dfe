import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

/** What enrollment gave this agent; kept 0600 in the state dir. */
export interface Enrollment {
  agent_id: string;
  site_id: string;
  credential: string;
  enrolled_at: string;
  server: string;
}

/** Counters that must survive restarts (they feed agent_health). */
export interface Counters {
  dropped_points: number;
  rejected_points: number;
}

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
