import { UsageError } from '../lib/config.js';

type Subcommand = (argv: string[]) => Promise<number>;

/** `hatang snapshot <sub>`: a plain map, one line per subcommand, each module loaded only when used. */
const subcommands: Record<string, Subcommand> = {
  verify: async (argv) => (await import('./snapshot-verify.js')).snapshotVerifyCommand(argv),
};

export const snapshotUsage = `usage:
  hatang snapshot verify <bundle.zip> [--public-key <file>]... [--json]
                                   check a compliance snapshot offline (hatang snapshot verify --help)`;

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
