import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../lib/config.js';
import { publicKeyRecord } from '../server/snapshot/sign.js';
import type { PublicKeyRecord, VerifyResult } from '../server/snapshot/types.js';
import { verifyBundle } from '../server/snapshot/verify.js';

/** Exit codes of `hatang snapshot verify`, for scripts. */
export const verifyExit = { valid: 0, invalid: 1, usage: 2, unreadable: 3 } as const;

export const verifyHelp = `usage: hatang snapshot verify <bundle.zip> [--public-key <file>]... [--json]

Checks a compliance snapshot bundle offline: the Ed25519 signature of manifest.json, then every
file's SHA-256 against the manifest; names each file edited, added or removed.

  --public-key <file>  a trusted key: a PEM file (one or more PUBLIC KEY blocks) or the keys JSON
                       the server publishes (a list of {key_id, public_key_pem}, or {"keys": [...]}).
                       May be given more than once. Without it, the signature is checked with the key
                       inside the bundle: that proves the files are unchanged since signing, not who
                       signed.
  --json               print the result as JSON (ok, problems[{kind, file, message}], key, notes, manifest)

exit codes:
  0  valid
  1  invalid: the bundle was changed, is signed by an untrusted key, or is not a bundle
  2  usage error
  3  the bundle or a key file cannot be read (missing, unreadable, or a key file holding no key)

The same checks without hatang (OpenSSL 3, after unzipping) are in the bundle's README.txt.`;

class UnreadableError extends Error {
  override name = 'UnreadableError';
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new UnreadableError(
      `${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/**
 * The trusted keys in a file: PEM PUBLIC KEY blocks, or the published keys JSON. Each key's id is
 * computed from the key itself; a JSON record whose stated id differs is refused.
 */
export function readTrustedKeys(path: string, text: string): PublicKeyRecord[] {
  const fail = (why: string): never => {
    throw new UnreadableError(`--public-key ${path}: ${why}`);
  };
  const trimmed = text.trim();
  const records: PublicKeyRecord[] = [];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (err) {
      fail(`not JSON: ${(err as Error).message}`);
    }
    const list = Array.isArray(json)
      ? json
      : Array.isArray((json as { keys?: unknown }).keys)
        ? (json as { keys: unknown[] }).keys
        : [json];
    for (const [i, item] of list.entries()) {
      const r = item as Partial<PublicKeyRecord> | null;
      if (typeof r?.public_key_pem !== 'string') fail(`key ${i + 1}: no public_key_pem`);
      let record: PublicKeyRecord;
      try {
        record = publicKeyRecord(r!.public_key_pem!, r!.created_at ?? '');
      } catch (err) {
        return fail(`key ${i + 1}: ${(err as Error).message}`);
      }
      if (r!.key_id !== undefined && r!.key_id !== record.key_id) {
        fail(`key ${i + 1}: states key_id ${r!.key_id} but the key's id is ${record.key_id}`);
      }
      records.push({ ...record, ...(r!.retired_at ? { retired_at: r!.retired_at } : {}) });
    }
  } else {
    const blocks = trimmed.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
    if (!blocks.length) fail('no "-----BEGIN PUBLIC KEY-----" block and not the keys JSON');
    for (const [i, pem] of blocks.entries()) {
      try {
        records.push(publicKeyRecord(pem, ''));
      } catch (err) {
        fail(`key ${i + 1}: ${(err as Error).message}`);
      }
    }
  }
  if (!records.length) fail('no keys');
  return records;
}

function summarize(result: VerifyResult, bundle: string, keySource: string): string {
  const lines: string[] = [];
  const m = result.manifest;
  lines.push(result.ok ? `valid: ${bundle}` : `INVALID: ${bundle}`);
  if (m) {
    lines.push(`  snapshot  ${m.id}`);
    lines.push(`  window    ${m.window.from} → ${m.window.to} (as of ${m.as_of})`);
    lines.push(`  created   ${m.created_at} by ${m.generator.name} ${m.generator.version}`);
    lines.push(`  files     ${m.files.length} listed`);
    for (const o of m.omitted ?? []) lines.push(`  omitted   ${o.path}: ${o.reason}`);
  }
  if (result.key) {
    lines.push(
      `  key       ${result.key.key_id} (${result.key.source === 'trusted' ? `trusted, from ${keySource}` : 'the key inside the bundle'})`,
    );
  }
  const width = Math.max(0, ...result.problems.map((p) => p.kind.length));
  for (const p of result.problems) lines.push(`  ${p.kind.padEnd(width)}  ${p.message}`);
  for (const n of result.notes ?? []) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** `hatang snapshot verify <bundle.zip> [--public-key <file>]... [--json]`; see `verifyHelp`. */
export async function snapshotVerifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'public-key': { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(verifyHelp);
    return verifyExit.valid;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `snapshot verify: expected one bundle.zip, got ${positionals.length ? positionals.join(' ') : 'none'}`,
    );
  }
  const bundle = positionals[0]!;
  const keyFiles = values['public-key'] ?? [];
  let zip: Buffer;
  let trustedKeys: PublicKeyRecord[];
  try {
    trustedKeys = keyFiles.flatMap((f) => readTrustedKeys(f, readInput(f, '--public-key').toString('utf8')));
    zip = readInput(bundle, 'bundle');
  } catch (err) {
    if (!(err instanceof UnreadableError)) throw err;
    console.error(`hatang snapshot verify: ${err.message}`);
    return verifyExit.unreadable;
  }
  const result = verifyBundle(zip, { trustedKeys });
  if (values.json) process.stdout.write(`${JSON.stringify({ bundle, ...result }, null, 2)}\n`);
  else process.stdout.write(summarize(result, bundle, keyFiles.join(', ')));
  return result.ok ? verifyExit.valid : verifyExit.invalid;
}
