// A wallet doing what the DCC Learner Credential Wallet does with a `dccrequest://request?request=…`
// link: POST {} to the VC-API exchange, answer the DIDAuthentication request with a presentation signed
// Ed25519Signature2020 by its did:key (Digital Bazaar's suite, as the wallet uses), and receive the badge.
// stdin:  {"requestUri": "dccrequest://request?request=…", "seed_hex": "…", "contexts": {url: doc},
//          "challenge": "…"? (overrides the one given: a wallet answering the wrong challenge)}
// stdout: {"request": {...the VPR...}, "status": 200, "response": {...}, "holder": "did:key:…"}
import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';

async function readRequest() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

// Offline: only the pinned contexts the test passes; every other URL throws.
function documentLoader(contexts) {
  return async url => {
    if(Object.hasOwn(contexts, url)) {
      return {contextUrl: null, documentUrl: url, document: contexts[url], tag: 'static'};
    }
    throw new Error(`Offline document loader: "${url}" is not a pinned context.`);
  };
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)
  });
  return {status: response.status, body: await response.json()};
}

async function main({requestUri, seed_hex: seedHex, contexts, challenge: forcedChallenge}) {
  const link = new URL(requestUri);
  if(link.protocol !== 'dccrequest:') {
    throw new Error(`Not a dccrequest link: ${requestUri}`);
  }
  const {protocols: {vcapi: exchangeUrl}} = JSON.parse(link.searchParams.get('request'));
  const started = await post(exchangeUrl, {});
  if(started.status !== 200) {
    throw new Error(`Starting the exchange: ${started.status} ${JSON.stringify(started.body)}`);
  }
  const request = started.body.verifiablePresentationRequest;
  const key = await Ed25519VerificationKey2020.generate({seed: Uint8Array.from(Buffer.from(seedHex, 'hex'))});
  const did = `did:key:${key.fingerprint()}`;
  key.controller = did;
  key.id = `${did}#${key.fingerprint()}`;
  const presentation = vc.createPresentation({holder: did});
  presentation['@context'].push('https://w3id.org/security/suites/ed25519-2020/v1');
  const signed = await vc.signPresentation({
    presentation,
    suite: new Ed25519Signature2020({key}),
    challenge: forcedChallenge ?? request.challenge,
    domain: request.domain,
    documentLoader: documentLoader(contexts)
  });
  const answered = await post(exchangeUrl, {verifiablePresentation: signed});
  return {request, status: answered.status, response: answered.body, holder: did, presentation: signed};
}

try {
  process.stdout.write(JSON.stringify(await main(await readRequest())));
} catch(error) {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
}
