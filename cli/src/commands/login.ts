import type { Command } from "commander";
import { action } from "../action.js";

export interface LoginArgs {
  /** A Berth server or registry ("127.0.0.1:5000", "https://berth.example.com"); default BERTH_URL. */
  server?: string;
  username?: string;
  passwordStdin: boolean;
}

const TOKEN_PREFIX = "berth_";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Reads one line from the terminal; `hidden` turns echo off (for the password). */
export function prompt(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let line = "";
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(Object.assign(new Error("interrupted"), { name: "Interrupted" }));
        if (ch === "\u007f" || ch === "\b") {
          if (line.length) {
            line = line.slice(0, -1);
            if (!hidden) process.stderr.write("\b \b");
          }
          continue;
        }
        line += ch;
        if (!hidden) process.stderr.write(ch);
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * Logs in to the Berth server at BERTH_URL: with an API token as the password, stores that
 * token; with the user's password, asks the server for a new token and stores it.
 */
export async function login(a: LoginArgs): Promise<void> {
  const [{ config }, { connectWith }, { storeLogin }, { write }, { CliError }, { hostname }] = await Promise.all([
    import("@berth/core"),
    import("../client.js"),
    import("../credentials.js"),
    import("../output.js"),
    import("../errors.js"),
    import("node:os"),
  ]);
  const url = a.server ? serverUrl(a.server) : config().url;
  let username = a.username?.trim() || undefined;
  let password: string;
  if (a.passwordStdin) password = await readStdin();
  else if (process.stdin.isTTY) {
    username ??= (await prompt("Username: ", false)).trim() || undefined;
    password = await prompt("Password: ", true);
  } else throw new CliError("USAGE", "cannot ask for a password without a terminal: pipe it in with --password-stdin");
  if (!password) throw new CliError("USAGE", "login: the password is empty");

  const refused = (e: unknown) => {
    const code = (e as { data?: { code?: string } })?.data?.code;
    return code === "UNAUTHORIZED" ? new CliError("UNAUTHORIZED", "login failed: invalid username or password") : e;
  };
  if (password.startsWith(TOKEN_PREFIX)) {
    const me = await connectWith(url, password).api.auth.whoami.query().catch((e: unknown) => {
      throw refused(e);
    });
    if (username && username !== me.name) throw new CliError("UNAUTHORIZED", `login failed: this API token belongs to "${me.name}", not "${username}"`);
    storeLogin(url, { user: me.name, token: password });
  } else {
    if (!username) throw new CliError("USAGE", "login: give the user name with -u (or use an API token as the password)");
    const t = await connectWith(url, undefined).api.token.login.mutate({ name: username, password, client: hostname() }).catch((e: unknown) => {
      throw refused(e);
    });
    storeLogin(url, { user: t.name, token: t.token, minted: true });
  }
  await write(process.stdout, "Login Succeeded\n");
}

/** "127.0.0.1:5000" → http (loopback, as Docker treats it), other hosts → https; a URL stays as given. */
export function serverUrl(server: string): string {
  if (/^https?:\/\//.test(server)) return server.replace(/\/+$/, "");
  const host = server.replace(/\/+$/, "");
  const bare = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  const loopback = bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
  return `${loopback ? "http" : "https"}://${host}`;
}

export function register(program: Command, handler: (a: LoginArgs) => Promise<number | void> = login): Command {
  return program
    .command("login")
    .description("Log in to the Berth server (BERTH_URL) and store the credentials for later commands")
    .usage("[OPTIONS] [SERVER]")
    .argument("[server]", "a Berth server or registry host (default: BERTH_URL)")
    .option("-u, --username <name>", "user name")
    .option("--password-stdin", "take the password (or an API token) from stdin")
    .action(
      action("other", (server: string | undefined, opts: { username?: string; passwordStdin?: boolean }) =>
        handler({ ...(server ? { server } : {}), ...(opts.username !== undefined ? { username: opts.username } : {}), passwordStdin: !!opts.passwordStdin }),
      ),
    );
}
