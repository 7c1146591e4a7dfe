import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { CollectContext } from '../../collector.js';
import { type AntivirusConfig, antivirusConfig } from './config.js';

/** A capture from the shared fixtures (never copied into the project). */
export function fixture(path: string): string {
  return readFileSync(new URL(`../../../../shared/fixtures/${path}`, import.meta.url), 'utf8');
}

export function fixtureBytes(path: string): Buffer {
  return readFileSync(new URL(`../../../../shared/fixtures/${path}`, import.meta.url));
}

/** Data derived from captures, kept in this folder's testdata/ (see testdata/SOURCES.md). */
export function testdata(name: string): string {
  return readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
}

export function config(over: Record<string, unknown> = {}): AntivirusConfig {
  return antivirusConfig.parse(over);
}

export function context(over: Partial<CollectContext> = {}): CollectContext {
  return {
    signal: AbortSignal.timeout(20_000),
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    hostname: 'pc-test-01',
    stateDir: '/nonexistent',
    memory: new Map(),
    ...over,
  };
}
