// Compression to clients (src/runtime/client-compression.ts): the throughput cost of
// sending a worker's 100 KB HTML page as br or gzip instead of as it is. One atoll
// server process (bench/servers/atoll.ts --worker html); wrk rounds with no
// Accept-Encoding (the baseline: the body goes uncompressed), with "gzip" and with
// "br", interleaved round by round in the same run; the server's CPU per request from
// /proc; the bytes on the wire per response.
//
//   node_modules/.bin/node --no-node-snapshot bench/compression.ts [--quick]

import { request } from 'node:http';
import { command, median, numFlag, procCpuMs, report, runWrk, startNodeServer, type ResultRow } from './lib/harness.ts';

const ROUNDS = numFlag('rounds', 3, 1);
const SECONDS = numFlag('seconds', 8, 2);
const CONNECTIONS = 20;
const cmd = command('compression');

const modes = [
  { name: 'uncompressed', headers: {} as Record<string, string> },
  { name: 'gzip', headers: { 'accept-encoding': 'gzip' } },
  { name: 'br', headers: { 'accept-encoding': 'br' } },
];

function wireBytes(url: string, headers: Record<string, string>): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => { bytes += d.length; });
      res.on('end', () => resolve({ bytes, encoding: String(res.headers['content-encoding'] ?? 'identity') }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

const server = await startNodeServer('atoll', ['--worker', 'html', '--cpu-ms', '1000']);
try {
  const url = `${server.url}/`;
  const size: Record<string, { bytes: number; encoding: string }> = {};
  for (const m of modes) size[m.name] = await wireBytes(url, m.headers);
  for (const m of modes) await runWrk(url, { seconds: 1, connections: CONNECTIONS, threads: 1, headers: m.headers });
  const rps: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const failures: Record<string, number> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of modes) {
      const cpu0 = procCpuMs(server.pid);
      const w = await runWrk(url, { seconds: SECONDS, connections: CONNECTIONS, threads: 1, headers: m.headers });
      (rps[m.name] ??= []).push(w.rps);
      (cpu[m.name] ??= []).push(((procCpuMs(server.pid) - cpu0) * 1000) / w.requests);
      failures[m.name] = (failures[m.name] ?? 0) + w.errors + w.non2xx;
    }
  }
  const base = median(rps.uncompressed!);
  const baseCpu = median(cpu.uncompressed!);
  const rows: ResultRow[] = [];
  for (const m of modes.slice(1)) {
    const v = median(rps[m.name]!);
    rows.push({
      bench: 'compression', figure: `100 KB HTML from a worker, ${m.name} vs uncompressed, throughput`, value: v, unit: 'req/s',
      baseline: 'the same response uncompressed', baselineValue: base, ratio: v / base, target: '(report)', met: null, command: cmd,
      notes: `wrk -t1 -c${CONNECTIONS}, ${ROUNDS} x ${SECONDS} s per mode, interleaved, median; ${size[m.name]!.bytes} bytes on the wire (${size[m.name]!.encoding}) vs ${size.uncompressed!.bytes}; errors + non-2xx ${failures[m.name]} vs ${failures.uncompressed}`,
    });
    const c = median(cpu[m.name]!);
    rows.push({
      bench: 'compression', figure: `100 KB HTML from a worker, ${m.name} vs uncompressed, server CPU per request`, value: c, unit: 'us',
      baseline: 'the same response uncompressed', baselineValue: baseCpu, ratio: c / baseCpu, target: '(report)', met: null, command: cmd,
    });
  }
  rows.push({
    bench: 'compression', figure: 'Bytes on the wire for the 100 KB HTML page, br vs uncompressed', value: size.br!.bytes, unit: 'B',
    baseline: 'uncompressed', baselineValue: size.uncompressed!.bytes, ratio: size.br!.bytes / size.uncompressed!.bytes, target: '(report)', met: null, command: cmd,
    notes: `gzip: ${size.gzip!.bytes} B`,
  });
  report('compression', rows);
} finally {
  await server.stop();
}
