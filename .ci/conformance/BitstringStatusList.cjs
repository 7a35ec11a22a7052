// localConfig.cjs for vc-bitstring-status-list-test-suite: dmf conformance,
// whose issuer id and base URL .ci/run passes in DMF_ISSUER_ID and
// DMF_BASE_URL. The issuer adds a revocation entry when options ask for it
// (VC-API issue options.credentialStatus).
const base = process.env.DMF_BASE_URL;
const id = process.env.DMF_ISSUER_ID;
module.exports = {settings: {}, implementations: [{
  name: 'DMF', implementation: 'dmf conformance',
  issuers: [{id, endpoint: `${base}/credentials/issue`, tags: ['BitstringStatusList'],
    options: {credentialStatus: {type: 'BitstringStatusListEntry', statusPurpose: 'revocation'}}}],
  verifiers: [{id, endpoint: `${base}/credentials/verify`, tags: ['BitstringStatusList'],
    options: {checks: ['proof', 'credentialStatus']}}]
}]};
