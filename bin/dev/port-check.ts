import { createServer } from 'node:net';
import { usageError } from '../cli/errors.js';

/**
 * Fails fast, before anything slow starts, when the port is taken: the message names the
 * port and the flag that changes it.
 */
export async function assertPortFree(host: string, port: number, flag = '--port', inUseHint?: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(inUseHint ? usageError(`port ${port} is already in use: ${inUseHint}`) : portInUse(port, flag));
      else if (error.code === 'EACCES')
        reject(usageError(`port ${port} needs privileges on this machine: pick another with ${flag}, e.g. ${flag} 8081`));
      else if (['ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'EAI_NONAME', 'EINVAL'].includes(error.code ?? '')) {
        reject(
          usageError(
            `cannot listen on ${host} (${error.code}): use an address of this machine, e.g. --host 127.0.0.1 (or 0.0.0.0 for every interface)`,
          ),
        );
      } else reject(error);
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

export function portInUse(port: number, flag = '--port') {
  return usageError(`port ${port} is already in use: stop whatever listens there or pick another with ${flag}, e.g. ${flag} ${port + 1}`);
}
