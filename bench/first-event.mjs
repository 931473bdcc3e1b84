// One cold container: load a bundle and handle one event, in a fresh process. Exit 0 when it answered 200.
const { handler } = await import(process.env.BENCH_BUNDLE);
const result = await handler(JSON.parse(process.env.BENCH_EVENT), {});
process.exit(result && result.statusCode === 200 ? 0 : 3);
