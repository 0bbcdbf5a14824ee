#!/usr/bin/env node
// Decide a batch of IAM authorization requests with @cloud-copilot/iam-simulate.
//
// stdin:  a JSON array of requests, each
//   {principal, action, resource, resourceAccount, context,
//    identityPolicies, resourcePolicy, vpcEndpointPolicies,
//    serviceControlPolicies, resourceControlPolicies, permissionBoundaryPolicies}
// where the *Policies lists hold {name, policy} (SCPs and RCPs: {orgIdentifier, policies}).
// stdout: a JSON array with one decision per request, in order:
//   {decision: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error",
//    blockedBy, denials, grants, ignoredContextKeys, errors}
'use strict';

const {
  runSimulation,
  getDenialReasons,
  getGrantReasons,
} = require('@cloud-copilot/iam-simulate');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function toSimulation(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context || {},
    },
    identityPolicies: request.identityPolicies || [],
    serviceControlPolicies: request.serviceControlPolicies || [],
    resourceControlPolicies: request.resourceControlPolicies || [],
  };
  if (request.resourcePolicy) {
    simulation.resourcePolicy = request.resourcePolicy;
  }
  if (request.vpcEndpointPolicies && request.vpcEndpointPolicies.length) {
    simulation.vpcEndpointPolicies = request.vpcEndpointPolicies;
  }
  if (request.permissionBoundaryPolicies && request.permissionBoundaryPolicies.length) {
    simulation.permissionBoundaryPolicies = request.permissionBoundaryPolicies;
  }
  return simulation;
}

async function decide(request) {
  const outcome = await runSimulation(toSimulation(request), { simulationMode: 'Strict' });
  if (outcome.resultType === 'error') {
    return { decision: 'Error', errors: outcome.errors };
  }
  const results = outcome.resultType === 'single' ? [outcome.result] : outcome.results;
  const analyses = results.map((result) => result.analysis).filter(Boolean);
  return {
    decision: outcome.overallResult,
    blockedBy: [...new Set(analyses.flatMap((analysis) => analysis.blockedBy || []))],
    denials: analyses.flatMap((analysis) => getDenialReasons(analysis)),
    grants: analyses.flatMap((analysis) => getGrantReasons(analysis)),
    ignoredContextKeys: [...new Set(results.flatMap((result) => result.ignoredContextKeys || []))],
  };
}

async function main() {
  const requests = JSON.parse(await readStdin());
  if (!Array.isArray(requests)) {
    throw new Error('expected a JSON array of requests on stdin');
  }
  const decisions = [];
  for (const request of requests) {
    try {
      decisions.push(await decide(request));
    } catch (error) {
      decisions.push({ decision: 'Error', errors: { message: String(error && error.message ? error.message : error) } });
    }
  }
  process.stdout.write(JSON.stringify(decisions));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
