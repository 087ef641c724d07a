#!/usr/bin/env node
// Every entry point of Berth and the policy that guards it, as markdown (docs/policy.md is its
// output: `node scripts/policy-table.mjs > docs/policy.md`). Generated from the code: the tRPC
// router is walked (built web, as web/src/server/policy/coverage.test.ts walks it), the HTTP
// routes and socket.io events are read from the handlers' source (their route tables, the
// action each passes to httpActor()/socketActor()), the registry's scopes from its role table.
// What no policy call guards (health, sign-in, the registry's token exchange, the agent link)
// is listed with what guards it instead. Needs `npx turbo run build` first.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { httpRoutes, socketEvents } from "./entry-points.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const src = (p) => fs.readFileSync(path.join(root, p), "utf8");

/** Every action an entry point may name, with the least role that holds it. */
function roleTable() {
  const { ROLE_ACTIONS, ROLES } = require(path.join(root, "web/dist/src/server/policy/roles.js"));
  const least = {};
  for (const role of ROLES) for (const a of ROLE_ACTIONS[role]) least[a] ??= role;
  return least;
}

const least = roleTable();
const who = (policy) => {
  if (policy === "host token") return "the edge process only";
  if (policy === "public") return "anyone (no sign-in)";
  if (policy === "self") return "any signed-in user (their own account)";
  if (policy === "site") return "the site admin";
  if (least[policy]) return `${least[policy]} of the current team`;
  return "?";
};

// ---- tRPC -----------------------------------------------------------------------------------
function trpcRows() {
  const { appRouter } = require(path.join(root, "web/dist/src/server/routers/_app.js"));
  return Object.entries(appRouter._def.procedures)
    .map(([p, proc]) => [p, proc._def.type, proc._def.meta?.policy ?? "MISSING"])
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([p, type, policy]) => `| \`${p}\` | ${type} | \`${policy}\` | ${who(policy)} |`);
}

// ---- HTTP routes --------------------------------------------------------------------------------
function httpRows() {
  const fixed = [
    ["GET", "/api/health", "public", "web/server.ts", "liveness: hosts and agents online, nothing else"],
    ["GET", "/auth/oidc/login, /auth/oidc/callback", "public", "web/src/server/auth/oidc.ts", "OpenID Connect sign-in (state + PKCE checked)"],
    ["GET", "/invite/TOKEN and the dashboard pages", "self", "web/src/app", "a session; pages read through the tRPC procedures above"],
    ["POST", "/api/edge/authorize", "host token", "web/src/server/edge/http.ts", "the edge process asks whether one request may pass (the instance's agent key, never a user); the answer is `edgeVerdict()` in web/src/server/policy/edge.ts, which asks can()"],
    ["GET", "/api/edge/return", "self", "web/src/server/edge/http.ts", "a signed-in browser sent back to a port link: a one-time code hands its session to the link's host"],
    ["POST", "/git/TEAM/NAME/webhook", "public", "web/src/server/projects/webhook-http.ts", "an outside repository's push webhook, signed with the project's webhook secret (GitHub/Gitea HMAC-SHA256, GitLab token); a wrong signature is refused before anything is fetched"],
    ["POST", "/git/-/hook", "public", "web/src/server/git/hook.ts", "a repository's post-receive hook hands a push back to web with the one-time secret web gave that push's git (after the push's own `project.push` check)"],
  ];
  const body = httpRoutes(root).map((r) => `| ${r.method} | \`${r.path}\` | \`${r.action}\` | ${who(r.action)} | \`${r.file}\` |`);
  return [...body, ...fixed.map(([method, p, policy, f, note]) => `| ${method} | \`${p}\` | \`${policy}\` | ${who(policy)}: ${note} | \`${f}\` |`)];
}

// ---- socket.io ----------------------------------------------------------------------------------
function socketRows() {
  const rows = socketEvents(root).map((e) =>
    e.event === "events:open"
      ? `| \`/\` | \`${e.event}\` | \`${e.action}\` | any signed-in user: only the events of the teams they are in (the site admin: all) | \`${e.file}\` |`
      : e.action
        ? `| \`/\` | \`${e.event}\` | \`${e.action}\` | ${who(e.action)} | \`${e.file}\` |` : `| \`/\` | \`${e.event}\` | session | only on a session this socket opened with the start event above it | \`${e.file}\` |`,
  );
  rows.unshift("| `/` | connect | `self` | a session cookie or API token (`auth.token`); the team from `auth.team` | `web/src/server/socket/auth.ts` |");
  rows.push("| `/` | `event` (server → client) | `events.read` | relayed only to sockets whose user is in the event's team (the site admin: all) | `web/src/server/socket/events.ts` |");
  rows.push("| `/agent` | every event | host token | a worker's host token, never a user | `web/src/server/agent/index.ts` |");
  return rows;
}

// ---- registry ---------------------------------------------------------------------------------
function registryRows() {
  const { REGISTRY_TEAM_ACTION } = require(path.join(root, "web/dist/src/server/policy/registry.js"));
  const scopes = Object.entries(REGISTRY_TEAM_ACTION).map(([scope, action]) => `| \`repository:NS/X:${scope}\` | \`${action}\` | ${least[action]} of team NS${scope === "pull" ? " (a public repository: anyone)" : ""}; the site admin |`);
  const text = src("web/src/server/registry/index.ts");
  const routes = [];
  for (const m of text.matchAll(/case "(\w+)":\s*(?:\{[^}]*?)?return \{([^}]*)\}/g)) {
    const methods = [...m[2].matchAll(/\b(GET|HEAD|PUT|POST|PATCH|DELETE):/g)].map((x) => x[1]);
    if (methods.length) routes.push([m[1], methods.join(", ")]);
  }
  const scopeOf = { base: "a valid token (any user)", catalog: "`registry:catalog:*`, filtered to what the caller may pull", tags: "pull", manifest: "GET/HEAD pull, PUT push, DELETE delete", blob: "GET/HEAD pull, DELETE delete", uploads: "push (a cross-repository mount also needs pull on the source); within team NS's disk quota", upload: "push; PATCH/PUT within team NS's disk quota (DENIED over it, the upload dropped)", referrers: "pull" };
  return {
    scopes,
    routes: [
      ...routes.map(([kind, methods]) => `| ${kind} | ${methods} | ${scopeOf[kind] ?? "?"} |`),
      "| token (`/v2/token`) | GET | credentials (user + password or API token); grants the scopes the role table allows, never more than asked |",
    ],
  };
}

const reg = registryRows();
const out = [
  "# Entry points and their policy",
  "",
  "Generated by `node scripts/policy-table.mjs` from the code (the tRPC router walked, the HTTP",
  "handlers' route tables and httpActor()/socketActor() calls read); do not edit by hand. Every",
  "decision is `can(actor, action, resource)` in `web/src/server/policy/`; another team's object",
  "answers NotFound, as a missing one. The role that holds each action is in",
  "`web/src/server/policy/roles.ts` (a viewer reads; a member changes the team's objects; an admin",
  "runs the team; an owner deletes or hands it over). Host-level power (binds outside the team's",
  "granted host paths, extra capabilities, the host's network) is the site admin's",
  "(`web/src/server/policy/host-power.ts`).",
  "",
  "## tRPC procedures (`/api/trpc/<procedure>`)",
  "",
  "| procedure | type | policy | who may |",
  "|---|---|---|---|",
  ...trpcRows(),
  "",
  "## HTTP routes",
  "",
  "| method | path | policy | who may | handler |",
  "|---|---|---|---|---|",
  ...httpRows(),
  "",
  "## socket.io",
  "",
  "| namespace | event | policy | who may | handler |",
  "|---|---|---|---|---|",
  ...socketRows(),
  "",
  "## Registry (`/v2/`)",
  "",
  "Docker token auth: `/v2/token` turns credentials into a token carrying the scopes the caller",
  "holds; each endpoint then needs the scope below. A repository `ns/x` belongs to team `ns`.",
  "",
  "| scope | action | who may |",
  "|---|---|---|",
  ...reg.scopes,
  "",
  "| endpoint | methods | scope needed |",
  "|---|---|---|",
  ...reg.routes,
  "",
];
process.stdout.write(out.join("\n"));
