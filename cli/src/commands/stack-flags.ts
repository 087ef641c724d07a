// `stack ps -p NAME` as well as `stack -p NAME ps`: Compose takes the flags on either side.
export const P_FLAG = "-p, --project-name <name>";
export const P_HELP = "stack name (default: the directory's name)";
export const F_FLAG = "-f, --file <file>";
export const F_HELP = "compose file (repeatable; later files override earlier ones)";
export const collect = (v: string, prev: string[]) => [...prev, v];
