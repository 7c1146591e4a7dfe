import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bundleFiles, manifestFormat } from './bundle.js';
import { publicKeyRecord, verifySignature } from './sign.js';
import type { Manifest, PublicKeyRecord, VerifyProblem, VerifyResult } from './types.js';
import { readZip, unsafeName, type ZipEntry, ZipError, type ZipLimits } from './zip.js';

const bilingual = z.object({ vi: z.string(), en: z.string() });
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');

/** The manifest as verification needs it: strict where a field decides what is checked. */
const manifestSchema = z.object({
  format: z.literal(manifestFormat),
  id: sha256Hex,
  created_at: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  as_of: z.string(),
  scope: z.object({ sites: z.array(z.string()) }),
  generator: z.object({ name: z.literal('hatang'), version: z.string() }),
  requested_by: z.string().nullable(),
  lang: z.enum(['vi', 'en']),
  denominators: z.object({
    registered: z.number(),
    reporting: z.number(),
    not_reporting: z.number(),
    not_registered: z.number(),
    lookback_s: z.number(),
    endpoints: z.number(),
    asset_register: z.object({ file: z.string(), sha256: z.string(), rows: z.number() }).nullable(),
  }),
  summary: z.object({
    ratios: z.array(
      z.object({
        id: z.string(),
        label: bilingual,
        numerator: z.number(),
        denominator: z.number(),
        denominator_kind: z.enum([
          'registered',
          'reporting',
          'expected_cycles',
          'recorded_cycles',
          'endpoints',
        ]),
        percent: z.number().nullable(),
      }),
    ),
    availability_by_level: z.array(
      z.object({
        level: z.string(),
        label: bilingual,
        endpoints: z.number(),
        expected_cycles: z.number(),
        recorded_cycles: z.number(),
        up_cycles: z.number(),
        coverage_percent: z.number(),
        availability_percent: z.number().nullable(),
        target_percent: z.number().nullable(),
      }),
    ),
    readiness: z.array(
      z.object({
        site: z.string(),
        name: z.string(),
        overall_rating: z.number(),
        target_rating: z.number(),
        gaps: z.number(),
      }),
    ),
  }),
  queries: z.array(z.string()),
  files: z
    .array(
      z.object({
        path: z.string().refine((p) => unsafeName(p) === null, 'unsafe path'),
        sha256: sha256Hex,
        bytes: z.number().int().nonnegative(),
        rows: z.number().int().nonnegative().optional(),
      }),
    )
    .refine((files) => new Set(files.map((f) => f.path)).size === files.length, 'a path is listed twice'),
  key_id: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex digits'),
  omitted: z.array(z.object({ path: z.string(), reason: z.string() })).optional(),
});

export const untrustedKeyNote =
  'signature valid for the key inside the bundle; pass --public-key to check who signed';

export interface VerifyOptions {
  /** Keys the signer must be one of; when absent or empty, the key inside the bundle is used (and a note says so). */
  trustedKeys?: PublicKeyRecord[];
  /** Limits for reading the zip (defaults in zip.ts). */
  limits?: Partial<ZipLimits>;
}

/**
 * Checks a bundle offline: it is a well-formed zip, manifest.json is signed by manifest.sig with a
 * trusted key (or the bundle's own key when none is given), and every file matches the manifest
 * exactly; names each file edited, added or removed. Never throws for a bad bundle: every problem
 * is in `problems`, and `ok` is true only when there are none.
 * @example
 * const r = verifyBundle(readFileSync('snapshot.zip'), { trustedKeys: [key] });
 * if (!r.ok) for (const p of r.problems) console.log(p.kind, p.file ?? '', p.message);
 */
export function verifyBundle(zip: Buffer, o: VerifyOptions = {}): VerifyResult {
  const problems: VerifyProblem[] = [];
  const result = (extra: Partial<VerifyResult> = {}): VerifyResult => ({
    ok: problems.length === 0,
    problems,
    ...extra,
  });

  let entries: ZipEntry[];
  try {
    entries = readZip(zip, o.limits);
  } catch (err) {
    if (!(err instanceof ZipError)) throw err;
    problems.push({ kind: 'not_a_bundle', message: err.message, ...(err.entry ? { file: err.entry } : {}) });
    return result();
  }
  const byPath = new Map(entries.map((e) => [e.path, e]));

  // Entries whose bytes cannot be read back (CRC mismatch, damaged deflate data) were edited in place.
  const contents = new Map<string, Buffer>();
  for (const e of entries) {
    try {
      contents.set(e.path, e.read());
    } catch (err) {
      if (!(err instanceof ZipError)) throw err;
    }
  }
  const damaged = (path: string) =>
    `${path}: cannot be read back (CRC-32 or deflate data wrong: changed inside the zip)`;

  const manifestData = contents.get(bundleFiles.manifest);
  if (!byPath.has(bundleFiles.manifest)) {
    problems.push({
      kind: 'not_a_bundle',
      file: bundleFiles.manifest,
      message: 'no manifest.json: not a hatang snapshot bundle',
    });
    return result();
  }
  if (!manifestData) {
    problems.push({ kind: 'edited', file: bundleFiles.manifest, message: damaged(bundleFiles.manifest) });
    return result();
  }

  let manifest: Manifest;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(manifestData.toString('utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push({
        kind: 'malformed_manifest',
        file: bundleFiles.manifest,
        message: `manifest.json: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      });
      return result();
    }
    manifest = parsed.data satisfies Manifest;
  } catch (err) {
    problems.push({
      kind: 'malformed_manifest',
      file: bundleFiles.manifest,
      message: `manifest.json: not JSON: ${(err as Error).message}`,
    });
    return result();
  }

  // The signature: with a trusted key of the manifest's key id, or the bundle's own key.
  const extra: Partial<VerifyResult> = { manifest };
  const sig = contents.get(bundleFiles.signature);
  const trusted = o.trustedKeys ?? [];
  let key: PublicKeyRecord | undefined;
  if (trusted.length) {
    key = trusted.find((k) => k.key_id === manifest.key_id);
    if (!key) {
      problems.push({
        kind: 'unknown_key',
        file: bundleFiles.signature,
        message: `signed with key ${manifest.key_id}, which is not among the trusted keys (${trusted.map((k) => k.key_id).join(', ')})`,
      });
    } else extra.key = { key_id: key.key_id, source: 'trusted' };
  } else {
    const pemPath = bundleFiles.key(manifest.key_id);
    const pem = contents.get(pemPath);
    if (!pem) {
      problems.push({
        kind: 'unknown_key',
        file: pemPath,
        message: `the manifest names key ${manifest.key_id} but the bundle holds no readable ${pemPath}; pass --public-key`,
      });
    } else {
      try {
        const record = publicKeyRecord(pem.toString('utf8'), manifest.created_at);
        if (record.key_id !== manifest.key_id) {
          problems.push({
            kind: 'unknown_key',
            file: pemPath,
            message: `${pemPath} holds key ${record.key_id}, not the manifest's ${manifest.key_id}`,
          });
        } else {
          key = record;
          extra.key = { key_id: key.key_id, source: 'bundle' };
          extra.notes = [untrustedKeyNote];
        }
      } catch (err) {
        problems.push({
          kind: 'unknown_key',
          file: pemPath,
          message: `${pemPath}: ${(err as Error).message}`,
        });
      }
    }
  }
  if (!byPath.has(bundleFiles.signature)) {
    problems.push({
      kind: 'removed',
      file: bundleFiles.signature,
      message: 'manifest.sig is missing: the bundle is unsigned',
    });
  } else if (!sig) {
    problems.push({ kind: 'edited', file: bundleFiles.signature, message: damaged(bundleFiles.signature) });
  } else if (key && !verifySignature(key, manifestData, sig)) {
    problems.push({
      kind: 'bad_signature',
      file: bundleFiles.signature,
      message: `manifest.sig is not a valid signature of manifest.json by key ${key.key_id}: the manifest was edited or the signature replaced`,
    });
  }

  // Every listed file present and identical; nothing else but the manifest and its signature.
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    if (!byPath.has(f.path)) {
      problems.push({
        kind: 'removed',
        file: f.path,
        message: `${f.path}: listed in the manifest, missing from the bundle`,
      });
      continue;
    }
    const data = contents.get(f.path);
    if (!data) {
      problems.push({ kind: 'edited', file: f.path, message: damaged(f.path) });
      continue;
    }
    const digest = createHash('sha256').update(data).digest('hex');
    if (digest !== f.sha256 || data.length !== f.bytes) {
      problems.push({
        kind: 'edited',
        file: f.path,
        message: `${f.path}: sha256 ${digest} (${data.length} bytes), the manifest says ${f.sha256} (${f.bytes} bytes)`,
      });
    }
  }
  for (const e of entries) {
    if (e.path === bundleFiles.manifest || e.path === bundleFiles.signature || listed.has(e.path)) continue;
    problems.push({ kind: 'added', file: e.path, message: `${e.path}: in the bundle, not in the manifest` });
  }
  return result(extra);
}
