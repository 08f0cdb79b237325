// The IAS public API from TypeScript, for the console: the generated types
// (`schema.d.ts`, by openapi-typescript) and documented errors
// (`errors.ts`), both written by `cargo xtask codegen`; calls by openapi-fetch.
// This file is the thin typed layer over them, and is written by hand.

import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import { documentedError, type DocumentedError } from "./errors.js";
import type { components, paths } from "./schema.js";

export * from "./errors.js";
export type { components, paths } from "./schema.js";

/** `POST /oauth/token`'s body. */
export type ExchangeRequest = components["schemas"]["exchangeAuthorizationCodeRequest"];
/** Every error answer's body. */
export type ErrStatusMsg = components["schemas"]["ErrStatusMsg"];
/** A typed client of the API. */
export type IasClient = Client<paths>;

/**
 * A client of the API at `baseUrl`: the public gateway
 * (`https://console.gmicloud.ai/api/v1`, the spec's `servers`) or, in
 * development, the server's root.
 */
export function createIasClient(
  baseUrl: string,
  options: Omit<ClientOptions, "baseUrl"> = {},
): IasClient {
  return createClient<paths>({ ...options, baseUrl });
}

/**
 * What an exchange came to: the token, or the error answer, with the
 * documented error it is (`undefined` for an answer the spec does not
 * document, such as a gateway's own).
 */
export type ExchangeOutcome =
  | { ok: true; accessToken: string }
  | { ok: false; status: number; error: DocumentedError | undefined; body: ErrStatusMsg | undefined };

/** Exchanges the code GitHub sent back (and the PKCE verifier) for a token. */
export async function exchangeAuthorizationCode(
  client: IasClient,
  request: ExchangeRequest,
): Promise<ExchangeOutcome> {
  const { data, error, response } = await client.POST("/oauth/token", { body: request });
  if (data !== undefined) {
    return { ok: true, accessToken: data.accessToken };
  }
  return { ok: false, status: response.status, error: documentedError(error), body: error };
}
