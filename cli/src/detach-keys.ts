/**
 * Docker's default detach sequence, Ctrl-P Ctrl-Q: input passes through until the sequence, which
 * is never sent. A lone Ctrl-P at the end of a read is held until the next read shows what follows.
 */
const CTRL_P = 0x10;
const CTRL_Q = 0x11;

export function detachFilter(): (d: Buffer) => Buffer | "detach" {
  let held = false;
  return (d) => {
    const buf = held ? Buffer.concat([Buffer.from([CTRL_P]), d]) : d;
    held = false;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== CTRL_P) continue;
      if (i === buf.length - 1) {
        held = true;
        return buf.subarray(0, i);
      }
      if (buf[i + 1] === CTRL_Q) return "detach";
    }
    return buf;
  };
}
