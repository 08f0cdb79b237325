// The sign-in this tab started and has not finished: the `state` it sent to
// GitHub and the PKCE verifier of its challenge, kept in sessionStorage
// (this tab only) under PENDING_KEY until GitHub's answer comes back.

/** The sessionStorage key of the pending sign-in. */
export const PENDING_KEY = "ias.console.pendingSignIn";

/** What a started sign-in keeps. */
export interface PendingSignIn {
  /** The `state` sent to the authorize page; the answer must carry it back. */
  state: string;
  /** The PKCE code verifier; GitHub saw only its S256 challenge. */
  verifier: string;
}

/** `raw` as a pending sign-in, or `undefined` when it is not one. */
export function parsePending(raw: string | null): PendingSignIn | undefined {
  if (raw === null) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(raw);
    if (
      typeof value === "object" && value !== null
      && "state" in value && typeof value.state === "string"
      && "verifier" in value && typeof value.verifier === "string"
    ) {
      return { state: value.state, verifier: value.verifier };
    }
  } catch {
    // Not JSON: no pending sign-in.
  }
  return undefined;
}
