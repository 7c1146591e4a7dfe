import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Linux caps `comm` at 15 characters (TASK_COMM_LEN - 1). */
const COMM_MAX = 15;
/** pid_max is at most 4,194,304; a scan never reads more entries than this. */
const MAX_PROCESSES = 100_000;

/**
 * Names of the live processes in `procDir`: each process's `comm` and the basename of its argv[0].
 * Zombies are skipped (a dead daemon is not running). Processes that end during the scan are ignored.
 */
export async function processNames(procDir: string, signal: AbortSignal): Promise<Set<string>> {
  const names = new Set<string>();
  const entries = (await readdir(procDir)).filter((e) => /^\d+$/.test(e)).slice(0, MAX_PROCESSES);
  for (const pid of entries) {
    signal.throwIfAborted();
    try {
      const stat = await readFile(join(procDir, pid, 'stat'), 'latin1');
      // "pid (comm) S …": comm may contain spaces and parentheses, so read around the last ')'.
      const close = stat.lastIndexOf(')');
      if (stat.slice(close + 2, close + 3) === 'Z') continue;
      names.add(stat.slice(stat.indexOf('(') + 1, close));
      const argv0 = (await readFile(join(procDir, pid, 'cmdline'), 'utf8')).split('\0')[0];
      if (argv0) names.add(basename(argv0));
    } catch {
      // The process ended between readdir and read, or is not ours to read (hidepid): skip it.
    }
  }
  return names;
}

/** True when a process named `name` is in `names` (compared as comm, so cut at 15 characters, too). */
export function isRunning(names: ReadonlySet<string>, name: string): boolean {
  return names.has(name) || names.has(name.slice(0, COMM_MAX));
}
