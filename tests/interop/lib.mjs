// Shared pieces of the interop scripts: stdin/stdout JSON, the offline document loader, the suites.
// Nothing here touches the network: every URL is answered from the request or refused.
import {gunzipSync} from 'node:zlib';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as didKey from '@digitalbazaar/did-method-key';
import {
  createSignCryptosuite as createJcsSignCryptosuite,
  createVerifyCryptosuite as createJcsVerifyCryptosuite
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as rdfcCryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

export const CRYPTOSUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022'];

const didKeyDriver = didKey.driver();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

/** Reads the whole of stdin and parses it as one JSON value. */
export async function readRequest() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Writes one JSON response and ends the process with status 0. */
export function writeResponse(response) {
  process.stdout.write(JSON.stringify(response));
}

/** Runs `main` on the request; a thrown error goes to stderr with status 1. */
export async function run(main) {
  try {
    writeResponse(await main(await readRequest()));
  } catch(error) {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  }
}

/**
 * A documentLoader that serves only what the request gave it: pinned contexts by URL, did:key
 * documents computed locally, and `documents` (DID documents or controller documents) by their id.
 * A DID URL / URL with a fragment is answered with the verification method of that id found in the
 * base document, carrying the base document's @context. Any other URL throws: the stack is offline.
 */
export function makeDocumentLoader({contexts = {}, documents = {}} = {}) {
  return async function documentLoader(url) {
    if(Object.hasOwn(contexts, url)) {
      return {contextUrl: null, documentUrl: url, document: contexts[url], tag: 'static'};
    }
    if(url.startsWith('did:key:')) {
      const document = await didKeyDriver.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    if(Object.hasOwn(documents, url)) {
      return {contextUrl: null, documentUrl: url, document: absoluteIds(documents[url], url)};
    }
    const hash = url.indexOf('#');
    if(hash > 0 && Object.hasOwn(documents, url.slice(0, hash))) {
      const base = absoluteIds(documents[url.slice(0, hash)], url.slice(0, hash));
      const method = findVerificationMethod(base, url);
      if(method) {
        return {
          contextUrl: null,
          documentUrl: url,
          document: {'@context': base['@context'], ...method}
        };
      }
    }
    throw new Error(`Offline document loader: "${url}" is not a pinned context or given document.`);
  };
}

const METHOD_PLACES = ['verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation'];

// DID documents may use relative key ids ("#key-1"); a DID resolver resolves them against the
// document's URL, and jsonld-signatures compares ids as plain strings, so make them absolute.
function absoluteIds(document, base) {
  if(!document || typeof document !== 'object' || Array.isArray(document)) {
    return document;
  }
  const absolute = id => typeof id === 'string' && id.startsWith('#') ? `${base}${id}` : id;
  const copy = {...document};
  for(const place of METHOD_PLACES) {
    if(copy[place] === undefined) {
      continue;
    }
    copy[place] = [copy[place]].flat().map(value =>
      value && typeof value === 'object' ? {...value, id: absolute(value.id)} : absolute(value));
  }
  return copy;
}

// Verification methods may sit in `verificationMethod` or be embedded in a relationship.
function findVerificationMethod(document, url) {
  for(const place of METHOD_PLACES) {
    for(const value of [document[place] ?? []].flat()) {
      if(value && typeof value === 'object' && value.id === url) {
        return value;
      }
    }
  }
  return null;
}

/** The verification suites: eddsa-rdfc-2022 and eddsa-jcs-2022 (fresh objects: they cache hashes). */
export function verifySuites() {
  return [
    new DataIntegrityProof({cryptosuite: rdfcCryptosuite}),
    new DataIntegrityProof({cryptosuite: createJcsVerifyCryptosuite()})
  ];
}

/** A signing suite for `cryptosuite` with an Ed25519 key pair, the proof dated `created` if given. */
export function signSuite({cryptosuite, keyPair, created}) {
  const suites = {
    'eddsa-rdfc-2022': () => rdfcCryptosuite,
    'eddsa-jcs-2022': () => createJcsSignCryptosuite()
  };
  if(!Object.hasOwn(suites, cryptosuite)) {
    throw new Error(`Unsupported cryptosuite "${cryptosuite}"; use one of ${CRYPTOSUITES}.`);
  }
  const options = {signer: keyPair.signer(), cryptosuite: suites[cryptosuite]()};
  if(created !== undefined && created !== null) {
    options.date = created;
  }
  return new DataIntegrityProof(options);
}

/** An Ed25519 Multikey key pair from a 32-byte hex seed or a `z…` secretKeyMultibase. */
export async function keyPairFrom({seed_hex: seedHex, secretKeyMultibase, controller, id}) {
  let seed;
  if(typeof seedHex === 'string') {
    seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
  } else if(typeof secretKeyMultibase === 'string') {
    seed = seedFromSecretKeyMultibase(secretKeyMultibase);
  } else {
    throw new Error('Give "seed_hex" or "secretKeyMultibase".');
  }
  if(seed.length !== 32) {
    throw new Error(`An Ed25519 seed is 32 bytes, got ${seed.length}.`);
  }
  return Ed25519Multikey.generate({seed, controller, id});
}

// Secret Multikey: "z" + base58btc(0x80 0x26 || 32-byte seed [|| 32-byte public key]).
function seedFromSecretKeyMultibase(value) {
  if(!value.startsWith('z')) {
    throw new Error('secretKeyMultibase must be base58btc ("z…").');
  }
  const bytes = base58Decode(value.slice(1));
  if(bytes[0] !== 0x80 || bytes[1] !== 0x26) {
    throw new Error('secretKeyMultibase is not an Ed25519 secret key (header 0x8026).');
  }
  return bytes.subarray(2, 34);
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58Decode(text) {
  let number = 0n;
  for(const char of text) {
    const digit = BASE58.indexOf(char);
    if(digit < 0) {
      throw new Error(`Not base58btc: "${char}".`);
    }
    number = number * 58n + BigInt(digit);
  }
  const bytes = [];
  while(number > 0n) {
    bytes.unshift(Number(number & 0xffn));
    number >>= 8n;
  }
  for(const char of text) {
    if(char !== '1') {
      break;
    }
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

/** A one-line description of an error, including the nested errors jsonld-signatures collects. */
export function describeError(error) {
  const messages = [];
  const seen = new Set();
  const visit = value => {
    if(!value || seen.has(value)) {
      return;
    }
    seen.add(value);
    if(Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if(typeof value.message === 'string' && value.message && !messages.includes(value.message)) {
      messages.push(value.message);
    }
    visit(value.errors);
    visit(value.cause);
  };
  visit(error);
  return messages.join(' | ') || String(error);
}

/**
 * The status bit of a Bitstring Status List entry, read from a list credential that the caller has
 * already verified (lists are given in the request, never fetched).
 * https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm
 */
export function bitstringStatus({entry, listCredential}) {
  const subject = listCredential.credentialSubject;
  if(subject?.statusPurpose !== entry.statusPurpose) {
    throw new Error(
      `Status purpose "${entry.statusPurpose}" does not match the list's "${subject?.statusPurpose}".`);
  }
  const encoded = subject.encodedList;
  if(typeof encoded !== 'string' || !encoded.startsWith('u')) {
    throw new Error('encodedList must be multibase base64url ("u…").');
  }
  const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
  const index = Number.parseInt(entry.statusListIndex, 10);
  if(!Number.isInteger(index) || index < 0 || index >= bits.length * 8) {
    throw new Error(`statusListIndex ${entry.statusListIndex} is out of range.`);
  }
  // Index 0 is the left-most bit: the most significant bit of byte 0.
  return (bits[index >> 3] >> (7 - (index & 7))) & 1;
}
