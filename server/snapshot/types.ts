/**
 * The compliance snapshot's shapes, shared by the three parts that make one:
 * - collect (server/snapshot/collect*.ts): reads InfluxDB, the asset register, the endpoint registry
 *   and the readiness engine, and returns a `SnapshotContent`: plain tables and stated ratios;
 * - bundle (server/snapshot/bundle*.ts, formats/): turns the content into files (CSV, XLSX, HTML,
 *   PDF), a manifest and its Ed25519 signature, in one zip; and verifies such a zip offline;
 * - keep (server/snapshot/store.ts, keys.ts, audit-log.ts, routes, web page): signing keys, the
 *   content-addressed store, the audit log, the API and the auditors' page.
 * Nothing here does I/O.
 */

/** Text in both languages the report is written in. */
export interface Bilingual {
  vi: string;
  en: string;
}

export type Cell = string | number | boolean | null;

export interface SnapshotColumn {
  /** Key in each row and the CSV header (ASCII snake_case, stable across versions). */
  key: string;
  title: Bilingual;
  /** e.g. '%', 's', 'days', 'GiB'; absent for text. */
  unit?: string;
}

/** One table of the snapshot: one CSV file, one XLSX sheet, one section of the HTML report. */
export interface SnapshotTable {
  /** File stem, ASCII kebab-case: `antivirus` → data/antivirus.csv. */
  name: string;
  title: Bilingual;
  /** What a row is and where it comes from, one or two sentences. */
  description: Bilingual;
  columns: SnapshotColumn[];
  rows: Record<string, Cell>[];
}

/** What a percentage is out of. Every percentage in a snapshot names one. */
export type DenominatorKind =
  /** machines in the asset register (in scope) */
  | 'registered'
  /** machines seen by enrollment or inventory within the look-back */
  | 'reporting'
  /** ping cycles the window holds at each endpoint's interval */
  | 'expected_cycles'
  /** ping cycles recorded */
  | 'recorded_cycles'
  /** endpoints in the registry (in scope) */
  | 'endpoints';

/** A stated ratio: never a bare percentage. */
export interface Ratio {
  /** Stable id, e.g. 'antivirus_protected_of_registered'. */
  id: string;
  label: Bilingual;
  numerator: number;
  denominator: number;
  denominator_kind: DenominatorKind;
  /** numerator / denominator × 100, rounded to 0.1; null when the denominator is 0. */
  percent: number | null;
}

/** How the machine denominators were formed. */
export interface Denominators {
  /** Machines in the asset register within scope. */
  registered: number;
  /** Machines seen (enrollment or inventory) within the look-back before `as_of`. */
  reporting: number;
  /** In the register, not seen in the look-back. */
  not_reporting: number;
  /** Seen, not in the register. */
  not_registered: number;
  /** The look-back, s. */
  lookback_s: number;
  /** Endpoints in the registry within scope. */
  endpoints: number;
  /** The asset register file and its SHA-256, or null when none is configured. */
  asset_register: { file: string; sha256: string; rows: number } | null;
}

/** Availability of one endpoint level, for the summary. */
export interface LevelAvailability {
  level: string;
  label: Bilingual;
  endpoints: number;
  expected_cycles: number;
  recorded_cycles: number;
  up_cycles: number;
  /** recorded / expected, %. */
  coverage_percent: number;
  /** up / recorded, %; null when nothing was recorded. */
  availability_percent: number | null;
  /** The level's target from the registry, %, when one is set. */
  target_percent: number | null;
}

export interface SnapshotSummary {
  ratios: Ratio[];
  availability_by_level: LevelAvailability[];
  /** Per data-center site: its overall TIA-942 rating and the target; empty when readiness is not configured. */
  readiness: { site: string; name: string; overall_rating: number; target_rating: number; gaps: number }[];
}

/** A request for a snapshot. Times are ms since the epoch. */
export interface SnapshotRequest {
  from: number;
  to: number;
  /** Site ids (enrollment sites / registry groups); empty or absent = everything. */
  sites?: string[];
  /** Cut-off: data stored after it is not read (default: now, clipped to `to`). */
  asOf?: number;
  /** Language of the HTML/PDF report. */
  lang?: 'vi' | 'en';
  /** Who asked (credential subject), recorded in the manifest. */
  requestedBy?: string;
}

/** Everything measured for one snapshot, before it becomes files. */
export interface SnapshotContent {
  window: { from: string; to: string };
  as_of: string;
  scope: { sites: string[] };
  generator: { name: 'hatang'; version: string };
  requested_by: string | null;
  denominators: Denominators;
  summary: SnapshotSummary;
  /** Every query sent to InfluxDB to make it, in order (InfluxQL text). */
  queries: string[];
  tables: SnapshotTable[];
}

/** Reads what a snapshot needs; built by the server from its storage, registry, register and readiness. */
export type CollectSnapshot = (req: SnapshotRequest, signal?: AbortSignal) => Promise<SnapshotContent>;

/** One file of a bundle as listed in its manifest. */
export interface ManifestFile {
  /** Path inside the zip, '/'-separated, e.g. 'data/antivirus.csv'. */
  path: string;
  sha256: string;
  bytes: number;
  /** Data rows (CSV), absent for other files. */
  rows?: number;
}

export interface Manifest {
  format: 'hatang-snapshot/1';
  /** sha256 (hex) of the canonical content: the snapshot's content-addressed id. */
  id: string;
  created_at: string;
  window: { from: string; to: string };
  as_of: string;
  scope: { sites: string[] };
  generator: { name: 'hatang'; version: string };
  requested_by: string | null;
  lang: 'vi' | 'en';
  denominators: Denominators;
  summary: SnapshotSummary;
  queries: string[];
  files: ManifestFile[];
  /** Key id of the key that signs manifest.sig. */
  key_id: string;
  /** Files a bundle of this format normally holds but this one does not, and why (e.g. report.pdf when no Chromium was found). */
  omitted?: { path: string; reason: string }[];
}

/** A public signing key, as published at the well-known route and kept after rotation. */
export interface PublicKeyRecord {
  /** First 16 hex of sha256 of the raw 32-byte Ed25519 public key. */
  key_id: string;
  /** SPKI PEM. */
  public_key_pem: string;
  created_at: string;
  /** Set when a newer key took over; snapshots it signed still verify. */
  retired_at?: string;
}

/** Signs manifests; the private key never leaves it. */
export interface SnapshotSigner {
  readonly keyId: string;
  readonly publicKey: PublicKeyRecord;
  sign(data: Buffer): Buffer;
}

export type VerifyProblemKind =
  | 'not_a_bundle'
  | 'edited'
  | 'added'
  | 'removed'
  | 'bad_signature'
  | 'unknown_key'
  | 'malformed_manifest';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** The file concerned, when there is one. */
  file?: string;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  problems: VerifyProblem[];
  /** Present when the manifest could be read. */
  manifest?: Manifest;
  /**
   * The key the signature was checked with: one of the trusted keys given, or (none given) the key
   * inside the bundle, which proves the files are unchanged since signing but not who signed.
   */
  key?: { key_id: string; source: 'trusted' | 'bundle' };
  /** Remarks that are not problems, e.g. that no trusted key was given. */
  notes?: string[];
}

/** A kept snapshot, as listed. */
export interface SnapshotEntry {
  id: string;
  created_at: string;
  window: { from: string; to: string };
  scope: { sites: string[] };
  requested_by: string | null;
  bytes: number;
  /** Filled when made by the schedule. */
  schedule?: string;
}
