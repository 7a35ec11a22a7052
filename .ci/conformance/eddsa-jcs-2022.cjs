// localConfig.cjs for vc-di-eddsa-test-suite (JCS only): dmf conformance,
// whose issuer id and base URL .ci/run passes in DMF_ISSUER_ID and DMF_BASE_URL.
const base = process.env.DMF_BASE_URL;
const id = process.env.DMF_ISSUER_ID;
module.exports = {settings: {}, implementations: [{
  name: 'DMF', implementation: 'dmf conformance',
  issuers: [{id, endpoint: `${base}/credentials/issue`, supports: {vc: ['2.0']}, tags: ['eddsa-jcs-2022']}],
  verifiers: [{id, endpoint: `${base}/credentials/verify`, supports: {vc: ['2.0']}, tags: ['eddsa-jcs-2022']}]
}]};
