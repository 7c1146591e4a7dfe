import type { Collector } from '../collector.js';
import { antivirusCollector } from './antivirus/index.js';
import { hostCollector } from './host/index.js';
import { inventoryCollector } from './inventory/index.js';

/**
 * Every collector the agent can run, keyed by its config `type:`. Adding a collector is its folder
 * under collectors/ plus one line here.
 */
export const collectors = {
  host: hostCollector,
  inventory: inventoryCollector,
  antivirus: antivirusCollector,
} as const satisfies Record<string, Collector>;

export type CollectorType = keyof typeof collectors;
