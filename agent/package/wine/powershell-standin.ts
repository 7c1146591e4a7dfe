/**
 * A stand-in `powershell.exe` for the Windows package tests under Wine (which has no PowerShell and
 * no WMI): built into node.exe as a single executable (agent/package/wine/standin.ts) and put where
 * Windows keeps PowerShell, only in the tests' Wine prefix. It answers the commands the agent sends
 * (systeminformation's WMI queries, the antivirus collector's scripts) with captured output, so
 * everything on the agent's side of the process boundary runs for real.
 *
 * - `replay.json` beside the executable lists `{ match, file }`: the first entry whose `match` occurs
 *   in a command answers it with the file's bytes;
 * - a command no entry matches prints nothing, as PowerShell does for a WMI class with no instances,
 *   so the agent reports that part as unknown instead of waiting; it is appended to `unanswered.log`
 *   beside the executable, for the test to show;
 * - the three ways the agent runs PowerShell: `-EncodedCommand` (UTF-16LE base64), `-Command <text>`,
 *   and `-Command -` with commands on stdin between the `echo` markers of systeminformation's
 *   persistent session.
 *
 * Never on stderr: systeminformation takes any stderr byte as the failure of the pending command.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Answer {
  match: string;
  file: string;
}

const here = dirname(process.execPath);
const answers: Answer[] = existsSync(join(here, 'replay.json'))
  ? (JSON.parse(readFileSync(join(here, 'replay.json'), 'utf8')) as Answer[])
  : [];

/** What systeminformation puts before every command to get UTF-8 back: no output of its own. */
const encodingPrelude = /^\s*\$OutputEncoding\s*=.*?::UTF8\s*;\s*/;

function answer(command: string): string {
  const cmd = command.replace(encodingPrelude, '').trim();
  if (cmd === '') return '';
  const hit = answers.find((a) => cmd.includes(a.match));
  if (hit) return readFileSync(hit.file, 'utf8');
  appendFileSync(join(here, 'unanswered.log'), `${cmd}\n`);
  return '';
}

/** One line of a persistent session: `echo X;` prints X, `exit` ends, anything else is a command. */
function sessionLine(line: string): string | 'exit' {
  const rest = line.replace(encodingPrelude, '');
  if (/^\s*exit\s*$/i.test(rest)) return 'exit';
  const echo = /^\s*echo\s+(\S+?)\s*;?\s*$/.exec(rest);
  if (echo) return `${echo[1]}\r\n`;
  return answer(rest);
}

function main(args: string[]): void {
  const flag = (name: string) => {
    const i = args.findIndex((a) => a.toLowerCase() === name.toLowerCase());
    return i >= 0 ? args[i + 1] : undefined;
  };
  const encoded = flag('-EncodedCommand');
  const command = flag('-Command');
  if (encoded !== undefined) {
    process.stdout.write(answer(Buffer.from(encoded, 'base64').toString('utf16le')));
    return;
  }
  if (command !== undefined && command !== '-') {
    process.stdout.write(answer(command));
    return;
  }
  // A session: commands on stdin, one per line, until `exit` or the end of input.
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      const out = sessionLine(line);
      if (out === 'exit') {
        process.stdout.write('', () => process.exit(0));
        return;
      }
      if (out !== '') process.stdout.write(out);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

main(process.argv.slice(2));
