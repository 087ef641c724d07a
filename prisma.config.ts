import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

// Same default as core/src/config.ts: the SQLite file inside BERTH_HOME.
const home = process.env.BERTH_HOME ?? "/var/lib/berth";
const url = process.env.DATABASE_URL ?? `file:${path.join(home, "berth.db")}`;
const postgres = /^postgres(ql)?:/.test(url);
// The schema reads env("DATABASE_URL"); without it the CLI cannot parse the schema and
// falls back to downloading a Rust engine, which fails offline.
process.env.DATABASE_URL = url;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: postgres ? "prisma/postgres/schema.prisma" : "prisma/schema.prisma",
  migrations: { path: postgres ? "prisma/postgres/migrations" : "prisma/migrations" },
  adapter: async () =>
    postgres ? new PrismaPg({ connectionString: url }) : new PrismaBetterSQLite3({ url }),
});
