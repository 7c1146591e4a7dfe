/**
 * Test support (not a test): network namespaces the test creates and deletes, reached from the
 * test's own namespace over veth pairs in 10.231.<b>.0/24, a /24 no route or address of the machine
 * uses. Traffic to them never leaves the machine.
 */
import { execFileSync } from 'node:child_process';

function run(args: string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { timeout: 10_000, encoding: 'utf8', input, stdio: 'pipe' });
}

export interface Lab {
  /** Short word in every name the lab creates (`ht-<tag>-<pid>-…`). */
  tag: string;
  /** The /24 this lab owns, e.g. "10.231.37". */
  net: string;
  namespaces: string[];
  /** Links hanging off the test's own namespace (deleted with their peers, but also on their own). */
  rootLinks: string[];
  /** Runs a command inside a namespace of this lab. */
  exec(ns: string, args: string[], input?: string): string;
  teardown(): void;
}

/** A third octet of 10.231.x.0/24 that no address or route of this machine mentions. */
function freeOctet(seed: number): number {
  const inUse = run(['ip', '-4', 'addr']) + run(['ip', '-4', 'route']);
  for (let k = 0; k < 200; k++) {
    const b = (seed + k) % 200;
    if (!inUse.includes(`10.231.${b}.`)) return b;
  }
  throw new Error('netns lab: no free 10.231.x.0/24 left');
}

/** Starts a lab named `ht-<tag>-<pid>-…`; call `teardown()` in afterAll, also when setup failed. */
export function createLab(tag: string): Lab {
  const b = freeOctet(process.pid + tag.length * 37);
  const lab: Lab = {
    tag,
    net: `10.231.${b}`,
    namespaces: [],
    rootLinks: [],
    exec: (ns, args, input) => run(['ip', 'netns', 'exec', ns, ...args], input),
    teardown() {
      for (const ns of lab.namespaces.splice(0)) {
        try {
          run(['ip', 'netns', 'del', ns]);
        } catch {
          // already gone
        }
      }
      for (const link of lab.rootLinks.splice(0)) {
        try {
          run(['ip', 'link', 'del', link]);
        } catch {
          // removed with its peer's namespace
        }
      }
    },
  };
  return lab;
}

/** Adds namespace `ht-<tag>-<pid>-<name>` to the lab and returns its full name. */
export function addNamespace(lab: Lab, name: string): string {
  const ns = `ht-${lab.tag}-${process.pid}-${name}`;
  run(['ip', 'netns', 'add', ns]);
  lab.namespaces.push(ns);
  run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  return ns;
}

/**
 * Joins the test's namespace to `ns` with a veth pair on 10.231.<b>.<4k>/30: the test side gets
 * .4k+1, the namespace side (its eth0) .4k+2. Returns both addresses.
 */
export function linkFromRoot(
  lab: Lab,
  ns: string,
  k: number,
): { root: string; inside: string; rootLink: string } {
  const rootLink = `h${lab.tag.slice(0, 3)}${process.pid % 100_000}${String.fromCharCode(97 + k)}`;
  run(['ip', 'link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  lab.rootLinks.push(rootLink);
  const root = `${lab.net}.${4 * k + 1}`;
  const inside = `${lab.net}.${4 * k + 2}`;
  run(['ip', 'addr', 'add', `${root}/30`, 'dev', rootLink]);
  run(['ip', 'link', 'set', rootLink, 'up']);
  run(['ip', '-n', ns, 'addr', 'add', `${inside}/30`, 'dev', 'eth0']);
  run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  return { root, inside, rootLink };
}

/**
 * Puts `child` behind `parent`: a veth pair between them on 10.231.<b>.<4k>/30 (parent .4k+1 on
 * down<k>, child .4k+2 on eth0), the parent forwarding, the child's default route through it, and the
 * test namespace's route to that /30 through `parentAddress`.
 */
export function linkBehind(
  lab: Lab,
  parent: string,
  parentAddress: string,
  child: string,
  k: number,
): { inside: string } {
  const dev = `down${k}`;
  run(['ip', '-n', parent, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', child]);
  const gw = `${lab.net}.${4 * k + 1}`;
  const inside = `${lab.net}.${4 * k + 2}`;
  run(['ip', '-n', parent, 'addr', 'add', `${gw}/30`, 'dev', dev]);
  run(['ip', '-n', parent, 'link', 'set', dev, 'up']);
  run(['ip', '-n', child, 'addr', 'add', `${inside}/30`, 'dev', 'eth0']);
  run(['ip', '-n', child, 'link', 'set', 'eth0', 'up']);
  run(['ip', '-n', child, 'route', 'add', 'default', 'via', gw]);
  lab.exec(parent, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  run(['ip', 'route', 'add', `${lab.net}.${4 * k}/30`, 'via', parentAddress]);
  return { inside };
}

/** Drops about `tenths`/10 of the echo requests arriving in `ns`, at random (nftables numgen). */
export function dropEchoRequests(lab: Lab, ns: string, tenths: number): void {
  lab.exec(
    ns,
    ['nft', '-f', '-'],
    `table inet ht_loss {
  chain input {
    type filter hook input priority 0;
    icmp type echo-request numgen random mod 10 < ${tenths} drop
  }
}
`,
  );
}

export function setLink(lab: Lab, ns: string, dev: string, state: 'up' | 'down'): void {
  lab.exec(ns, ['ip', 'link', 'set', dev, state]);
}
