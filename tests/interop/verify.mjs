// Verifies a batch of credentials with Digital Bazaar's stack, offline.
// stdin:  {"contexts": {url: doc}, "documents": {url: doc}, "now": "ISO date"?,
//          "items": [{"kind": "ldp", "credential": {...}} | {"kind": "jwt", "token", "jwk", "alg"}]}
// stdout: {"results": [{"verified": bool, "error": "...", ...}]}
import * as vc from '@digitalbazaar/vc';
import {importJWK, jwtVerify} from 'jose';

import {bitstringStatus, describeError, makeDocumentLoader, run, verifySuites} from './lib.mjs';

await run(async ({contexts = {}, documents = {}, now, items = []}) => {
  const documentLoader = makeDocumentLoader({contexts, documents});
  const date = now ? new Date(now) : undefined;
  const results = [];
  // One at a time: the cases are independent and their errors must not interleave.
  for(const item of items) {
    results.push(await verifyItem({item, documents, documentLoader, date}));
  }
  return {results};
});

async function verifyItem({item, documents, documentLoader, date}) {
  try {
    if(item.kind === 'ldp') {
      return await verifyLdp({credential: item.credential, documents, documentLoader, date});
    }
    if(item.kind === 'jwt') {
      return await verifyJwt({...item, date});
    }
    return {verified: false, error: `Unknown item kind "${item.kind}".`};
  } catch(error) {
    return {verified: false, error: describeError(error)};
  }
}

async function verifyLdp({credential, documents, documentLoader, date}) {
  let status = 'none';
  // Status lists are checked only when the request supplies them: nothing is fetched.
  const checkStatus = async ({credential: checked}) => {
    status = 'unchecked';
    for(const entry of [checked.credentialStatus].flat()) {
      if(entry?.type !== 'BitstringStatusListEntry' ||
        !Object.hasOwn(documents, entry.statusListCredential)) {
        continue;
      }
      const listCredential = documents[entry.statusListCredential];
      const listResult = await vc.verifyCredential({
        credential: listCredential, suite: verifySuites(), documentLoader, now: date
      });
      if(!listResult.verified) {
        return {verified: false, error: new Error(
          `Status list credential does not verify: ${describeError(listResult.error)}`)};
      }
      if(bitstringStatus({entry, listCredential}) === 1) {
        status = entry.statusPurpose;
        return {verified: false, error: new Error(`Credential status is "${entry.statusPurpose}".`)};
      }
      status = 'valid';
    }
    return {verified: true};
  };
  const result = await vc.verifyCredential({
    credential, suite: verifySuites(), documentLoader, checkStatus, now: date
  });
  const response = {verified: result.verified === true, status};
  if(!response.verified) {
    response.error = describeError(
      [result.error, result.statusResult?.error, (result.results ?? []).map(r => r.error)]);
  }
  return response;
}

async function verifyJwt({token, jwk, alg, date}) {
  const key = await importJWK(jwk, alg);
  const options = {algorithms: [alg]};
  if(date) {
    options.currentDate = date;
  }
  const {payload, protectedHeader} = await jwtVerify(token, key, options);
  return {verified: true, payload, header: protectedHeader};
}
