/**
 * A small REST client for one node: signs requests with an API key (see docs/rest.md), or
 * authorizes them with the admin key. Answers are the parsed JSON and the HTTP status; it
 * follows nothing by itself (BourseClient handles leaders and retries).
 */
import { signRequest } from '../gateway/auth/request-signature.ts';

export interface RestCredentials {
  keyId: number;
  /** The key's secret as shown once at creation (hex). */
  secret: string;
}

export interface RestAnswer {
  status: number;
  body: unknown;
}

export class RestClient {
  constructor(
    readonly baseUrl: string,
    private readonly auth: { key?: RestCredentials; adminKey?: string } = {},
    private readonly timeoutMs = 10_000,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<RestAnswer> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const key = this.auth.key;
    if (key !== undefined) {
      const timestamp = Date.now();
      headers['bourse-key'] = String(key.keyId);
      headers['bourse-timestamp'] = String(timestamp);
      headers['bourse-signature'] = signRequest(Buffer.from(key.secret, 'hex'), timestamp, method, path, text);
    }
    if (this.auth.adminKey !== undefined) headers.authorization = `Bearer ${this.auth.adminKey}`;
    const response = await fetch(this.baseUrl + path, {
      method, headers, body: body === undefined ? undefined : text, signal: AbortSignal.timeout(this.timeoutMs),
    });
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = raw.length === 0 ? undefined : JSON.parse(raw);
    } catch {
      // Not JSON (the metrics text): keep the text.
    }
    return { status: response.status, body: parsed };
  }
}
