import type { Collector } from '../collector.js';
import { antivirusCollector } from './antivirus/index.js';
import { connectivityCollector } from './connectivity/index.js';
import { hostCollector } from './host/index.js';
import { inventoryCollector } from './inventory/index.js';
import { pingCollector } from './ping/index.js';
import { snmpCollector } from './snmp/index.js';

/**
 * Every collector the agent can run, keyed by its config `type:`. Adding a collector is its folder
 * under collectors/ plus one line here.
 */
export const collectors = {
  host: hostCollector,
  inventory: inventoryCollector,
  ping: pingCollector,
  connectivity: connectivityCollector,
  antivirus: antivirusCollector,
  snmp: snmpCollector,
} as const satisfies Record<string, Collector>;

export type CollectorType = keyof typeof collectors;
