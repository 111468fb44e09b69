// Signs with Digital Bazaar's stack (Data Integrity) or jose (JWT), offline.
// stdin, LDP: {"contexts": {url: doc}, "seed_hex" | "secretKeyMultibase": "...", "controller": did,
//              "verificationMethod": id?, "cryptosuite": "eddsa-rdfc-2022", "created": "ISO"?,
//              "credential": {...unsigned...}}            -> {"signed": {...}}
// stdin, JWT: {"jwt": {"payload": {...}, "header": {...}, "jwk": private JWK}} -> {"token": "..."}
import * as vc from '@digitalbazaar/vc';
import {importJWK, SignJWT} from 'jose';

import {keyPairFrom, makeDocumentLoader, run, signSuite} from './lib.mjs';

await run(async request => {
  if(request.jwt) {
    return {token: await signJwt(request.jwt)};
  }
  return {signed: await signLdp(request)};
});

async function signLdp({
  contexts = {}, controller, verificationMethod, cryptosuite = 'eddsa-rdfc-2022', created,
  credential, now, ...key
}) {
  const keyPair = await keyPairFrom({...key, controller, id: verificationMethod});
  const suite = signSuite({cryptosuite, keyPair, created: created ? new Date(created) : undefined});
  return vc.issue({
    credential: structuredClone(credential),
    suite,
    documentLoader: makeDocumentLoader({contexts}),
    now: now ? new Date(now) : undefined
  });
}

async function signJwt({payload, header, jwk}) {
  if(!header?.alg) {
    throw new Error('The JWT header needs "alg".');
  }
  const key = await importJWK(jwk, header.alg);
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}
