// The development console's sign-in, as the GMI Cloud console runs it:
// "Sign in with GitHub" makes a PKCE verifier and its S256 challenge
// (WebCrypto) and a `state`, keeps both in sessionStorage and goes to
// GitHub's authorize page; GitHub sends the browser back here with `code` and
// `state` (or `error`); the page checks `state`, then exchanges the code and
// the verifier through the TypeScript client at `/api/v1` on its own origin
// (the gateway forwards to ias-server). It shows "signed in", never the
// token, or the documented error's message.

import { createIasClient, exchangeAuthorizationCode } from "../src/index.js";
import { parsePending, PENDING_KEY, type PendingSignIn } from "./pending.js";

/** What the gateway tells the page (`/console.json`). */
interface Settings {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
}

/** What the status line shows; tests and styles read it as `data-state`. */
type Shown = "ready" | "working" | "signed-in" | "refused" | "failed";

const button = document.querySelector<HTMLButtonElement>("#sign-in");
const status = document.querySelector<HTMLElement>("#status");

function show(state: Shown, text: string): void {
  if (status !== null) {
    status.dataset["state"] = state;
    status.textContent = text;
  }
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** 32 random bytes, base64url: a 43-character verifier or state (RFC 7636 §4.1). */
function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** BASE64URL(SHA-256(verifier)), the S256 challenge (RFC 7636 §4.2). */
async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

async function startSignIn(settings: Settings): Promise<void> {
  const pending: PendingSignIn = { state: randomToken(), verifier: randomToken() };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const authorize = new URL(settings.authorizeUrl);
  authorize.searchParams.set("client_id", settings.clientId);
  authorize.searchParams.set("redirect_uri", settings.redirectUri);
  authorize.searchParams.set("state", pending.state);
  authorize.searchParams.set("code_challenge", await s256(pending.verifier));
  authorize.searchParams.set("code_challenge_method", "S256");
  location.assign(authorize.href);
}

/** GitHub's answer: `?code=&state=` or `?error=&state=`. */
async function finishSignIn(answer: URLSearchParams): Promise<void> {
  // One answer per sign-in: the pending one is used up whatever happens, and
  // the code leaves the address bar (and the history) before anything else.
  const pending = parsePending(sessionStorage.getItem(PENDING_KEY));
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", location.pathname);

  if (pending === undefined || answer.get("state") !== pending.state) {
    show(
      "refused",
      "This sign-in answer was not started by this page (its state does not match), so nothing was sent. Sign in again.",
    );
    return;
  }
  const error = answer.get("error");
  if (error !== null) {
    const why = answer.get("error_description") ?? "GitHub gave no reason.";
    show("refused", `GitHub did not sign you in (${error}): ${why} Sign in again to retry.`);
    return;
  }
  const code = answer.get("code");
  if (code === null || code === "") {
    show("failed", "GitHub's answer has neither a code nor an error. Sign in again.");
    return;
  }
  show("working", "Signing in…");
  const client = createIasClient(new URL("/api/v1", location.origin).href);
  try {
    const outcome = await exchangeAuthorizationCode(client, {
      provider: "github",
      code,
      codeVerifier: pending.verifier,
    });
    if (outcome.ok) {
      // The token would go to the console's session here; it is never shown.
      show("signed-in", "Signed in with GitHub.");
    } else if (outcome.error !== undefined && outcome.body !== undefined) {
      show(
        "failed",
        `Sign-in failed (${outcome.body.group}/${outcome.body.code}, HTTP ${outcome.status}): ${outcome.body.message} Sign in again.`,
      );
    } else {
      show("failed", `Sign-in failed: the API answered HTTP ${outcome.status}, which it does not document. Try again later.`);
    }
  } catch (e) {
    show("failed", `Sign-in failed: the API cannot be reached (${String(e)}). Try again later.`);
  }
}

async function main(): Promise<void> {
  const answer = await fetch("/console.json");
  if (!answer.ok) {
    show("failed", `The console's settings (/console.json) answered HTTP ${answer.status}; is the gateway running?`);
    return;
  }
  const settings = (await answer.json()) as Settings;
  button?.addEventListener("click", () => {
    if (button !== null) {
      button.disabled = true;
    }
    startSignIn(settings).catch((e: unknown) => show("failed", `Cannot start the sign-in: ${String(e)}`));
  });
  const query = new URLSearchParams(location.search);
  if (query.has("state") || query.has("code") || query.has("error")) {
    await finishSignIn(query);
  } else {
    show("ready", "Not signed in.");
  }
  if (button !== null) {
    button.disabled = false;
  }
}

main().catch((e: unknown) => show("failed", `The console failed: ${String(e)}`));
