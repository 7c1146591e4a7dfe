export * from '../../lib/services/ports.js';
