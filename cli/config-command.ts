import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../lib/config.js';
import { type ConfigKind, configJsonSchema, configSchemas } from '../lib/json-schema.js';

/** `hatang config schema agent|server [--out file]`: the JSON Schema editors use for the YAML. */
export async function configCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string', short: 'o' } },
  });
  const [sub, kind] = positionals;
  if (sub !== 'schema' || !kind || !Object.hasOwn(configSchemas, kind)) {
    throw new UsageError(`hatang config: expected "schema ${Object.keys(configSchemas).join('|')}"`);
  }
  const text = configJsonSchema(kind as ConfigKind);
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return 0;
}
