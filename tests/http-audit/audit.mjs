// Runs graphql-http's server audit against a running colead and prints each result.
// Usage: node audit.mjs [url]   (default http://127.0.0.1:8080/graphql)
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/graphql';
const results = await auditServer({ url });
const tally = {};
for (const r of results) {
  const level = r.name.split(' ')[0];
  tally[level] ??= { ok: 0, warn: 0, error: 0 };
  tally[level][r.status] += 1;
  const mark = r.status === 'ok' ? 'ok  ' : r.status.toUpperCase().padEnd(4);
  console.log(`${mark} ${r.id} ${r.name}${r.status === 'ok' ? '' : `: ${r.reason}`}`);
}
for (const [level, t] of Object.entries(tally)) {
  console.log(`${level}: ${t.ok}/${t.ok + t.warn + t.error} pass`);
}
const mustFailed = results.some((r) => r.name.startsWith('MUST') && r.status !== 'ok');
process.exit(mustFailed ? 1 : 0);
