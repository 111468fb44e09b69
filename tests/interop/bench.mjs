// Times eddsa-rdfc-2022 sign and verify with Digital Bazaar's stack, one core, offline.
// stdin:  {"contexts", "documents", "seed_hex", "controller", "verificationMethod"?,
//          "credential": {...unsigned...}, "n": 200, "created": "ISO"?}
// stdout: {"n", "sign_per_s", "verify_per_s", "sign_ms", "verify_ms"}
import {performance} from 'node:perf_hooks';

import * as vc from '@digitalbazaar/vc';

import {describeError, keyPairFrom, makeDocumentLoader, run, signSuite, verifySuites} from './lib.mjs';

const WARMUP = 20;

await run(async ({contexts = {}, documents = {}, credential, n = 200, created, ...key}) => {
  const documentLoader = makeDocumentLoader({contexts, documents});
  const keyPair = await keyPairFrom({...key, id: key.verificationMethod});
  const date = new Date(created ?? '2010-01-01T19:23:24Z');
  const sign = () => vc.issue({
    credential: structuredClone(credential),
    suite: signSuite({cryptosuite: 'eddsa-rdfc-2022', keyPair, created: date}),
    documentLoader
  });
  const signed = await sign();
  const verify = async () => {
    const result = await vc.verifyCredential({credential: signed, suite: verifySuites(), documentLoader});
    if(!result.verified) {
      throw new Error(`bench credential does not verify: ${describeError(result.error)}`);
    }
  };
  // Warm up the JIT and jsonld's context cache, as a long-running service would be.
  for(let i = 0; i < WARMUP; i++) {
    await sign();
    await verify();
  }
  const signMs = await time(sign, n);
  const verifyMs = await time(verify, n);
  return {
    n,
    sign_ms: signMs / n,
    verify_ms: verifyMs / n,
    sign_per_s: 1000 * n / signMs,
    verify_per_s: 1000 * n / verifyMs
  };
});

async function time(operation, n) {
  const start = performance.now();
  for(let i = 0; i < n; i++) {
    await operation();
  }
  return performance.now() - start;
}
