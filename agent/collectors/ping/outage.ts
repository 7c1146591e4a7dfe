/** Why a target is reported the way it is. */
export interface Attribution {
  cause: '' | 'down' | 'parent_down';
  /** With parent_down: the down upstream endpoint the outage starts at; else "". */
  parent_id: string;
}

export interface Node {
  id: string;
  parent?: string | undefined;
}

/**
 * Outage attribution over the endpoint tree: a down endpoint behind a down parent is not an outage
 * of its own. Walking up through consecutive down ancestors, the topmost one is where the outage
 * starts, and that is what `parent_id` names (a commune behind a down district behind a down province
 * point names the province point). An ancestor whose state is unknown (not probed) stops the walk:
 * nothing is blamed on a guess.
 *
 * @example
 * attributeOutages([{ id: 'p' }, { id: 'd', parent: 'p' }, { id: 'c', parent: 'd' }],
 *   (id) => id === 'p');
 * // d → { cause: 'down', parent_id: '' }, c → { cause: 'parent_down', parent_id: 'd' }
 */
export function attributeOutages(
  nodes: readonly Node[],
  isUp: (id: string) => boolean | undefined,
): Map<string, Attribution> {
  const parentOf = new Map(nodes.map((n) => [n.id, n.parent]));
  const out = new Map<string, Attribution>();
  for (const node of nodes) {
    const up = isUp(node.id);
    if (up === undefined) continue;
    if (up) {
      out.set(node.id, { cause: '', parent_id: '' });
      continue;
    }
    let origin: string | undefined;
    const seen = new Set([node.id]);
    for (let p = node.parent; p !== undefined && !seen.has(p) && isUp(p) === false; p = parentOf.get(p)) {
      seen.add(p);
      origin = p;
    }
    out.set(node.id, origin ? { cause: 'parent_down', parent_id: origin } : { cause: 'down', parent_id: '' });
  }
  return out;
}

/**
 * Ancestors of the down nodes whose state is unknown, so a sharded poller can probe them too
 * before attributing (a commune in this shard, its district in another).
 */
export function unknownAncestors(
  nodes: readonly Node[],
  downIds: Iterable<string>,
  known: (id: string) => boolean,
): string[] {
  const parentOf = new Map(nodes.map((n) => [n.id, n.parent]));
  const wanted = new Set<string>();
  for (const id of downIds) {
    const seen = new Set([id]);
    for (let p = parentOf.get(id); p !== undefined && !seen.has(p); p = parentOf.get(p)) {
      seen.add(p);
      if (!known(p) && parentOf.has(p)) wanted.add(p);
    }
  }
  return [...wanted];
}
