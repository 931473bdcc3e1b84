// One Lambda execution environment, as near as loopback allows: plain node (no tsx, no vitest) loads a built
// bundle, then handles the events the parent sends over IPC, one at a time, each with a Lambda-like context.
const { handler } = await import(process.env.LAMBDA_BUNDLE);
let invocation = 0;

process.on('message', async (event) => {
  invocation += 1;
  // The function's timeout, as the stack sets it (LAMBDA_TIMEOUT_MS, from infra/bundling.ts's FUNCTION_SIZING).
  const deadline = Date.now() + Number(process.env.LAMBDA_TIMEOUT_MS);
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    awsRequestId: `req-${invocation}`,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    process.send({ response: await handler(event, context) });
  } catch (error) {
    // A throw from the handler is what Lambda reports as a failed invocation: the test fails on it.
    process.send({ thrown: String(error?.stack ?? error) });
  }
});
// What the init loaded of Node's own modules, for tests that keep expensive ones off the cold start.
process.send({ ready: true, builtins: process.moduleLoadList });
