import { describe, expect, it } from 'vitest';
import { attributeOutages, unknownAncestors } from './outage.js';

// province core → district → commune, plus a second commune and an unrelated province point.
const tree = [
  { id: 'core' },
  { id: 'district', parent: 'core' },
  { id: 'commune-1', parent: 'district' },
  { id: 'commune-2', parent: 'district' },
  { id: 'other' },
];

describe('attributeOutages', () => {
  it('names the topmost down ancestor when a whole branch is down', () => {
    const up = new Map([
      ['core', false],
      ['district', false],
      ['commune-1', false],
      ['commune-2', true],
      ['other', true],
    ]);
    const a = attributeOutages(tree, (id) => up.get(id));
    expect(a.get('core')).toEqual({ cause: 'down', parent_id: '' });
    expect(a.get('district')).toEqual({ cause: 'parent_down', parent_id: 'core' });
    expect(a.get('commune-1')).toEqual({ cause: 'parent_down', parent_id: 'core' });
    expect(a.get('commune-2')).toEqual({ cause: '', parent_id: '' });
    expect(a.get('other')).toEqual({ cause: '', parent_id: '' });
  });

  it("stops at an up parent: the outage is the target's own even if a grandparent is down", () => {
    const up = new Map([
      ['core', false],
      ['district', true],
      ['commune-1', false],
    ]);
    const a = attributeOutages(tree, (id) => up.get(id));
    expect(a.get('commune-1')).toEqual({ cause: 'down', parent_id: '' });
  });

  it('blames nothing on a parent whose state is unknown, and survives a parent cycle', () => {
    const up = new Map([['commune-1', false]]);
    expect(attributeOutages(tree, (id) => up.get(id)).get('commune-1')).toEqual({
      cause: 'down',
      parent_id: '',
    });
    const cycle = [
      { id: 'a', parent: 'b' },
      { id: 'b', parent: 'a' },
    ];
    const a = attributeOutages(cycle, () => false);
    expect(a.get('a')).toEqual({ cause: 'parent_down', parent_id: 'b' });
    expect(a.get('b')).toEqual({ cause: 'parent_down', parent_id: 'a' });
  });
});

describe('unknownAncestors', () => {
  it('lists the unprobed ancestors of down targets, each once', () => {
    const known = new Set(['commune-1', 'commune-2']);
    expect(unknownAncestors(tree, ['commune-1', 'commune-2'], (id) => known.has(id)).sort()).toEqual([
      'core',
      'district',
    ]);
    expect(unknownAncestors(tree, ['other'], () => false)).toEqual([]);
  });
});
