// Independent check of DMF cards with Digital Bazaar's standard Verifiable
// Credentials libraries, fully offline: contexts come from npm packages,
// the issuer's DID document and status list from files, and any network
// access throws.
//
//   node verify.mjs [--context URL=FILE ...] CARD.json DID.json [STATUS.json ...]
//
// --context gives a context the card uses that no npm package holds (the
// app's own, as the app serves it); it is loaded for real, not stubbed.
//
// Prints one JSON line: {"verified": bool, "revoked": bool|null, "error": string}.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as didContext from 'did-context';
import * as bslContext from '@digitalbazaar/vc-bitstring-status-list-context';

globalThis.fetch = async url => { throw new Error('network disabled: ' + url); };

const args = process.argv.slice(2);
const contextFiles = [];
while (args[0] === '--context') {
  const [url, file] = args[1].split(/=(.*)/s);
  contextFiles.push([url, file]);
  args.splice(0, 2);
}
const [cardFile, didFile, ...statusFiles] = args;
const credential = JSON.parse(readFileSync(cardFile, 'utf8'));
const didDoc = JSON.parse(readFileSync(didFile, 'utf8'));

const loader = new JsonLdDocumentLoader();
for (const [url, doc] of credentialsContext.contexts) loader.addStatic(url, doc);
for (const ctx of [dataIntegrityContext, multikeyContext, didContext, bslContext]) {
  loader.addStatic(ctx.CONTEXT_URL, ctx.CONTEXT);
}
for (const file of statusFiles) {
  const list = JSON.parse(readFileSync(file, 'utf8'));
  loader.addStatic(list.id, list);
}
// The app's own context, as served: the libraries process it, so a term
// it defines badly (or a protected term it redefines) fails here.
for (const [url, file] of contextFiles) {
  loader.addStatic(url, JSON.parse(readFileSync(file, 'utf8')));
}
const base = loader.build();
// did:web, pinned: the document for the DID, the method object for a
// did:web…#key-… reference.
const documentLoader = async url => {
  if (url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    if (did !== didDoc.id) throw new Error('unknown DID ' + did);
    if (!fragment) return {contextUrl: null, documentUrl: url, document: didDoc};
    const vm = didDoc.verificationMethod.find(m => m.id === url);
    if (!vm) throw new Error('unknown verification method ' + url);
    return {contextUrl: null, documentUrl: url, document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}};
  }
  return base(url);
};

try {
  const result = await vc.verifyCredential({
    credential,
    documentLoader,
    suite: new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
    checkStatus: statusFiles.length ? checkStatus : undefined,
  });
  const statuses = result.statusResult?.results ?? [];
  const revoked = statuses.length ? statuses.some(r => r.status) : null;
  const error = result.error ? String(result.error.message ?? result.error) : '';
  console.log(JSON.stringify({verified: result.verified, revoked, error}));
} catch (e) {
  console.log(JSON.stringify({verified: false, revoked: null, error: String(e.message ?? e)}));
}
