// The development console's sign-in in a real browser: headless Debian
// Chromium (apt's `chromium`) driven by playwright-core, against ias-dev
// (`cargo xtask serve`'s binary), which serves the page behind its gateway,
// ias-server and the GitHub stand-in. Run by `.ci/run`:
//
//   IAS_DEV=target/debug/ias-dev npm run browser
//
// Settings: IAS_DEV (required), CHROMIUM (default /usr/bin/chromium),
// IAS_SCREENSHOTS (where each end state's screenshot goes; default
// target/console-screenshots at the workspace root).

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type Page } from "playwright-core";

import { PENDING_KEY } from "../console/pending.js";
import { DOCUMENTED_ERRORS } from "../src/index.js";

const iasDev = process.env["IAS_DEV"];
if (iasDev === undefined) {
  throw new Error("set IAS_DEV to the ias-dev binary (cargo build -p ias-testing --bin ias-dev)");
}
const chromiumPath = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
// dist/browser/ → the package → crates/ias-client → the workspace root.
const workspace = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../..");
const screenshots = process.env["IAS_SCREENSHOTS"] ?? join(workspace, "target/console-screenshots");
mkdirSync(screenshots, { recursive: true });

let server: ChildProcess;
let serverOutput = "";
let consoleUrl = "";
let browser: Browser;
/** Every code, verifier and token that crossed the page: none may be logged. */
const secrets = new Set<string>();

before(async () => {
  server = spawn(iasDev, [], {
    env: { PATH: process.env["PATH"] ?? "", IAS_BIND_ADDRESS: "127.0.0.1:0", IAS_CONSOLE_ADDRESS: "127.0.0.1:0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  consoleUrl = await new Promise<string>((found, failed) => {
    const timer = setTimeout(() => failed(new Error(`ias-dev printed no console URL in 60 s:\n${serverOutput}`)), 60_000);
    const read = (chunk: Buffer): void => {
      serverOutput += chunk.toString();
      const url = /^console \(development\) on (http:\/\/\S+\/):/m.exec(serverOutput)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        found(url);
      }
    };
    server.stdout?.on("data", read);
    server.stderr?.on("data", read);
    server.on("exit", (status) => failed(new Error(`ias-dev exited (${status}):\n${serverOutput}`)));
  });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  if (server?.exitCode === null) {
    server.kill("SIGKILL");
  }
});

/** A fresh tab that records what it posts to the API and what comes back. */
async function tab(): Promise<{ page: Page; exchanges: Array<{ body: Record<string, unknown>; status: number }> }> {
  const page = await browser.newPage();
  const exchanges: Array<{ body: Record<string, unknown>; status: number }> = [];
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname !== "/api/v1/oauth/token") {
      return;
    }
    const body = response.request().postDataJSON() as Record<string, unknown>;
    const answer = (await response.json()) as Record<string, unknown>;
    for (const value of [body["code"], body["codeVerifier"], answer["accessToken"]]) {
      if (typeof value === "string") {
        secrets.add(value);
      }
    }
    exchanges.push({ body, status: response.status() });
  });
  return { page, exchanges };
}

/** The status line once it has left the "working" states. */
async function outcome(page: Page): Promise<{ state: string; text: string }> {
  const status = page.locator("#status:not([data-state=loading]):not([data-state=working])");
  await status.waitFor();
  return { state: (await status.getAttribute("data-state")) ?? "", text: (await status.textContent()) ?? "" };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** Opens the console and clicks "Sign in with GitHub": the consent page. */
async function toConsent(page: Page): Promise<void> {
  await page.goto(consoleUrl);
  assert.deepEqual(await outcome(page), { state: "ready", text: "Not signed in." });
  await page.click("#sign-in");
  await page.locator("#approve").waitFor();
}

test("approve: the PKCE sign-in completes and the page shows it, never the token", async () => {
  const { page, exchanges } = await tab();
  await page.goto(consoleUrl);
  await outcome(page);
  await shot(page, "1-console");
  await page.click("#sign-in");
  await page.locator("#approve").waitFor();
  const authorize = new URL(page.url());
  assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
  assert.match(authorize.searchParams.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
  assert.equal(authorize.searchParams.get("redirect_uri"), consoleUrl);
  await shot(page, "2-consent");
  await page.click("#approve");
  assert.deepEqual(await outcome(page), { state: "signed-in", text: "Signed in with GitHub." });
  await shot(page, "3-signed-in");

  assert.equal(exchanges.length, 1);
  const [exchange] = exchanges;
  assert.equal(exchange?.status, 200);
  assert.equal(exchange?.body["provider"], "github");
  assert.match(String(exchange?.body["codeVerifier"]), /^[A-Za-z0-9_-]{43}$/);
  // The challenge GitHub saw is the verifier's.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(String(exchange?.body["codeVerifier"])));
  assert.equal(Buffer.from(digest).toString("base64url"), authorize.searchParams.get("code_challenge"));
  // The code left the address bar; no token on the page.
  assert.equal(page.url(), consoleUrl);
  const html = await page.content();
  for (const secret of secrets) {
    assert.ok(!html.includes(secret), "a code, verifier or token is on the page");
  }
  await page.close();
});

test("deny: the page shows GitHub's refusal and sends nothing", async () => {
  const { page, exchanges } = await tab();
  await toConsent(page);
  await page.click("#deny");
  const shown = await outcome(page);
  await shot(page, "4-denied");
  assert.equal(shown.state, "refused");
  assert.equal(
    shown.text,
    "GitHub did not sign you in (access_denied): The user has denied your application access. Sign in again to retry.",
  );
  assert.equal(exchanges.length, 0);
  await page.close();
});

test("a tampered state: the page refuses the answer and sends nothing", async () => {
  const { page, exchanges } = await tab();
  await toConsent(page);
  // An answer this tab did not ask for: the same authorize request with
  // another state (a login-CSRF attempt), approved.
  const forged = new URL(page.url());
  forged.searchParams.set("state", "not-the-state-this-tab-sent");
  await page.goto(forged.href);
  await page.click("#approve");
  const shown = await outcome(page);
  await shot(page, "5-tampered-state");
  assert.equal(shown.state, "refused");
  assert.match(shown.text, /its state does not match/);
  assert.equal(exchanges.length, 0);
  await page.close();
});

test("a replayed code: the server answers 400 oauth/2 and the page shows its message", async () => {
  const { page, exchanges } = await tab();
  let answer = "";
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame() && new URL(frame.url()).searchParams.has("code")) {
      answer = frame.url();
    }
  });
  await toConsent(page);
  await page.click("#approve");
  assert.equal((await outcome(page)).state, "signed-in");
  assert.notEqual(answer, "", "the page was sent back with a code");
  // The same answer again, with the tab's pending sign-in put back as it was
  // (a restored session, a second tab): the code itself is spent.
  const first = exchanges[0]?.body;
  const pending = { state: new URL(answer).searchParams.get("state"), verifier: first?.["codeVerifier"] };
  await page.evaluate(({ key, value }) => sessionStorage.setItem(key, value), {
    key: PENDING_KEY,
    value: JSON.stringify(pending),
  });
  await page.goto(answer);
  const shown = await outcome(page);
  await shot(page, "6-replayed-code");
  assert.equal(exchanges.length, 2);
  assert.equal(exchanges[1]?.status, 400);
  assert.equal(shown.state, "failed");
  const documented = DOCUMENTED_ERRORS.find((e) => e.name === "InvalidAuthorizationCode");
  assert.equal(
    shown.text,
    `Sign-in failed (${documented?.group}/${documented?.code}, HTTP ${documented?.status}): ${documented?.message} Sign in again.`,
  );
  await page.close();
});

test("no code, verifier or token in any line the server wrote", async () => {
  assert.ok(secrets.size >= 6, `the flows above carried codes, verifiers and tokens (${secrets.size})`);
  server.kill("SIGINT");
  if (server.exitCode === null) {
    await new Promise((exited) => server.once("exit", exited));
  }
  const lines = serverOutput.split("\n").filter((line) => line.startsWith("{"));
  const exchangeLines = lines.filter((line) => line.includes("/oauth/token"));
  assert.ok(exchangeLines.length >= 3, `the server logged the exchanges:\n${serverOutput}`);
  for (const secret of secrets) {
    for (const line of lines) {
      assert.ok(!line.includes(secret), `a secret is in the server's log: ${line}`);
    }
  }
});
