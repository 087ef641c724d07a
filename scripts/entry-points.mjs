// The HTTP routes and socket.io events of web, read from their handlers' source: the route
// tables, each handler's path constant and the action it passes to httpActor()/socketActor().
// Used by scripts/policy-table.mjs (docs/policy.md) and by test/teams-walk.test.ts, which walks
// each of them as the wrong user (a new route or event it does not know fails that test).
import fs from "node:fs";
import path from "node:path";

/** Every .ts under a directory (tests excluded). */
export function sources(root, dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(root, p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

/** `const NAME = { key: "value", … }` objects and `const NAME = "…"` of core and web, for event-name constants. */
export function coreConstants(root) {
  const consts = {};
  for (const f of [...sources(root, "core/src"), ...sources(root, "web/src/server")]) {
    const text = fs.readFileSync(path.join(root, f), "utf8");
    for (const m of text.matchAll(/(?:export )?const (\w+) = \{([\s\S]*?)\} as const;/g)) {
      for (const kv of m[2].matchAll(/(\w+):\s*"([^"]+)"/g)) consts[`${m[1]}.${kv[1]}`] = kv[2];
    }
    for (const m of text.matchAll(/(?:export )?const (\w+) = "([^"]+)";/g)) consts[m[1]] = m[2];
  }
  return consts;
}

/** [{ method, path, action, file }] of every web HTTP route that asks the policy. */
export function httpRoutes(root) {
  const rows = [];
  for (const f of sources(root, "web/src/server")) {
    const text = fs.readFileSync(path.join(root, f), "utf8");
    // Route tables: "/api/…": { method: "POST", action: "image.manage", … } (git's: "/git/TEAM/NAME.git/…")
    for (const m of text.matchAll(/"(\/(?:api|git)\/[^"]+)":\s*\{\s*method:\s*"(\w+)",\s*action:\s*"([\w.]+)"/g)) rows.push({ method: m[2], path: m[1], action: m[3], file: f });
    // One route per handler: its path constant, and the action passed to httpActor().
    const calls = [...text.matchAll(/httpActor\(\s*s,\s*req,\s*"([\w.]+)"/g), ...text.matchAll(/actorWithPolicy\(\s*s,\s*\w+,\s*\w+,\s*"([\w.]+)"/g)].map((m) => m[1]);
    if (!calls.length) continue;
    // HEAD is GET without a body: walked as GET.
    const pathConst = /(?:export )?const (?:\w*PATH|ROUTE) = "([^"]+)";/.exec(text);
    if (!pathConst) throw new Error(`${f} calls httpActor() but names no *_PATH or ROUTE constant: add one so the policy table finds it`);
    const methods = [...new Set([...text.matchAll(/req\.method !== "(\w+)"/g)].map((m) => m[1]).filter((m) => m !== "HEAD"))];
    for (const a of new Set(calls)) rows.push({ method: methods.join(", ") || "*", path: pathConst[1], action: a, file: f });
  }
  return rows.sort((a, b) => a.path.localeCompare(b.path));
}

/** [{ event, action, file }] of every socket.io event a browser or CLI may send (action null: acts on a session it opened). */
export function socketEvents(root) {
  const consts = coreConstants(root);
  const name = (expr) => consts[expr.trim()] ?? expr.trim().replace(/^"|"$/g, "");
  const rows = [];
  for (const f of sources(root, "web/src/server")) {
    if (f.includes("/agent/")) continue; // the workers' namespace: host tokens, not users
    const text = fs.readFileSync(path.join(root, f), "utf8");
    const guarded = new Map();
    for (const m of text.matchAll(/socketActor\(\s*s,\s*socket,\s*([^,]+?),\s*([^,]+?),/g)) {
      // `kind === "exec" ? A : B` for both the event and the action.
      const ev = /\?\s*([^:]+):\s*(.+)$/.exec(m[1]);
      const ac = /\?\s*([^:]+):\s*(.+)$/.exec(m[2]);
      if (ev && ac) {
        guarded.set(name(ev[1]), ac[1].trim().replace(/"/g, ""));
        guarded.set(name(ev[2]), ac[2].trim().replace(/"/g, ""));
      } else guarded.set(name(m[1]), m[2].trim().replace(/"/g, ""));
    }
    for (const m of text.matchAll(/socket\.on\(\s*([\w.]+|"[^"]+")\s*,/g)) {
      const event = name(m[1]);
      if (event === "disconnect") continue;
      // `events:open` reads through an EventAudience: only the events of the user's teams.
      const audience = text.includes("new EventAudience(") && event.endsWith(":open") ? "events.read" : null;
      rows.push({ event, action: guarded.get(event) ?? audience, file: f });
    }
  }
  return rows;
}
