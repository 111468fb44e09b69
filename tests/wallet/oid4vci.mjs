// A wallet running the OpenID4VCI 1.0 pre-authorized code flow with the @openid4vc/openid4vci client
// library against the running service: resolve the offer (credential_offer_uri), the issuer and
// authorization server metadata, get an access token (with the PIN if asked), a nonce, sign the proof
// of possession and receive the credential.
// stdin:  {"offerUri": "openid-credential-offer://?credential_offer_uri=…", "txCode": "123456"?,
//          "configurationId": "…", "seed_hex": "<32-byte Ed25519 seed>", "did": "did:key:…",
//          "keyMethod": "did" | "jwk"}
// stdout: {"credentials": [...], "credentialIssuer": "…", "offeredConfigurations": [...]}
// TLS: the service's test certificate is trusted through NODE_EXTRA_CA_CERTS (no insecure option).
import {createHash, createPrivateKey, createPublicKey, randomBytes} from 'node:crypto';

import {Openid4vciClient} from '@openid4vc/openid4vci';
import {SignJWT} from 'jose';

// PKCS#8 DER prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

async function readRequest() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function walletKey(seedHex) {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]),
    format: 'der',
    type: 'pkcs8'
  });
  const publicJwk = createPublicKey(privateKey).export({format: 'jwk'});
  return {privateKey, publicJwk};
}

function callbacks({privateKey, publicJwk}) {
  return {
    fetch: (...args) => fetch(...args),
    hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
    generateRandom: byteLength => new Uint8Array(randomBytes(byteLength)),
    // The library builds the header (typ, alg, kid or jwk) and the claims; the wallet's key signs them.
    signJwt: async (signer, {header, payload}) => ({
      jwt: await new SignJWT(payload).setProtectedHeader(header).sign(privateKey),
      signerJwk: publicJwk
    }),
    clientAuthentication: () => {}
  };
}

async function main() {
  const request = await readRequest();
  const key = walletKey(request.seed_hex);
  const client = new Openid4vciClient({callbacks: callbacks(key)});
  const credentialOffer = await client.resolveCredentialOffer(request.offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode: request.txCode ?? undefined
  });
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const multibase = request.did.slice('did:key:'.length);
  const signer = request.keyMethod === 'jwk' ?
    {method: 'jwk', alg: 'EdDSA', publicJwk: key.publicJwk} :
    {method: 'did', alg: 'EdDSA', didUrl: `${request.did}#${multibase}`};
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: request.configurationId, signer, nonce
  });
  const {credentialResponse} = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: request.configurationId,
    proofs: {jwt: [jwt]}
  });
  return {
    credentials: credentialResponse.credentials,
    credentialIssuer: issuerMetadata.credentialIssuer.credential_issuer,
    offeredConfigurations: credentialOffer.credential_configuration_ids,
    draftVersion: issuerMetadata.originalDraftVersion
  };
}

try {
  process.stdout.write(JSON.stringify(await main()));
} catch(error) {
  const details = error?.errorResponse ?? error?.response?.body ?? '';
  process.stderr.write(`${error?.stack ?? error}\n${JSON.stringify(details)}\n`);
  process.exitCode = 1;
}
