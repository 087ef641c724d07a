import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { quickClientConfig } from "./client-config.js";

const usual: NodeJS.ProcessEnv[] = [
  {},
  { BERTH_URL: "http://127.0.0.1:39546", BERTH_TOKEN: "berth_abc" },
  { BERTH_URL: "https://berth.example.com/", BERTH_TOKEN: "" },
  { BERTH_URL: "http://h:1//", BERTH_HOME: "rel/home" },
  { BERTH_PORT: "8080", BERTH_HOME: "/srv/b" },
  { BERTH_PORT: "65535", BERTH_HOST_ID: "abc-1", BERTH_LOG_LEVEL: "debug", BERTH_HOST: "::", DATABASE_URL: "file:/x.db", REDIS_URL: "redis://r" },
  { BERTH_PORT: "", BERTH_URL: "", BERTH_HOME: "" },
];
// Valid to config() but unusual: the quick reader leaves them to config().
const unusual: NodeJS.ProcessEnv[] = [{ BERTH_PORT: " 80" }, { BERTH_URL: " http://127.0.0.1:3000 " }, { BERTH_URL: "unix:/run/berth.sock" }];
// config() refuses these with its message: the quick reader must not answer.
const invalid: NodeJS.ProcessEnv[] = [
  { BERTH_PORT: "0" },
  { BERTH_PORT: "65536" },
  { BERTH_PORT: "3.5" },
  { BERTH_PORT: "abc" },
  { BERTH_URL: "not a url" },
  { BERTH_URL: "http://" },
  { BERTH_HOST_ID: "UPPER" },
  { BERTH_LOG_LEVEL: "loud" },
];
const cases = (l: NodeJS.ProcessEnv[]) => l.map((e) => [JSON.stringify(e), e] as const);

describe("quickClientConfig", () => {
  it.each(cases(usual))("gives config()'s values for %s", (_, env) => {
    const full = loadConfig(env);
    expect(quickClientConfig(env)).toEqual({ home: full.home, url: full.url, token: full.token });
  });

  it.each(cases(unusual))("leaves %s to config()", (_, env) => {
    expect(loadConfig(env).url).toMatch(/:/);
    expect(quickClientConfig(env)).toBeUndefined();
  });

  it.each(cases(invalid))("declines %s, which config() refuses", (_, env) => {
    expect(() => loadConfig(env)).toThrow(/invalid Berth configuration/);
    expect(quickClientConfig(env)).toBeUndefined();
  });
});
