export * from './services/influxd.js';
