import { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles
 * (BUNDLING.alias). The AWS SDK clients take their default credentials from
 * its `defaultProvider`: a chain of environment, SSO, INI files, process,
 * web identity, container and instance metadata, whose code is 30% of each
 * function's bundle and is parsed on every cold start. Lambda hands a
 * function its role's credentials in environment variables, the chain's
 * first link, so the rest is never reached there.
 *
 * Lambda only: a feature that delivered credentials otherwise would need the
 * full chain back (test/functions/deployed-bundles.test.ts would then fail
 * for want of them). Local runs and tests use the source, with the full chain.
 */
export function defaultProvider(init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> {
  const fromEnvironment = fromEnv(init);
  // Read once, not on every request: the SDK asks its provider each time it signs a call.
  // (The memoizer answers undefined only when given no provider.)
  return memoizeIdentityProvider(fromEnvironment, isIdentityExpired, doesIdentityRequireRefresh) ?? fromEnvironment;
}
