import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Point } from '../protocol/index.js';
import { fillDisk, mountTmpfs, type Tmpfs } from '../test/harness/disk.js';
import { encodeRecord, Spool, SpoolFullError, type SpoolOptions, type SpoolRecord } from './spool.js';
import { splitLines, toLineProtocol } from './storage/line-protocol.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const mounts: Tmpfs[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hatang-spool-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const m of mounts.splice(0)) m.unmount();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const options = (o: Partial<SpoolOptions> = {}): SpoolOptions => ({
  maxBytes: 10_000_000,
  segmentBytes: 1_000_000,
  deadMaxBytes: 1_000_000,
  log,
  ...o,
});

const points = (n: number, from = 0): Point[] =>
  Array.from({ length: n }, (_, i) => ({
    measurement: 'host',
    tags: { hostname: 'h', agent_id: 'a', site_id: 's' },
    fields: { uptime_s: from + i },
    time: 1_700_000_000_000 + from + i,
  }));

type Damaged = Extract<SpoolRecord, { kind: 'damaged' }>;

/** Takes and removes every segment as a replayer would, returning the uptime_s values in order. */
async function drain(spool: Spool): Promise<{ seen: number[]; corrupt: Damaged[] }> {
  const seen: number[] = [];
  const corrupt: Damaged[] = [];
  for (let seg = await spool.take(); seg; seg = await spool.take()) {
    for (const r of seg.records()) {
      if (r.kind === 'damaged') corrupt.push(r);
      else {
        const values = [...r.lines.toString().matchAll(/uptime_s=(\d+)i/g)].map((m) => Number(m[1]));
        expect(values).toHaveLength(r.points);
        seen.push(...values);
      }
    }
    await spool.remove(seg);
  }
  return { seen, corrupt };
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg'));

/** A tmpfs of `size`, unmounted after the test, or undefined if mount fails. */
function smallTmpfs(size: string): string | undefined {
  const m = mountTmpfs(size);
  if (m) mounts.push(m);
  return m?.dir;
}

describe('Spool', () => {
  it('gives back every appended point in order, across segment rotations', async () => {
    const spool = await Spool.open(newDir(), options({ segmentBytes: 2_000 }));
    for (let i = 0; i < 20; i++) await spool.append(points(5, i * 5));
    expect(spool.points).toBe(100);
    expect(segments(spool.dir).length).toBeGreaterThan(3);
    expect((await drain(spool)).seen).toEqual(range(100));
    expect(spool.isEmpty).toBe(true);
    expect(spool.bytes).toBe(0);
    expect(readdirSync(spool.dir).filter((f) => f.endsWith('.idx'))).toEqual([]);
  });

  it('hands each segment to one replayer at a time, and a given-back segment comes first again', async () => {
    const spool = await Spool.open(newDir(), options({ segmentBytes: 500 }));
    for (let i = 0; i < 6; i++) await spool.append(points(3, i * 3));
    const a = await spool.take();
    const b = await spool.take();
    expect(a?.file).not.toBe(b?.file);
    spool.giveBack(a as NonNullable<typeof a>);
    const again = await spool.take();
    expect(again?.file).toBe(a?.file);
  });

  it('counts what an earlier run left and replays it after a reopen', async () => {
    const dir = newDir();
    const first = await Spool.open(dir, options({ segmentBytes: 1_000 }));
    for (let i = 0; i < 10; i++) await first.append(points(3, i * 3));
    await first.close();
    const second = await Spool.open(dir, options({ segmentBytes: 1_000 }));
    expect(second.points).toBe(30);
    await second.append(points(3, 30));
    expect((await drain(second)).seen).toEqual(range(33));
  });

  it('opens closed segments from their index without reading them; a segment without one is read', async () => {
    const dir = newDir();
    const first = await Spool.open(dir, options({ segmentBytes: 1_000 }));
    for (let i = 0; i < 10; i++) await first.append(points(3, i * 3));
    await first.close();
    const [one, two] = segments(dir) as [string, string];
    // Same size, different content: only a reader of the segment would see 0 points in it.
    const size = statSync(join(dir, one)).size;
    writeFileSync(join(dir, one), `${'x'.repeat(size - 1)}\n`);
    unlinkSync(join(dir, two.replace('.seg', '.idx')));
    const reopened = await Spool.open(dir, options({ segmentBytes: 1_000 }));
    expect(reopened.points).toBe(30);
  });

  it('leaves out a torn last line (an append that crashed before its fsync and was never acknowledged)', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, options());
    await spool.append(points(2));
    // No close: the segment has no index, as after a crash.
    const [seg] = segments(dir);
    appendFileSync(join(dir, seg as string), '2 [{"measurement":"host","tags":{');
    const reopened = await Spool.open(dir, options());
    expect(reopened.points).toBe(2);
    await reopened.append(points(1, 2));
    expect((await drain(reopened)).seen).toEqual([0, 1, 2]);
  });

  it('yields a damaged record (checksum) as such and sets it aside in dead/ with its point count', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, options());
    await spool.append(points(1, 0));
    await spool.append(points(2, 1));
    await spool.close();
    const file = join(dir, segments(dir)[0] as string);
    const text = readFileSync(file, 'utf8');
    // Same length, one byte changed: only the checksum tells.
    writeFileSync(file, text.replace('uptime_s=0i', 'uptime_s=9i'));
    const reopened = await Spool.open(dir, options());
    const { seen, corrupt } = await drain(reopened);
    expect(seen).toEqual([1, 2]);
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]?.points).toBe(1);
    await reopened.quarantineDamaged(corrupt);
    const dead = readdirSync(join(dir, 'dead'));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(/-1p\.damaged$/);
    expect(readFileSync(join(dir, 'dead', dead[0] as string), 'utf8')).toContain('uptime_s=9i');
    expect(reopened.deadLetters.points).toBe(1);
  });

  it('refuses an append that would pass max_bytes, keeping what it holds', async () => {
    const spool = await Spool.open(newDir(), options({ maxBytes: 1_500, segmentBytes: 1_000 }));
    await spool.append(points(5));
    const err = await spool.append(points(50, 5)).catch((e) => e);
    expect(err).toBeInstanceOf(SpoolFullError);
    expect(err.reason).toBe('max_bytes');
    expect(spool.full?.reason).toBe('max_bytes');
    expect(spool.points).toBe(5);
    expect((await drain(spool)).seen).toEqual([0, 1, 2, 3, 4]);
    expect(spool.full).toBeUndefined();
  });

  it('bounds dead/: past dead_max_bytes the oldest files go, and their points are counted', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, options({ deadMaxBytes: 3_000 }));
    for (let i = 0; i < 10; i++) {
      const lines = Buffer.from(`${toLineProtocol(points(5, i * 5))}\n`);
      await spool.quarantine([{ lines, points: 5, why: 'test' }]);
    }
    const dead = spool.deadLetters;
    expect(dead.bytes).toBeLessThanOrEqual(3_000);
    expect(dead.set_aside_points).toBe(50);
    expect(dead.points + dead.dropped_points).toBe(50);
    expect(dead.dropped_points).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'dead'))).toHaveLength(dead.files);
  });

  it('forgets a segment moved aside by hand, counting its points, without failing the replayer', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, options({ segmentBytes: 500 }));
    for (let i = 0; i < 6; i++) await spool.append(points(3, i * 3));
    await spool.close();
    const first = segments(dir)[0] as string;
    rmSync(join(dir, first));
    const { seen } = await drain(spool);
    expect(spool.missingPoints).toBeGreaterThan(0);
    expect(seen.length + spool.missingPoints).toBe(18);
    expect(spool.isEmpty).toBe(true);
  });
});

describe('Spool records (line protocol with a header)', () => {
  const hostile = (n: number): Point[] =>
    Array.from({ length: n }, (_, i) => ({
      measurement: 'collector_run',
      tags: { hostname: ['say "hi"', 'a\\,b c', 'Hà Nội 🖥️', '\\n'][i % 4] as string, collector: 'host' },
      fields: {
        points: i,
        error: ['line\nbreak "quoted" \\', '" 1\nL3 10 00000000', '\r\n\t', ''][i % 4] as string,
      },
      time: 1_700_000_000_000 + i,
    }));

  it('gives back exactly the line protocol of what was appended, hostile strings included', async () => {
    const spool = await Spool.open(newDir(), options({ segmentBytes: 2_000 }));
    const batches = Array.from({ length: 12 }, (_, i) =>
      hostile(3 + i).map((p) => ({ ...p, time: p.time + i * 100 })),
    );
    for (const b of batches) await spool.append(b);
    const got: string[] = [];
    for (let seg = await spool.take(); seg; seg = await spool.take()) {
      for (const r of seg.records()) {
        expect(r.kind).toBe('lines');
        if (r.kind === 'lines') {
          expect(splitLines(r.lines)).toHaveLength(r.points);
          got.push(r.lines.toString());
        }
      }
      await spool.remove(seg);
    }
    expect(got).toEqual(batches.map((b) => `${toLineProtocol(b)}\n`));
  });

  it('stores each record as a header (points, bytes, crc32) and the line protocol as it is sent', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, options());
    await spool.append(points(2));
    await spool.close();
    const text = readFileSync(join(dir, segments(dir)[0] as string), 'utf8');
    const body = `${toLineProtocol(points(2))}\n`;
    expect(text).toBe(`L2 ${Buffer.byteLength(body)} ${crc32(body).toString(16).padStart(8, '0')}\n${body}`);
  });

  it('leaves out a torn tail: a record cut short, or one whose checksum fails with nothing whole after it', async () => {
    for (const tear of [
      (r: string) => r.slice(0, r.length - 7), // payload cut short
      (r: string) => r.slice(0, 6), // header cut short
      (r: string) => r.replace('uptime_s=2i', 'uptime_s=\0\0'), // pages never written (zeros)
    ]) {
      const dir = newDir();
      const spool = await Spool.open(dir, options());
      await spool.append(points(2));
      // No close: the segment has no index, as after a crash.
      const [seg] = segments(dir);
      const record = encodeRecord(Buffer.from(`${toLineProtocol(points(1, 2))}\n`), 1).toString();
      appendFileSync(join(dir, seg as string), tear(record));
      const reopened = await Spool.open(dir, options());
      expect(reopened.points).toBe(2);
      await reopened.append(points(1, 3));
      const { seen, corrupt } = await drain(reopened);
      expect(corrupt).toEqual([]);
      expect(seen).toEqual([0, 1, 3]);
    }
  });

  it('sets a record with a damaged header aside and finds the next one, counting what it claimed', async () => {
    const dir = newDir();
    const spool = await Spool.open(dir, options());
    for (let i = 0; i < 3; i++) await spool.append(points(2, i * 2));
    await spool.close();
    const file = join(dir, segments(dir)[0] as string);
    const text = readFileSync(file, 'utf8');
    // The second record's byte count garbled: it can no longer be stepped over by its length.
    const second = text.indexOf('L2 ', 1);
    writeFileSync(file, `${text.slice(0, second + 3)}9${text.slice(second + 4)}`);
    unlinkSync(file.replace('.seg', '.idx'));
    const reopened = await Spool.open(dir, options());
    const { seen, corrupt } = await drain(reopened);
    expect(seen).toEqual([0, 1, 4, 5]);
    expect(corrupt.map((c) => c.points)).toEqual([2]);
    expect(corrupt[0]?.data.toString()).toContain('uptime_s=2i');
  });

  it('replays segments written before line protocol records (`<count> <json>` lines), with or without an index', async () => {
    const dir = newDir();
    const old = (pts: Point[]) => `${pts.length} ${JSON.stringify(pts)}\n`;
    const first = old(points(2, 0)) + old(hostile(3));
    writeFileSync(join(dir, '000000000001.seg'), first);
    writeFileSync(
      join(dir, '000000000001.idx'),
      JSON.stringify({ bytes: Buffer.byteLength(first), points: 5 }),
    );
    // The old segment being appended to at the upgrade: no index, a torn tail.
    writeFileSync(join(dir, '000000000002.seg'), `${old(points(1, 10))}2 [{"measurement":"ho`);
    const spool = await Spool.open(dir, options());
    expect(spool.points).toBe(6);
    await spool.append(points(1, 20));
    const lines: string[] = [];
    for (let seg = await spool.take(); seg; seg = await spool.take()) {
      for (const r of seg.records()) if (r.kind === 'lines') lines.push(r.lines.toString());
      await spool.remove(seg);
    }
    expect(lines).toEqual(
      [points(2, 0), hostile(3), points(1, 10), points(1, 20)].map((p) => `${toLineProtocol(p)}\n`),
    );
    expect(spool.isEmpty).toBe(true);
  });

  it('still yields an old-format line that does not parse as damaged, with the count its prefix claims', async () => {
    const dir = newDir();
    const good = `1 ${JSON.stringify(points(1, 1))}\n`;
    writeFileSync(join(dir, '000000000001.seg'), `3 [{"measurement":"host",#]\n${good}`);
    const spool = await Spool.open(dir, options());
    const { seen, corrupt } = await drain(spool);
    expect(seen).toEqual([1]);
    expect(corrupt.map((c) => c.points)).toEqual([3]);
  });
});

describe('Spool on a full disk', () => {
  it('never acknowledges a short write, leaves no partial record, and takes batches again once space returns', async (ctx) => {
    const dir = smallTmpfs('512k');
    if (!dir) {
      ctx.skip('cannot mount a tmpfs here (needs root and mount): the full-disk test did not run');
      return;
    }
    const spoolDir = join(dir, 'spool');
    const spool = await Spool.open(spoolDir, options({ segmentBytes: 10_000_000 }));
    await spool.append(points(10, 0));
    const acked = spool.bytes;
    const filler = fillDisk(dir, 8 * 1024);
    // ~25 KB of JSON into 8 KiB of room: the write is cut short, then ENOSPC.
    const err = await spool.append(points(200, 10)).catch((e) => e);
    expect(err).toBeInstanceOf(SpoolFullError);
    expect(err.reason).toBe('disk_full');
    expect(spool.full?.reason).toBe('disk_full');
    const [seg] = segments(spoolDir);
    expect(statSync(join(spoolDir, seg as string)).size).toBe(acked);
    // While the disk stays full, batches are refused without writing.
    await expect(spool.append(points(1, 210))).rejects.toBeInstanceOf(SpoolFullError);
    expect(await spool.probeDisk()).toBe(true);

    rmSync(filler);
    expect(await spool.probeDisk()).toBe(false);
    expect(spool.full).toBeUndefined();
    await spool.append(points(5, 300));
    await spool.close();
    const reopened = await Spool.open(spoolDir, options());
    expect(reopened.points).toBe(15);
    const { seen, corrupt } = await drain(reopened);
    expect(corrupt).toEqual([]);
    expect(seen).toEqual([...range(10), ...range(5, 300)]);
  });
});
