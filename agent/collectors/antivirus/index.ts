import type { CollectContext } from '../../collector.js';
import { defineCollector } from '../../collector.js';
import { detectLinux } from './antivirus.linux.js';
import { detectWindows } from './antivirus.windows.js';
import { type AntivirusConfig, antivirusConfig } from './config.js';
import { detectionFailed, type Finding, toPoints } from './finding.js';

type Detector = (cfg: AntivirusConfig, ctx: CollectContext) => Promise<Finding[]>;

/** The one place the platform is chosen; each platform's knowledge lives in its sibling file. */
const detectors: Partial<Record<NodeJS.Platform, Detector>> = {
  win32: (cfg, ctx) => detectWindows(cfg, ctx),
  linux: detectLinux,
};

/** The detector for `platform`; elsewhere (macOS, BSD) the collector says `unknown`/`unsupported_platform`. */
export function detectorFor(platform: NodeJS.Platform): Detector {
  return detectors[platform] ?? (async () => [detectionFailed('none', 'unsupported_platform')]);
}

/**
 * Antivirus protection state: one `antivirus` point per product found, product "none" when there is
 * none, product "unknown" when detection failed. Never `protected` unless every fact needed says so.
 */
export const antivirusCollector = defineCollector({
  name: 'antivirus',
  defaultInterval: '15m',
  defaultTimeout: '2m',
  config: antivirusConfig,
  async collect(cfg, ctx) {
    return toPoints(await detectorFor(process.platform)(cfg, ctx), ctx.hostname);
  },
});
