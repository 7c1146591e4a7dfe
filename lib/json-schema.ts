import { z } from 'zod';
import { agentConfigSchema } from '../agent/config.js';
import { serverConfigSchema } from '../server/config.js';
import { datacenterConfigSchema, factValues } from '../server/readiness/declaration.js';

/** The config files that have a schema, keyed by the name `hatang config schema` takes. */
export const configSchemas = {
  agent: agentConfigSchema,
  server: serverConfigSchema,
  datacenter: datacenterConfigSchema,
} as const;
export type ConfigKind = keyof typeof configSchemas;

/**
 * JSON Schema of a config file as written (durations and sizes as text), generated from the zod
 * schema that validates it at start, so editors (YAML language server) check what the agent checks.
 */
export function configJsonSchema(kind: ConfigKind): string {
  const schema = z.toJSONSchema(configSchemas[kind], {
    io: 'input',
    unrepresentable: 'any',
    override(ctx) {
      const value = factValues.get(ctx.zodSchema as unknown as z.ZodType);
      if (!value) return;
      const { $schema: _, ...bare } = z.toJSONSchema(value, { io: 'input' });
      const withEvidence = { ...ctx.jsonSchema };
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
      Object.assign(ctx.jsonSchema, { anyOf: [bare, withEvidence] });
    },
  });
  return `${JSON.stringify({ ...schema, title: `hatang ${kind} configuration` }, null, 2)}\n`;
}
