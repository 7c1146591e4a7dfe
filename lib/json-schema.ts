import { z } from 'zod';
import { agentConfigSchema } from '../agent/config.js';
import { serverConfigSchema } from '../server/config.js';

/** The config files that have a schema, keyed by the name `hatang config schema` takes. */
export const configSchemas = { agent: agentConfigSchema, server: serverConfigSchema } as const;
export type ConfigKind = keyof typeof configSchemas;

/**
 * JSON Schema of a config file as written (durations and sizes as text), generated from the zod
 * schema that validates it at start, so editors (YAML language server) check what the agent checks.
 */
export function configJsonSchema(kind: ConfigKind): string {
  const schema = z.toJSONSchema(configSchemas[kind], { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: `hatang ${kind} configuration` }, null, 2)}\n`;
}
