// The TypeScript client against a live server (`cargo xtask serve`'s
// ias-dev, whose GitHub stand-in knows the `dev-*` codes): run by `.ci/run`
// with IAS_URL set, after `tsc` compiled it (`npm run smoke`).

import assert from "node:assert/strict";
import { test } from "node:test";

import { createIasClient, DOCUMENTED_ERRORS, exchangeAuthorizationCode } from "../src/index.js";

const url = process.env["IAS_URL"];
if (url === undefined) {
  throw new Error("set IAS_URL to a running ias-dev (cargo xtask serve prints it)");
}
const client = createIasClient(url);

test("a good code gets a token", async () => {
  const outcome = await exchangeAuthorizationCode(client, { provider: "github", code: "dev-ok" });
  assert.equal(outcome.ok, true);
  assert.ok(outcome.ok && outcome.accessToken.length > 0);
});

test("a bad code is the documented InvalidAuthorizationCode", async () => {
  const outcome = await exchangeAuthorizationCode(client, { provider: "github", code: "dev-bad" });
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok);
  assert.equal(outcome.status, 400);
  assert.equal(outcome.error?.name, "InvalidAuthorizationCode");
  assert.deepEqual([outcome.body?.group, outcome.body?.code], ["oauth", 2]);
});

test("a missing field is request/0 naming it", async () => {
  const outcome = await exchangeAuthorizationCode(client, { provider: "github", code: "" });
  assert.ok(!outcome.ok);
  assert.equal(outcome.error?.name, "InvalidFieldInTheRequest");
  assert.equal(outcome.body?.validationDetail?.[0]?.field, "code");
});

test("PKCE: the verifier travels with the code", async () => {
  const codeVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const good = await exchangeAuthorizationCode(client, { provider: "github", code: "dev-pkce", codeVerifier });
  assert.equal(good.ok, true);
  const bad = await exchangeAuthorizationCode(client, { provider: "github", code: "dev-pkce" });
  assert.ok(!bad.ok);
  assert.equal(bad.error?.name, "InvalidAuthorizationCode");
});

test("every documented error has a distinct [group, code]", () => {
  const pairs = new Set(DOCUMENTED_ERRORS.map((e) => `${e.group}/${e.code}`));
  assert.equal(pairs.size, DOCUMENTED_ERRORS.length);
});
