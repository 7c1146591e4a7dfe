export * from '../../lib/services/snmpd.js';
