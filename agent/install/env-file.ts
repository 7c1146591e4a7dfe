export const tokenVariable = 'HATANG_ENROLLMENT_TOKEN';

/**
 * Checks an enrollment token before it is written anywhere: what `hatang token new` prints
 * (base64url) passes; whitespace, quotes, `$` and backslashes are refused because systemd would
 * interpret them in an EnvironmentFile. The agent's schema wants at least 16 characters.
 */
export function checkToken(token: string): string {
  if (token.length < 16)
    throw new Error(`enrollment token: too short (${token.length} characters, at least 16)`);
  if (token.length > 512)
    throw new Error(`enrollment token: too long (${token.length} characters, at most 512)`);
  if (!/^[A-Za-z0-9._~+/=-]+$/.test(token)) {
    throw new Error(
      'enrollment token: only letters, digits and . _ ~ + / = - are allowed (as printed by `hatang token new`)',
    );
  }
  return token;
}

/**
 * The environment file's new text: `existing` (a systemd EnvironmentFile, possibly empty) with its
 * HATANG_ENROLLMENT_TOKEN line set to `token`; any other lines are kept as they were.
 */
export function renderEnvFile(existing: string, token: string): string {
  const line = `${tokenVariable}=${checkToken(token)}`;
  const lines = existing.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
  const at = lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${tokenVariable}\\s*=`).test(l));
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  return `${lines.join('\n')}\n`;
}

/** Whether an environment file's text sets a non-empty token. */
export function hasToken(text: string): boolean {
  return new RegExp(`^\\s*(export\\s+)?${tokenVariable}\\s*=\\s*\\S`, 'm').test(text);
}
