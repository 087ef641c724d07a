import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// Same default as core/src/config.ts: the SQLite file inside BERTH_HOME.
const home = process.env.BERTH_HOME ?? "/var/lib/berth";
const url = process.env.DATABASE_URL ?? `file:${path.join(home, "berth.db")}`;
if (/^postgres(ql)?:/.test(url)) {
  // The PostgreSQL variant (its own schema, migrations and generated client) comes with scale-out.
  throw new Error("DATABASE_URL points at PostgreSQL, which this version does not support yet: unset it to use SQLite in BERTH_HOME");
}
// The schema reads env("DATABASE_URL"); without it the CLI cannot parse the schema and
// falls back to downloading a Rust engine, which fails offline.
process.env.DATABASE_URL = url;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaBetterSQLite3({ url }),
});
