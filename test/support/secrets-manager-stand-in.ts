import { sendJson, startHttpStandIn, type RecordedRequest, type StandIn } from '../../local/http-stand-in';

export interface SecretsManagerStandIn extends StandIn {
  readonly requests: RecordedRequest[];
}

/**
 * Secrets Manager's GetSecretValue (AWS JSON 1.1 protocol) on loopback, for
 * the secrets it is given by ARN; the SDK reaches it through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, as a deployment reaches the real one.
 */
export async function startSecretsManagerStandIn(secrets: Readonly<Record<string, string>>): Promise<SecretsManagerStandIn> {
  const requests: RecordedRequest[] = [];
  const server = await startHttpStandIn((request, res) => {
    requests.push(request);
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    const { SecretId } = JSON.parse(request.rawBody) as { SecretId?: string };
    const secretString = SecretId !== undefined && Object.hasOwn(secrets, SecretId) ? secrets[SecretId] : undefined;
    if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || secretString === undefined) {
      return sendJson(res, 400, { __type: 'ResourceNotFoundException', message: 'Secrets Manager cannot find the specified secret.' });
    }
    sendJson(res, 200, { ARN: SecretId, Name: 'bridge-secret', VersionId: 'v1', SecretString: secretString, VersionStages: ['AWSCURRENT'], CreatedDate: 1_764_000_000 });
  });
  return { ...server, requests };
}
