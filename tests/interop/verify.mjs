// Verifies a SharkAuth access token with panva's jose, default settings:
// node verify.mjs <jwks_url> <issuer> <audience> <token>
// Prints the payload as JSON and exits 0, or prints the error code and exits 1.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUrl, issuer, audience, token] = process.argv.slice(2);
const JWKS = createRemoteJWKSet(new URL(jwksUrl));
try {
  const { payload, protectedHeader } = await jwtVerify(token, JWKS, { issuer, audience, typ: 'at+jwt' });
  console.log(JSON.stringify({ payload, protectedHeader }));
} catch (err) {
  console.log(JSON.stringify({ error: err.code || err.name }));
  process.exit(1);
}
