/**
 * A tRPC session with the Berth server, without @berth/core: a lean command (ps, images) that
 * connects through connectQuick() loads core (zod, its schemas) only for an unusual environment.
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "@berth/web/router";
import type { Api } from "./api.js";
import { teamHeader } from "./credentials.js";
import { httpFetch } from "./http-fetch.js";

export interface Session {
  url: string;
  token: string;
  api: Api;
}

/** A session with the given token, or none (for the few public procedures, such as `token.login`). */
export function connectWith(url: string, token: string | undefined): Session {
  const api: Api = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        // The current team (--team, BERTH_TEAM, `berth team use`) goes with every request.
        headers: () => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...teamHeader(url) }),
        fetch: httpFetch,
      }),
    ],
  });
  return { url, token: token ?? "", api };
}

/** As client.ts's connect(), reading the environment without zod where it can (see run-attached.ts). */
export async function connectQuick(): Promise<Session> {
  const [{ endpoint }, { quickClientConfig }] = await Promise.all([import("./endpoint.js"), import("@berth/core/client-config")]);
  const { url, token } = endpoint(quickClientConfig() ?? (await import("@berth/core")).config());
  return connectWith(url, token);
}
