export * from '../../lib/services/snmpsim.js';
