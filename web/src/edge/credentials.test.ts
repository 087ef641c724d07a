import { describe, expect, it } from "vitest";
import { readCredentials } from "./credentials.js";

describe("edge credentials", () => {
  it("takes Berth's cookies, token and link out of what the app receives", () => {
    const c = readCredentials({ cookie: "a=1; berth_edge=sess; b=2; berth_link=berthlink_x", authorization: "Bearer berth_tok" }, "/p?x=1&berth_link=berthlink_q&y=2");
    expect(c).toMatchObject({ session: "sess", token: "berth_tok", link: "berthlink_q", linkFromQuery: true, authorizationIsBerths: true, appCookie: "a=1; b=2", cleanPath: "/p?x=1&y=2" });
  });

  it("leaves an app's own Authorization header alone, and reads a link from the header", () => {
    const c = readCredentials({ authorization: "Bearer app-jwt", "x-berth-link": "berthlink_h" }, "/");
    expect(c).toMatchObject({ link: "berthlink_h", linkFromQuery: false, authorizationIsBerths: false, cleanPath: "/" });
    expect(c.token).toBeUndefined();
    expect(c.appCookie).toBeUndefined();
  });
});
