import { defineMeasurement, machineWriters } from '../measurement.js';

/**
 * One antivirus product on one machine, as its own reporting channel sees it (SecurityCenter2, Defender's
 * MSFT_MpComputerStatus, ClamAV's database header and processes). A machine with no product reports one
 * point with product="none"; a machine where detection failed reports product="unknown". The reason codes
 * are listed in agent/collectors/antivirus/README.md.
 */
/** The antivirus states, of one product (`state`) and of the machine (`host_state`). */
export const antivirusStates = ['protected', 'unprotected', 'unknown'] as const;

/**
 * Every reason code the antivirus collector writes (agent/collectors/antivirus/README.md explains each);
 * `command_failed:` and `parse_error:` are prefixes of a detail (`command_failed:exit_1`).
 */
export const antivirusReasons = [
  'ok',
  'disabled',
  'snoozed',
  'expired',
  'signatures_out_of_date',
  'passive_mode',
  'edr_block_mode',
  'not_running',
  'daemon_not_running',
  'no_signatures',
  'no_product',
  'stale_registration',
  'product_state_unknown',
  'running_mode_unknown',
  'running_mode_unrecognised',
  'signature_age_unknown',
  'no_securitycenter',
  'state_not_read',
  'daemon_not_found',
  'proc_unreadable',
  'config_unreadable',
  'signatures_unreadable',
  'command_timeout',
  'command_failed:',
  'powershell_unavailable',
  'unsupported_platform',
  'parse_error:',
] as const;

export const antivirus = defineMeasurement({
  name: 'antivirus',
  description: 'Protection state of one antivirus product on the machine running the agent.',
  writers: machineWriters,
  tags: ['hostname', 'product'],
  fields: {
    state: {
      type: 'string',
      description: 'protected | unprotected | unknown (never protected when in doubt)',
      values: antivirusStates,
    },
    reason: {
      type: 'string',
      description: 'code explaining state: ok, disabled, signatures_out_of_date, …',
      values: antivirusReasons,
    },
    host_state: {
      type: 'string',
      description:
        'the machine as a whole this cycle: protected if any product is, else unknown if any is, else unprotected',
      values: antivirusStates,
    },
    source: {
      type: 'string',
      description: 'where the facts came from: securitycenter2 | defender | clamav | process | none',
      values: ['securitycenter2', 'defender', 'clamav', 'process', 'none'],
    },
    enabled: {
      type: 'boolean',
      description: 'real-time protection / scanning daemon is on (omitted when not known)',
    },
    up_to_date: { type: 'boolean', description: 'signatures are current (omitted when not known)' },
    signature_age_days: {
      type: 'float',
      description: 'age of the signatures in days (omitted when not known)',
    },
    signature_time_s: {
      type: 'integer',
      description: 'build time of the signatures, Unix seconds (ClamAV header)',
    },
    signature_version: { type: 'string', description: 'signature database version' },
    product_version: { type: 'string', description: 'product or engine version' },
    product_state: { type: 'integer', description: 'SecurityCenter2 productState as reported, for tracing' },
    vendor: {
      type: 'string',
      description: 'microsoft | third_party (SecurityCenter2 productState bits)',
      values: ['microsoft', 'third_party'],
    },
    running_mode: {
      type: 'string',
      description: "Defender AMRunningMode as reported ('Normal', 'Passive Mode', …)",
    },
    registrations: {
      type: 'integer',
      description: 'SecurityCenter2 entries with this product name (duplicates)',
    },
    updater_running: { type: 'boolean', description: 'the signature updater (freshclam) process is running' },
  },
});
