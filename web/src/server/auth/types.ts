export interface AuthUser {
  id: string;
  name: string;
  isAdmin: boolean;
  /** How this request proved who it is. */
  via: "token" | "session";
  readOnly: boolean;
  /** The session row, when via === "session" (logout deletes it). */
  sessionId?: string;
}
