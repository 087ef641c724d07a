export interface AuthUser {
  id: string;
  name: string;
  isAdmin: boolean;
  /** How this request proved who it is. */
  via: "token" | "session";
  readOnly: boolean;
  /** A token limited to one team acts only there. */
  teamId?: string | null;
  /** The API token row, when via === "token" (a registry token made from it dies with it). */
  tokenId?: string;
  /** The session row, when via === "session" (logout deletes it). */
  sessionId?: string;
}
