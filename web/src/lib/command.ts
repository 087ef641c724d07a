const SHELL_META = /[|&;<>()$`\\"'*?[\]#~{}!\n]/;

/** `sh -c '…'` typed as a whole: its script, unquoted, so it is not wrapped in a second shell. */
const EXPLICIT_SHELL = /^((?:\/bin\/)?(?:ba)?sh) -c (?:'([^']*)'|"((?:[^"\\]|\\.)*)")$/;

/**
 * The Run form's command box: empty means the image's default command; text with shell
 * syntax runs as `sh -c <text>` (or as the `sh -c '…'` it already is); anything else is split
 * on whitespace.
 */
export function parseCommand(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const explicit = EXPLICIT_SHELL.exec(t);
  if (explicit) return [explicit[1]!, "-c", explicit[2] ?? explicit[3]!.replace(/\\(.)/g, "$1")];
  if (SHELL_META.test(t)) return ["sh", "-c", t];
  return t.split(/\s+/);
}
