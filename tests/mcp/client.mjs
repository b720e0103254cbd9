// The official MCP TypeScript SDK's client (@modelcontextprotocol/sdk, its
// OAuthClientProvider and auth() flow) against an MCP server protected by a
// SharkAuth tenant. Driven by tests/e2e/test_mcp_clients.py:
//
//   node client.mjs --server URL --redirect-port N [--client-metadata-url URL]
//
// With --client-metadata-url the client uses that URL as its client_id
// (CIMD, when the authorization server advertises it); without, it
// registers (DCR). It prints JSON lines on stdout: {"authorize": URL} when
// a person must sign in (the test's browser opens it and is sent back to
// http://127.0.0.1:N/callback), then {"result": {...}} with what happened:
// the tools listed, whoami's answer before and after a forced refresh, and
// every HTTP request the SDK made (method, URL, status, grant_type and
// resource of token requests; never a secret or token). Any failure exits 1
// with {"error": ...}.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    'redirect-port': { type: 'string' },
    'client-metadata-url': { type: 'string' },
  },
});
if (!args.server || !args['redirect-port']) {
  console.error('usage: node client.mjs --server URL --redirect-port N [--client-metadata-url URL]');
  process.exit(2);
}
const redirectUrl = `http://127.0.0.1:${args['redirect-port']}/callback`;
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// Every request the SDK makes, as the test checks the protocol's steps.
const requests = [];
const recordingFetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const entry = { method: (init?.method || 'GET').toUpperCase(), url };
  if (init?.body instanceof URLSearchParams) {
    entry.grant_type = init.body.get('grant_type') ?? undefined;
    entry.resource = init.body.get('resource') ?? undefined;
    entry.client_id = init.body.get('client_id') ?? undefined;
    entry.has_code_verifier = init.body.has('code_verifier');
  }
  const res = await fetch(input, init);
  entry.status = res.status;
  requests.push(entry);
  return res;
};

// An in-memory provider, as a desktop MCP client keeps one per server.
class Provider {
  constructor() {
    this.client = undefined;
    this.saved = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
    this.stateValue = undefined;
    if (args['client-metadata-url']) this.clientMetadataUrl = args['client-metadata-url'];
  }
  get redirectUrl() { return redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'MCP TypeScript SDK e2e client',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    };
  }
  state() { this.stateValue = crypto.randomUUID(); return this.stateValue; }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; say({ authorize: url.href }); }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

// The loopback redirect (RFC 8252 §7.3): resolves with the callback's query.
function awaitCallback() {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const u = new URL(req.url, redirectUrl);
      if (u.pathname !== '/callback') { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p id="done">Signed in. You can close this window.</p>');
      server.close();
      resolve(u.searchParams);
    });
    server.on('error', reject);
    server.listen(Number(args['redirect-port']), '127.0.0.1');
    setTimeout(() => { server.close(); reject(new Error('no callback within 120s')); }, 120000).unref();
  });
}

async function connect(provider) {
  const client = new Client({ name: 'sharkauth-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(args.server), { authProvider: provider, fetch: recordingFetch });
  await client.connect(transport);
  return client;
}

async function whoami(client) {
  const r = await client.callTool({ name: 'whoami', arguments: {} });
  if (r.isError) throw new Error('whoami failed: ' + JSON.stringify(r.content));
  return r.structuredContent;
}

async function main() {
  const provider = new Provider();
  const callback = awaitCallback();
  let client;
  try {
    client = await connect(provider);
    throw new Error('the server admitted a client without a token');
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  // The person signs in and consents in the browser; the code comes back.
  const back = await callback;
  if (back.get('error')) throw new Error(`authorization refused: ${back.get('error')} ${back.get('error_description')}`);
  if (back.get('state') !== provider.stateValue) throw new Error('state mismatch');
  const iss = back.get('iss');
  const transport = new StreamableHTTPClientTransport(new URL(args.server), { authProvider: provider, fetch: recordingFetch });
  await transport.finishAuth(back.get('code'));
  client = await connect(provider);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const before = await whoami(client);
  const firstRefresh = provider.saved.refresh_token;

  // Force a refresh: the stored access token goes stale (its signature no
  // longer verifies, as after a key rotation or expiry), so the next call is
  // refused with 401 and the SDK refreshes and retries on its own.
  const marker = requests.length;
  const t = provider.saved.access_token;
  provider.saved = { ...provider.saved, access_token: t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA') };
  const toolsAgain = (await client.listTools()).tools.map((x) => x.name);
  const after = await whoami(client);
  await client.close();
  say({
    result: {
      tools, tools_after_refresh: toolsAgain, before, after, iss,
      client_id: provider.client?.client_id,
      refresh_token_rotated: !!provider.saved.refresh_token && provider.saved.refresh_token !== firstRefresh,
      requests, refresh_requests: requests.slice(marker),
    },
  });
}

main().then(() => process.exit(0), (e) => { say({ error: String(e?.stack || e), requests }); process.exit(1); });
