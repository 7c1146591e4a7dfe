import { readFileSync } from 'node:fs';
import { type Document, isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';

/** Every problem found in a config file, each as `file:line:col path: message`. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`,
    );
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Where `${NAME}` is looked up; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** The file's text, when it is not to be read from disk (tests, embedded defaults). */
  text?: string;
}

type PathKey = string | number;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

const secretRef = /\$\{([^}]*)\}/g;

/**
 * Replaces `${NAME}` with the environment variable NAME (`${NAME:-default}` when it may be unset or
 * empty) and `${file:/path}` with that file's text (trimmed) in every string of the document. Values are never put into messages: they may be secrets.
 */
function substitute(
  value: unknown,
  path: PathKey[],
  env: Record<string, string | undefined>,
  problem: (path: PathKey[], message: string) => void,
): unknown {
  if (typeof value === 'string') {
    return value.replace(secretRef, (_all, ref: string) => {
      if (ref.startsWith('file:')) {
        const file = ref.slice('file:'.length);
        try {
          return readFileSync(file, 'utf8').trim();
        } catch (err) {
          problem(path, `cannot read secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
          return '';
        }
      }
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(ref);
      if (!m) {
        problem(path, `"\${${ref}}" is neither \${ENV_NAME}, \${ENV_NAME:-default} nor \${file:/path}`);
        return '';
      }
      const [, name, fallback] = m as unknown as [string, string, string | undefined];
      const found = env[name] || fallback;
      if (found === undefined) {
        problem(path, `environment variable ${name} is not set`);
        return '';
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, [...path, i], env, problem));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, [...path, k], env, problem)]),
    );
  }
  return value;
}

/** The node at `path`, or the deepest ancestor that exists (a missing key is reported at its parent). */
function nodeAt(doc: Document, path: readonly PathKey[]): YamlNode | undefined {
  let node = doc.contents as YamlNode | null;
  for (const step of path) {
    let next: YamlNode | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      next = (pair?.value as YamlNode | null | undefined) ?? (pair?.key as YamlNode | undefined);
    } else if (isSeq(node) && typeof step === 'number') {
      next = node.items[step] as YamlNode | undefined;
    }
    if (!next) break;
    node = next;
  }
  return node ?? undefined;
}

/** The key node of `key` in the mapping at `path`, so "unknown key" points at the key itself. */
function keyNodeAt(doc: Document, path: readonly PathKey[], key: string): YamlNode | undefined {
  const map = nodeAt(doc, path);
  if (!isMap(map)) return map;
  const pair = map.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
  return (pair?.key as YamlNode | undefined) ?? map;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const at = issue.path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    value,
  );
  if (issue.code === 'invalid_type' && at === undefined) return 'required';
  if (issue.code === 'invalid_type') {
    const got = at === null ? 'null' : Array.isArray(at) ? 'list' : typeof at;
    return `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected}, got ${got}`;
  }
  return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
}

/**
 * Reads a YAML config file, substitutes secrets and validates it with a strict zod schema. Throws a
 * ConfigError listing every problem at once, each naming file, line, column and path:
 * `config/agent.yaml:14:7 collectors[2].community: required`.
 */
export function loadConfig<S extends z.ZodType>(
  file: string,
  schema: S,
  options: LoadOptions = {},
): z.output<S> {
  let text = options.text;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (node: YamlNode | undefined): string => {
    const offset = node?.range?.[0];
    if (offset === undefined) return `${file}:1:1`;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    // After the first syntax error the parser's further complaints are mostly echoes of it.
    throw new ConfigError(
      file,
      doc.errors.slice(0, 3).map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return `${file}:${line}:${col} yaml: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const problems: string[] = [];
  const raw = doc.toJS() ?? {};
  const value = substitute(raw, [], options.env ?? process.env, (path, message) =>
    problems.push(`${where(nodeAt(doc, path))} ${formatPath(path)}: ${message}`),
  );
  const result = schema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path as PathKey[];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push(`${where(keyNodeAt(doc, path, key))} ${formatPath([...path, key])}: unknown key`);
        }
        continue;
      }
      problems.push(`${where(nodeAt(doc, path))} ${formatPath(path)}: ${describeIssue(issue, value)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return (result as { data: z.output<S> }).data;
}

/**
 * A start refused for a reason the operator can fix (a certificate that cannot be read, a spool
 * another server holds): the CLI prints its one-line message, without a stack, and exits 1.
 */
export class StartError extends Error {
  override name = 'StartError';
}

/** A command line that cannot be understood; the CLI prints it with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}
