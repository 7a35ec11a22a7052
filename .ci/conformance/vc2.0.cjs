// localConfig.cjs for vc-data-model-2.0-test-suite: dmf conformance, whose
// issuer id and base URL .ci/run passes in DMF_ISSUER_ID and DMF_BASE_URL.
const base = process.env.DMF_BASE_URL;
const id = process.env.DMF_ISSUER_ID;
module.exports = {settings: {}, implementations: [{
  name: 'DMF', implementation: 'dmf conformance',
  issuers: [{id, endpoint: `${base}/credentials/issue`, tags: ['vc2.0']}],
  verifiers: [{id, endpoint: `${base}/credentials/verify`, tags: ['vc2.0']}],
  vpVerifiers: [{id, endpoint: `${base}/presentations/verify`, tags: ['vc2.0']}]
}]};
