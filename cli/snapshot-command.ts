import { UsageError } from '../lib/config.js';

type Subcommand = (argv: string[]) => Promise<number>;

/** `hatang snapshot <sub>`: a plain map, one line per subcommand, each module loaded only when used. */
const subcommands: Record<string, Subcommand> = {
  verify: async (argv) => (await import('./snapshot-verify.js')).snapshotVerifyCommand(argv),
  create: async (argv) => (await import('./snapshot-keep-command.js')).snapshotKeepCommands.create(argv),
  list: async (argv) => (await import('./snapshot-keep-command.js')).snapshotKeepCommands.list(argv),
  keys: async (argv) => (await import('./snapshot-keep-command.js')).snapshotKeepCommands.keys(argv),
  'audit-log': async (argv) =>
    (await import('./snapshot-keep-command.js')).snapshotKeepCommands['audit-log'](argv),
};

export const snapshotUsage = `usage:
  hatang snapshot verify <bundle.zip> [--public-key <file>]... [--json]
                                   check a compliance snapshot offline (hatang snapshot verify --help)
  hatang snapshot create --from <date> --to <date> [--scope <site>]... [--lang vi|en] [--out file.zip] [--config server.yaml]
                                   make, sign and keep a snapshot with the server's config and key (--to excluded)
  hatang snapshot list [--json] [--config …]           the kept snapshots, newest first
  hatang snapshot keys list|rotate [--json] [--config …]   signing keys; rotate: a new key signs from now on
  hatang snapshot audit-log [--from] [--to] [--format json|csv] [--out file] [--config …]`;

/** Routes `hatang snapshot <sub> …` to its subcommand. */
export async function snapshotCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(snapshotUsage);
    return 0;
  }
  const sub = name ? subcommands[name] : undefined;
  if (!sub) {
    throw new UsageError(
      `snapshot: ${name ? `unknown subcommand "${name}"` : 'missing subcommand'} (known: ${Object.keys(subcommands).join(', ')})`,
    );
  }
  return sub(rest);
}
