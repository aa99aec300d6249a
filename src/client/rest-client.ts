/**
 * A small REST client for one node: signs requests with an API key (see docs/rest.md), or
 * authorizes them with the admin key. Answers are the parsed JSON and the HTTP status; it
 * follows nothing by itself (BourseClient handles leaders and retries).
 *
 * Requests go through node:http(s) on kept-alive connections shared by every client of the
 * process, not through fetch: fetch's request and response objects, streams and abort signals
 * cost the sender about 380 µs of CPU per order (the gateway bench's REST phase was bound by
 * its own client, the leader's thread three quarters idle).
 */
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type RequestOptions, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/** Connections kept per node and scheme, and the most opened to one node at once (more requests queue). */
const MAX_SOCKETS = 256;
/**
 * An idle connection is closed after this (or a second before the keep-alive timeout the
 * server announces, if that is sooner; the gateway's is 72 s): a request does not go out on a
 * connection the server is closing.
 */
const IDLE_CLOSE_MS = 30_000;
/** An answer larger than this is refused: the largest the API gives (a deep book, a page of fills, the metrics) are far smaller. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_CLOSE_MS }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, timeout: IDLE_CLOSE_MS }),
};

export class RestClient {
  private readonly secret: Buffer | undefined;
  private readonly url: URL;
  /** http or https, by the base URL's scheme. */
  private readonly transport: { request: typeof httpRequest; agent: HttpAgent };

  constructor(
    readonly baseUrl: string,
    private readonly auth: { key?: RestCredentials; adminKey?: string } = {},
    private readonly timeoutMs = 10_000,
  ) {
    this.url = new URL(baseUrl);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new TypeError(`a node's URL is http or https, not ${baseUrl}`);
    this.secret = auth.key === undefined ? undefined : Buffer.from(auth.key.secret, 'hex');
    this.transport = this.url.protocol === 'https:' ? { request: httpsRequest, agent: agents.https } : { request: httpRequest, agent: agents.http };
  }

  async request(method: string, path: string, body?: unknown): Promise<RestAnswer> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(text));
    }
    const key = this.auth.key;
    if (key !== undefined && this.secret !== undefined) {
      const timestamp = Date.now();
      headers['bourse-key'] = String(key.keyId);
      headers['bourse-timestamp'] = String(timestamp);
      headers['bourse-signature'] = signRequest(this.secret, timestamp, method, path, text);
    }
    if (this.auth.adminKey !== undefined) headers.authorization = `Bearer ${this.auth.adminKey}`;
    const raw = await this.send({ method, path: this.url.pathname.replace(/\/$/, '') + path, headers }, body === undefined ? undefined : text);
    let parsed: unknown = raw.text;
    try {
      parsed = raw.text.length === 0 ? undefined : JSON.parse(raw.text);
    } catch {
      // Not JSON (the metrics text): keep the text.
    }
    return { status: raw.status, body: parsed };
  }

  private send(options: RequestOptions, text: string | undefined): Promise<{ status: number; text: string }> {
    const all: RequestOptions = {
      ...options, hostname: this.url.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.url.port === '' ? undefined : Number(this.url.port),
      agent: this.transport.agent,
    };
    let timer: NodeJS.Timeout | undefined;
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req: ClientRequest = this.transport.request(all, (res) => {
        readAnswer(res, req).then(resolve, reject);
      });
      timer = setTimeout(() => req.destroy(new Error(`${options.method} ${options.path}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.once('error', reject);
      req.end(text);
    }).finally(() => clearTimeout(timer));
  }
}

function readAnswer(res: IncomingMessage, req: ClientRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
      else chunks.push(chunk);
    });
    res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    res.once('error', reject);
  });
}
