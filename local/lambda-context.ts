import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FUNCTION_SIZING, type LambdaFunctionName } from '../infra/bundling';

/** What the Lambda runtime passes a function with each invocation: its name and sizing, a request id of its own, and the time left. */
export function lambdaContext(functionName: LambdaFunctionName, deadline = Date.now() + FUNCTION_SIZING[functionName].timeoutSeconds * 1000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(FUNCTION_SIZING[functionName].memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
