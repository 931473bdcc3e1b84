import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';

type CredentialProvider = ReturnType<typeof fromEnv>;

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles
 * (BUNDLING.alias). The AWS SDK clients take their default credentials from
 * its `defaultProvider`: a chain of environment, SSO, INI files, process,
 * web identity, container and instance metadata, whose code is 30% of each
 * function's bundle and is parsed on every cold start. Lambda hands a
 * function its role's credentials in environment variables, the chain's
 * first link, so the rest is never reached there; the container endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI), by which some Lambda features deliver
 * them instead, is kept as the second link for 7 KiB. Local runs and tests use
 * the source, with the full chain.
 */
export function defaultProvider(init?: Parameters<typeof fromEnv>[0]): CredentialProvider {
  const fromEnvironment = fromEnv(init);
  const provider: CredentialProvider = async (options) => {
    try {
      return await fromEnvironment(options);
    } catch (error) {
      // Without a container endpoint the environment's error is the one that says what is missing.
      if (!process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI && !process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) throw error;
      return fromHttp(init ?? {})(options);
    }
  };
  // Read once, not on every request: the SDK asks its provider each time it signs a call.
  // (The memoizer answers undefined only when given no provider.)
  return memoizeIdentityProvider(provider, isIdentityExpired, doesIdentityRequireRefresh) ?? provider;
}
