/** Docker's "[y/N]" question on stdin; anything but y/yes, or stdin closed, is no. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const closed = new Promise<string>((resolve) => rl.once("close", () => resolve("")));
  try {
    return /^y(es)?$/i.test((await Promise.race([rl.question(question), closed])).trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}
