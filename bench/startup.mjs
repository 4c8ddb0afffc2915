// `seccomp-learn --help` against `node -e 0`, run alternately so both see the same machine state.
// Target: at most 1.7 times node's own start-up. Needs the build (npm run build).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/seccomp-learn.js', import.meta.url));
export const TARGET_RATIO = 1.7;

function time(args) {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run({ rounds = 30, log = console.log } = {}) {
  const node = [];
  const help = [];
  for (let i = 0; i < 3; i++) {
    time(['-e', '0']);
    time([BIN, '--help']);
  }
  for (let i = 0; i < rounds; i++) {
    node.push(time(['-e', '0']));
    help.push(time([BIN, '--help']));
  }
  const ratio = median(help) / median(node);
  log(
    `startup: node -e 0 ${median(node).toFixed(1)} ms, seccomp-learn --help ${median(help).toFixed(1)} ms (median of ${rounds}): ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x)`,
  );
  return { nodeMs: median(node), helpMs: median(help), ratio, ok: ratio <= TARGET_RATIO };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { ok } = await run();
  process.exitCode = ok ? 0 : 1;
}
