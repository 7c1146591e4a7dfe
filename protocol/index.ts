export * from './catalogue.js';
export * from './check.js';
export * from './measurement.js';
export * from './measurements/agent.js';
export * from './measurements/antivirus.js';
export * from './measurements/host.js';
export * from './point.js';
export * from './validate.js';
