import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { z } from 'zod';
import { type LoadOptions, loadConfig } from '../lib/config.js';
import { type ServerConfig, serverConfigSchema } from './config.js';

/** A file server.yaml names, with the key naming it. */
export interface ReferencedFile {
  path: (string | number)[];
  file: string;
}

/**
 * Every file server.yaml points at that the server reads: the TLS certificate and key, the
 * revocation file, the endpoint registry and the data-center declaration.
 */
export function referencedFiles(config: ServerConfig): ReferencedFile[] {
  const out: ReferencedFile[] = [];
  const tls = config.listen.tls;
  if (tls) {
    out.push({ path: ['listen', 'tls', 'cert_file'], file: tls.cert_file });
    out.push({ path: ['listen', 'tls', 'key_file'], file: tls.key_file });
  }
  if (config.auth.revocation_file)
    out.push({ path: ['auth', 'revocation_file'], file: config.auth.revocation_file });
  if (config.endpoints_file) out.push({ path: ['endpoints_file'], file: config.endpoints_file });
  if (config.readiness)
    out.push({ path: ['readiness', 'datacenter_file'], file: config.readiness.datacenter_file });
  return out;
}

const reasons: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

/** Why `file` cannot be read, or undefined when it can. */
export function unreadable(file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) return `cannot read ${file}: is a directory, not a file`;
    closeSync(openSync(file, 'r'));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return `cannot read ${file}: ${reasons[code] ?? 'error'} (${code})`;
  }
}

/** server.yaml's schema plus: every file it names can be read (what `--check` and a real start need). */
export const runnableServerConfigSchema: z.ZodType<ServerConfig> = serverConfigSchema.superRefine(
  (config, ctx) => {
    let missing = 0;
    for (const { path, file } of referencedFiles(config)) {
      const why = unreadable(file);
      if (why) ctx.addIssue({ code: 'custom', path, message: why });
      if (why) missing++;
    }
    const tls = config.listen.tls;
    if (tls && missing === 0) {
      // A certificate that is not PEM, or a key that is not its key, would fail only at listen().
      try {
        createSecureContext({ cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) });
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['listen', 'tls'],
          message: `certificate ${tls.cert_file} and key ${tls.key_file} do not load together: ${(err as Error).message}`,
        });
      }
    }
  },
);

/**
 * Loads server.yaml for `hatang server` (and `--check`): as loadServerConfig, and a file it names
 * that is missing or unreadable is a problem listed with the key's line, before anything is created.
 */
export function loadRunnableServerConfig(file: string, options?: LoadOptions): ServerConfig {
  return loadConfig(file, runnableServerConfigSchema, options);
}
