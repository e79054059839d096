// Child process for bench/api.ts: embedded Postgres (PGlite) in a process of its own, so its
// query work neither shares the API's event loop nor the load generator's.
import { startEmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';

const db = await startEmbeddedPostgres();
process.stdout.write(`${JSON.stringify({ url: db.url })}\n`);
const stop = () => void db.stop().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
