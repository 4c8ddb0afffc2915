// npm run bench: every speed and memory target, with its figures. Exit 1 if one is missed.
import { run as audit } from './audit.mjs';
import { run as bpf } from './bpf.mjs';
import { run as fullTrace, TARGET_MB_PER_S } from './full-trace.mjs';
import { run as merge } from './merge.mjs';
import { run as reachable } from './reachable.mjs';
import { run as scale } from './scale.mjs';
import { run as startup } from './startup.mjs';

const benches = [
  ['startup: seccomp-learn --help vs node -e 0', startup, (result) => result.ok],
  ['merge: 1,000 recordings', merge, (result) => result.ok],
  [
    'full-trace parsing: >= 150 MB/s, flat memory',
    fullTrace,
    (results) =>
      results.every((result) => result.mbPerSec >= TARGET_MB_PER_S) &&
      results.at(-1).peakRssMb <= results[0].peakRssMb * 1.5,
  ],
  ['from-audit: 1,000,000 records, <= 0.25x the grep pipeline', audit, (result) => result.met],
  ['reachable: python3 and its libraries, < 5 s cold, < 0.5 s cached', reachable, (result) => result.ok],
  [
    'bpf backend: host dd <= 3x untraced, container dd <= 1.5x, http.server <= 1.1x, bpftrace start-up < 1.5 s',
    bpf,
    (result) => result.ok,
  ],
  [
    'scale: 100,000 distinct syscalls through merge, report, diff, merge --check',
    scale,
    (result) => result.ok,
  ],
];

const verdicts = [];
for (const [name, bench, met] of benches) {
  console.log(`\n== ${name}`);
  verdicts.push([name, met(await bench())]);
}
console.log('\n== summary');
for (const [name, ok] of verdicts) console.log(`${ok ? 'met   ' : 'MISSED'} ${name}`);
process.exitCode = verdicts.every(([, ok]) => ok) ? 0 : 1;
