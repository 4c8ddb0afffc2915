// The recording file the benchmarks write: run `index` of a synthetic workload with the given tables.

/** A valid recording@1 document for run `index`, whose tables are `abis`. */
export function syntheticRecording(index, abis) {
  return {
    format: 'seccomp-learn/recording@1',
    runs: 1,
    abis,
    provenance: [
      {
        source: 'strace-summary',
        command: ['./app', `--case=${index}`],
        inputs: [],
        startedAt: new Date(1_700_000_000_000 + index * 1000).toISOString(),
        host: { kernel: '6.1.0', arch: 'x86_64' },
        strace: '6.1',
        seccompLearn: '0.1.0',
      },
    ],
    warnings: [],
  };
}
