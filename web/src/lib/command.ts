const SHELL_META = /[|&;<>()$`\\"'*?[\]#~{}!\n]/;

/**
 * The Run form's command box: empty means the image's default command; text with shell
 * syntax runs as `sh -c <text>`; anything else is split on whitespace.
 */
export function parseCommand(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (SHELL_META.test(t)) return ["sh", "-c", t];
  return t.split(/\s+/);
}
