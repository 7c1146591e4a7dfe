import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { win32 } from 'node:path';
import { renderAgentConfig } from './config-template.js';

export interface WindowsInstallOptions {
  /** agent.yaml, by default %ProgramData%\hatang\agent.yaml. */
  configPath: string;
  /** Checked collector URLs (serverUrl()); needed when agent.yaml does not exist yet. */
  servers: string[];
  /** Checked enrollment token (checkToken()), or undefined to keep what is there. */
  token: string | undefined;
  stateDir?: string | undefined;
}

/**
 * `hatang-agent.exe install` on Windows, run by the MSI (as LocalSystem) or by hand: writes
 * agent.yaml from the template when absent (state and logs beside it, the token read from
 * enrollment-token.txt) and the token file, readable by SYSTEM and Administrators only. The
 * service itself is the MSI's (or install-windows.ps1's): this step only prepares its files.
 * Returns what was done, one line each.
 */
export async function installWindows(o: WindowsInstallOptions): Promise<string[]> {
  const dataDir = win32.dirname(o.configPath);
  const tokenFile = win32.join(dataDir, 'enrollment-token.txt');
  const done: string[] = [];
  await mkdir(dataDir, { recursive: true });
  if (existsSync(o.configPath)) {
    done.push(`config      ${o.configPath} exists: kept as it is`);
  } else {
    if (o.servers.length === 0)
      throw new Error(
        `--server <url> is required: ${o.configPath} does not exist yet and is written with it`,
      );
    const text = renderAgentConfig({
      serverUrls: o.servers,
      stateDir: o.stateDir ?? win32.join(dataDir, 'state'),
      tokenFile,
      logFile: win32.join(dataDir, 'logs', 'agent.log'),
    });
    await writeFile(o.configPath, text.replaceAll('\n', '\r\n'), 'utf8');
    done.push(`config      ${o.configPath} written`);
  }
  if (o.token === undefined) {
    done.push(
      existsSync(tokenFile)
        ? `token       ${tokenFile} exists: kept`
        : `token       none given (--token-file): an agent not yet enrolled cannot enroll; write the token to ${tokenFile}`,
    );
  } else {
    await writeFile(tokenFile, `${o.token}\r\n`, 'utf8');
    const acl = await restrictToAdmins(tokenFile);
    done.push(`token       ${tokenFile} written (${acl})`);
  }
  return done;
}

/** Removes inherited access and lets only SYSTEM and Administrators (well-known SIDs) read the file. */
function restrictToAdmins(file: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'icacls',
      [file, '/inheritance:r', '/grant:r', '*S-1-5-18:F', '*S-1-5-32-544:F'],
      { timeout: 30_000, windowsHide: true },
      (err) =>
        resolve(
          err
            ? `WARNING: icacls failed (${err.message.split('\n')[0]}): restrict it by hand`
            : 'SYSTEM and Administrators only',
        ),
    );
  });
}
