import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A round-robin HTTP forwarder: spreads requests over several service instances. */
export async function startBalancer(): Promise<{ url: string; setTargets(urls: string[]): void; close(): Promise<void> }> {
  let targets: URL[] = [];
  let next = 0;
  const server = http.createServer((req, res) => {
    if (targets.length === 0) {
      res.writeHead(503).end();
      return;
    }
    const target = targets[next++ % targets.length]!;
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setTargets(urls) {
      targets = urls.map((u) => new URL(u));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
