/**
 * The SDK's REST client against a real HTTP server that records what it was sent: a signed
 * request carries a signature the gateway's own check accepts, over the path under the base
 * URL's prefix and the exact body; answers come back parsed (JSON) or as text; an answer too
 * large, a server that never answers and a base URL that is not http(s) each fail clearly.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MAX_ANSWER_BYTES, RestClient } from '../../src/client/rest-client.ts';
import { SignatureVerifier } from '../../src/gateway/auth/request-signature.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'a1'.repeat(32);

describe('RestClient', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        answer(req.url ?? '', res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('signs a request so that the gateway accepts it, under the base URL\'s path', async () => {
    const client = new RestClient(`${base}/prefix/`, { key: { keyId: 7, secret: SECRET } });
    const body = { requestId: 1, symbol: 'BTC-USD', price: '100.5', note: 'é' };
    const r = await client.request('POST', '/v1/orders?x=1', body);
    assert.deepEqual(r, { status: 201, body: { ok: true } });
    const s = seen.at(-1) as Seen;
    assert.equal(s.url, '/prefix/v1/orders?x=1');
    assert.equal(s.body, JSON.stringify(body));
    assert.equal(s.headers['content-type'], 'application/json');
    assert.equal(s.headers['bourse-key'], '7');
    const timestamp = Number(s.headers['bourse-timestamp']);
    const check = new SignatureVerifier().verify(Buffer.from(SECRET, 'hex'), timestamp, 'POST', '/v1/orders?x=1', s.body,
      String(s.headers['bourse-signature']), timestamp);
    assert.deepEqual(check, { ok: true });
  });

  it('sends the admin key as a bearer token and no body on a GET', async () => {
    const r = await new RestClient(base, { adminKey: 'admin-secret' }).request('GET', '/v1/admin/accounts');
    const s = seen.at(-1) as Seen;
    assert.equal(s.headers.authorization, 'Bearer admin-secret');
    assert.equal(s.body, '');
    assert.equal(s.headers['bourse-signature'], undefined);
    assert.equal(r.status, 201);
  });

  it('keeps an answer that is not JSON as text, and an empty one as undefined', async () => {
    const client = new RestClient(base);
    assert.deepEqual(await client.request('GET', '/text'), { status: 200, body: '# HELP x\nx 1\n' });
    assert.deepEqual(await client.request('GET', '/empty'), { status: 204, body: undefined });
  });

  it('refuses an answer larger than its limit', async () => {
    await assert.rejects(new RestClient(base).request('GET', '/huge'), /larger than/);
  });

  it('gives up on a server that does not answer within its timeout', async () => {
    const started = performance.now();
    await assert.rejects(new RestClient(base, {}, 200).request('GET', '/never'), /no answer within 200 ms/);
    assert.ok(performance.now() - started >= 190);
  });

  it('fails on a refused connection, and refuses a base URL that is not http(s)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(new RestClient(`http://127.0.0.1:${port}`).request('GET', '/v1/products'), /ECONNREFUSED/);
    assert.throws(() => new RestClient('ftp://127.0.0.1:1'), /http or https/);
  });

  it('answers many requests at once, each its own', async () => {
    const client = new RestClient(base);
    const answers = await Promise.all(Array.from({ length: 300 }, async (_, i) => client.request('GET', `/echo/${i}`)));
    answers.forEach((a, i) => assert.deepEqual(a, { status: 200, body: { echo: String(i) } }));
  });
});

function answer(url: string, res: ServerResponse): void {
  if (url === '/never') return;
  if (url === '/text') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('# HELP x\nx 1\n');
  if (url === '/empty') return void res.writeHead(204).end();
  if (url === '/huge') {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1 << 20, 0x20);
    for (let sent = 0; sent <= MAX_ANSWER_BYTES; sent += chunk.byteLength) res.write(chunk);
    return void res.end();
  }
  const echo = /^\/echo\/(\d+)$/.exec(url);
  if (echo !== null) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: echo[1] }));
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
}
