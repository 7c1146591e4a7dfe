import type { MeasurementSpec } from './measurement.js';
import { agentHealth, collectorRun, serverHealth } from './measurements/agent.js';
import { antivirus } from './measurements/antivirus.js';
import { host, hostDisk, hostNet } from './measurements/host.js';
import { inventory, inventoryChange } from './measurements/inventory.js';
import { connectivity, connectivityDns, ping, pingHourly } from './measurements/ping.js';
import { dcCriterion, dcReadiness } from './measurements/readiness.js';
import {
  environment,
  pdu,
  snmpDevice,
  snmpEntity,
  snmpInterface,
  snmpPoll,
  snmpSensor,
  ups,
} from './measurements/snmp.js';

/**
 * Every measurement hatang knows, keyed by name. The server refuses any other measurement and any
 * field whose type differs from the one declared here. Adding a measurement is one line here plus
 * its file under measurements/.
 */
export const catalogue = {
  host,
  host_disk: hostDisk,
  host_net: hostNet,
  inventory,
  inventory_change: inventoryChange,
  antivirus,
  ping,
  ping_hourly: pingHourly,
  connectivity,
  connectivity_dns: connectivityDns,
  snmp_device: snmpDevice,
  snmp_interface: snmpInterface,
  snmp_entity: snmpEntity,
  snmp_poll: snmpPoll,
  snmp_sensor: snmpSensor,
  ups,
  pdu,
  environment,
  agent_health: agentHealth,
  collector_run: collectorRun,
  server_health: serverHealth,
  dc_readiness: dcReadiness,
  dc_criterion: dcCriterion,
} as const satisfies Record<string, MeasurementSpec>;

export type MeasurementName = keyof typeof catalogue;

export function lookupMeasurement(name: string): MeasurementSpec | undefined {
  return Object.hasOwn(catalogue, name) ? (catalogue as Record<string, MeasurementSpec>)[name] : undefined;
}
