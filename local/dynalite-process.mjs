// The embedded DynamoDB-API server in a process of its own, so that dynalite's work does not queue behind
// the handlers' on one event loop (as DynamoDB is a separate service in AWS). Started by local/embedded-dynamo.ts:
// argv[2] is the data folder (empty: in memory), argv[3] the port (0 or absent: any; a restart asks for the one it had);
// prints "listening <port>" when ready; exits with its parent.
import { createRequire } from 'node:module';

const dynalite = createRequire(import.meta.url)('dynalite');
const server = dynalite({ ...(process.argv[2] ? { path: process.argv[2] } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', () => undefined); // the parent decides when to stop
process.on('disconnect', stop);
