import { Command, CommanderError, Option } from 'commander';
import { PROFILE_FORMATS, SPO_API_VERSIONS } from '../emit/formats.js';
import { UserError } from '../errors.js';
import { ARGS_CHOICES } from '../profile/argument-rules.js';
import { DEFAULT_ACTION_CHOICES } from '../profile/default-action.js';
import { WIDEN_CHOICES } from '../profile/equivalents.js';
import { STYLES } from '../profile/remove-set.js';
import { DEFAULT_RUNTIME, RUNTIME_CHOICES } from '../profile/runtime-baselines.js';
import { ACTION_CHOICES } from '../recording/audit-filter.js';
import { REPORT_FORMATS } from '../report/render.js';
import { DEFAULT_AUDIT_LOG } from '../sources/audit-log.js';
import { style } from '../util/color.js';
import { warn } from './output.js';

/**
 * The command line: definitions and help only. Each action imports its module when it runs, so
 * `--help` and start-up stay light (no zod, execa or table code is loaded to print help).
 */

import { visibleLines } from '../util/visible.js';
import { VERSION } from '../version.js';

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

function collectPaths(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((name) => name !== '')];
}

/** --spo-api: which served version of the SeccompProfile CRD the object names. */
function spoApiOption(): Option {
  return new Option(
    '--spo-api <version>',
    'with --format spo: SeccompProfile apiVersion (v1: Security Profiles Operator 1.0.0 and later; v1beta1: earlier)',
  )
    .choices(SPO_API_VERSIONS)
    .default('v1');
}

/** How a profile is made: shared by every command that writes one. */
const JSON_HELP = 'print a machine-readable summary on stdout';

/** diff and report: one meaning of --arch (src/diff/compare.ts comparisonHost). */
const ARCH_HELP =
  "the native ABI of the host to judge for (x86_64, aarch64, …): the reference is loaded as that host's runtime loads it, and the ABIs it runs are compared (x86_64: x86_64, x86, x32); default: the recordings' host, else this machine's";

/** --widen and --binary: how far a profile generated from recordings reaches (generate, diff, report…). */
function addWideningOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--widen <mode>',
        'allow more than was observed: equivalents (mkdir with mkdirat, stat with newfstatat, …), reachable (also what the binaries the workload ran can call, within the kinds of work the recording shows: no socket calls for a workload that never opened one), reachable-all (every call the binaries can make), none (exactly what was observed), or auto: reachable when the binaries can be read, else equivalents; never a dangerous call it did not make, except in the form Docker allows it',
      )
        .choices(WIDEN_CHOICES)
        .default('auto'),
    )
    .addOption(
      new Option(
        '--args <mode>',
        "argument rules: learned (clone, unshare and setns without the namespace flags never seen, socket for the families seen, personality and prctl for the values seen, clone3 ENOSYS unless seen creating namespaces; Docker's own form where the recording has no argument data), or none (names only)",
      )
        .choices(ARGS_CHOICES)
        .default('learned'),
    )
    .option(
      '--binary <path>',
      'with --widen reachable or reachable-all: an executable of the workload besides those the recording names (repeatable)',
      collectPaths,
      [],
    );
}

function addGenerationOptions(command: Command, jsonHelp = JSON_HELP): Command {
  const runtime = new Option(
    '--runtime <runtime>',
    "container runtime whose own post-filter calls to allow, observed or not: a runtime's Go calls vary from run to run (none: not for a container)",
  )
    .choices(RUNTIME_CHOICES)
    .default(DEFAULT_RUNTIME);
  const made = command
    .addOption(
      new Option(
        '--default-action <action>',
        'what the profile does with other syscalls (errno: EPERM, enosys: ENOSYS, kill: kill the process, log: allow and log)',
      )
        .choices(DEFAULT_ACTION_CHOICES)
        .default('errno'),
    )
    .addOption(
      new Option(
        '--style <style>',
        "allowlist: only what the workload needs, every other call gets --default-action; remove-set (rkt's name): every call allowed but the dangerous ones the workload never made (the Kubernetes proposal's list, and --deny), which get --default-action: for workloads too broad to enumerate, and much weaker (report says how much)",
      )
        .choices(STYLES)
        .default('allowlist'),
    )
    .addOption(runtime)
    .addOption(
      new Option(
        '--format <format>',
        'profile format: docker (also podman, kubelet), oci (runc config.json), spo (Kubernetes SeccompProfile), lxc (LXC policy, version 2), lxc-v1 (LXC version 1: numbers for one architecture, kill default), systemd (a drop-in with SystemCallFilter=), appc (an rkt isolator), c (a libseccomp C program: ./filter CMD runs CMD under the profile), firejail (seccomp.keep/seccomp.drop lines: firejail --profile=FILE CMD); systemd, appc and firejail take names only (firejail: namespace flags as restrict-namespaces): use --args none',
      )
        .choices(PROFILE_FORMATS)
        .default('docker'),
    )
    .addOption(spoApiOption());
  return addWideningOptions(made)
    .option('--allow <names>', 'also allow these syscalls (comma-separated, repeatable)', collect, [])
    .option('--deny <names>', 'never allow these syscalls (comma-separated, repeatable)', collect, [])
    .option('--json', jsonHelp);
}

/** Commands that learn a recording and write it with its profile. */
function addLearningOptions(command: Command, jsonHelp = JSON_HELP): Command {
  return addGenerationOptions(
    command.option(
      '-o, --output <prefix>',
      'write PREFIX.recording.json and PREFIX.profile.json',
      'seccomp-learn',
    ),
    jsonHelp,
  );
}

/**
 * The command line; `onExitStatus` hears the exit status the command's use returned. Commands
 * return their status rather than set process.exitCode, so that main() alone decides how it ends.
 */
export function buildProgram(onExitStatus: (status: number) => void = () => undefined): Command {
  const exit = async (status: Promise<number | undefined>): Promise<void> => {
    onExitStatus((await status) ?? 0);
  };
  const program = new Command('seccomp-learn')
    .version(VERSION)
    .description(
      "Learn the smallest seccomp allowlist a workload needs (strace or audit records), merge runs, compare with Docker's default and write profiles Docker, Podman, runc and Kubernetes load.",
    )
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands are added, so they inherit it: usage errors come back to main().
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'seccomp-learn record -o myapp -- ./myapp --selftest',
        'seccomp-learn generate myapp.recording.json -o myapp.json',
        'docker run --security-opt seccomp=myapp.json myimage',
      ]),
    );

  addLearningOptions(
    program
      .command('record')
      .summary('run a command (or a container) and learn its profile')
      .description(
        "Run COMMAND (or attach to --pid), keeping its stdin, stdout and stderr, and write a recording and a minimal profile. Backends (--backend): bpf counts the calls in the kernel with a bpftrace program, per ABI and syscall, with the values of the arguments --args learns (root or CAP_BPF+CAP_PERFMON, bpftrace, a kernel with BTF, tracefs); strace runs a host command under `strace -f -c`; audit runs a `docker run …` / `podman run …` with a complain-mode (SCMP_ACT_LOG) profile and collects the kernel's SECCOMP audit records of that container's processes only, and the arguments --args learns (but clone3's flags) from the SYSCALL records of audit rules it adds for those calls while it records, kept where the rule logged every call (root, and auditd or dmesg). auto (the default) uses bpf when it can and otherwise says why and uses strace (host commands) or audit (containers). Exit code: the workload's (128+N if a signal N killed it); 2 when seccomp-learn itself fails; 3 (or --loss-exit-code) when audit records were lost or could not be placed in the container (see --allow-incomplete). The recording's warnings (--json: \"incomplete\" and \"warnings\") say which.",
      )
      .argument('[command...]', 'the command to run, after --')
      .option('-p, --pid <pid>', 'attach to a running process (all threads, children followed) instead')
      .option('--duration <seconds>', 'with --pid: stop after this many seconds (default: until Ctrl-C)')
      .option('--backend <backend>', 'how to observe the run: auto, bpf, strace or audit (default: auto)')
      .option(
        '--full',
        'record a full trace instead of strace -c counts: slower, the same calls, and the arguments --args learns (clone, socket, …); strace backend',
      )
      .option(
        '--allow-incomplete',
        "for containers: exit with the container's code even when audit records were lost or could not be placed",
      )
      .option(
        '--loss-exit-code <code>',
        "for containers: exit with this code (1-255) instead of 3 when audit records were lost or could not be placed, so that a script tells it from the container's own exit code",
      )
      .option(
        '--audit-log <path>',
        "for docker/podman run: read SECCOMP records from this audit log (default: auditd's, else dmesg)",
      )
      .addHelpText(
        'after',
        examples([
          'seccomp-learn record -- busybox sh -c "echo hello > /tmp/x"',
          'seccomp-learn record -o nginx --runtime runc -- nginx -t',
          'seccomp-learn record --pid 4242 --duration 60 -o worker',
          'seccomp-learn record --backend strace -o myapp -- ./myapp --selftest',
          'seccomp-learn record -o web -- docker run --rm --network none myimage ./selftest',
          'seccomp-learn record -o web -- podman run --rm myimage ./selftest',
          'seccomp-learn record --json -o app -- ./app | jq .profile   # the app prints to stderr here',
        ]),
      ),
    "print a machine-readable summary on stdout; the workload's own stdout then goes to stderr, so stdout holds the JSON alone",
  ).action(async (command: string[], options) =>
    exit((await import('./commands/record.js')).runRecord(command, options)),
  );

  addLearningOptions(
    program
      .command('from-strace')
      .summary('learn from strace output made elsewhere')
      .description(
        'Read strace output (-c summary tables, full -f traces, or a set of -ff files prefix.PID) and write a recording and a minimal profile. FILE - reads standard input.',
      )
      .argument('<file...>', 'strace output files, or - for stdin')
      .addHelpText(
        'after',
        examples([
          'strace -f -c -o app.strace ./app && seccomp-learn from-strace app.strace',
          'strace -ff -o trace ./app && seccomp-learn from-strace trace.*',
          'strace -f ./app 2>&1 >/dev/null | seccomp-learn from-strace -',
        ]),
      ),
  ).action(async (files: string[], options) =>
    exit((await import('./commands/from-strace.js')).runFromStrace(files, options)),
  );

  addGenerationOptions(
    program
      .command('generate')
      .summary('write the minimal allowlist profile for recordings')
      .description(
        'Emit the minimal allowlist for one or more recordings (merged) in Docker/OCI JSON, as a Kubernetes SeccompProfile, an LXC policy, a systemd drop-in, an appc isolator, a libseccomp C program or firejail profile lines; or, with --style remove-set, a default-allow profile that refuses only the dangerous calls never made. A format that cannot carry something in the profile refuses with a one-line error instead of dropping it.',
      )
      .argument('<recording...>', 'recording files (*.recording.json)')
      .option('-o, --output <file>', 'write the profile here (default: stdout)')
      .option('--name <name>', 'object name for --format spo (default: from the output file name)')
      .addHelpText(
        'after',
        examples([
          'seccomp-learn generate app.recording.json -o app.json',
          'seccomp-learn generate run1.recording.json run2.recording.json --default-action enosys -o app.json',
          'seccomp-learn generate app.recording.json --format spo --name my-app -o my-app.yaml',
          'seccomp-learn generate app.recording.json --format lxc -o app.seccomp   # lxc.seccomp.profile = app.seccomp',
          'seccomp-learn generate app.recording.json --runtime none --allow ptrace --deny chmod -o app.json',
          'seccomp-learn generate app.recording.json --widen reachable --binary /usr/bin/python3 -o app.json',
          'seccomp-learn generate app.recording.json --widen reachable-all -o app.json   # every call the binaries can make, any kind of work',
          'seccomp-learn generate app.recording.json --args none --format appc -o app.isolator.json',
          'seccomp-learn generate app.recording.json --args none -o names-only.json',
          'seccomp-learn generate app.recording.json --args none --format systemd -o app.conf',
          'seccomp-learn generate app.recording.json --format c -o filter.c && gcc -o filter filter.c -lseccomp && ./filter ./app',
          'seccomp-learn generate app.recording.json --format firejail --allow prctl -o app.firejail && firejail --profile=./app.firejail ./app',
          'seccomp-learn generate app.recording.json --style remove-set -o broad.json   # default allow: much weaker',
        ]),
      ),
  ).action(async (recordings: string[], options) =>
    exit((await import('./commands/generate.js')).runGenerate(recordings, options)),
  );

  addLearningOptions(
    program
      .command('from-audit')
      .summary('learn from SECCOMP audit records (audit.log, dmesg, journald, syslog, ausearch -i)')
      .description(
        `Read the kernel's SECCOMP audit records and write a recording and a minimal profile. FILE is ${DEFAULT_AUDIT_LOG} by default, - for stdin, or any of: audit.log (raw or ENRICHED), dmesg or /dev/kmsg text, syslog/audisp lines, journalctl short or -o json output, ausearch -i output. Lost records (kernel rate limit, backlog overflow) are reported and make the exit code 3 unless --allow-incomplete.`,
      )
      .argument('[file]', `the log to read (default ${DEFAULT_AUDIT_LOG}; - for stdin)`)
      .option('--dmesg', 'read the kernel ring buffer (dmesg) instead of a file')
      .option('--journal', "read journald's audit and kernel records (journalctl -o json)")
      .addOption(
        new Option(
          '--action <action>',
          'which records count: log (complain-mode learning), kill (what a profile killed), errno/trap (logged only for filters loaded with SECCOMP_FILTER_FLAG_LOG, which Docker and Podman profiles are not: see below), all',
        )
          .choices(ACTION_CHOICES)
          .default('log'),
      )
      .option(
        '--since <time>',
        'only records at or after TIME (epoch, ISO date/time, today, yesterday, recent, or an age like 30m)',
      )
      .option('--until <time>', 'only records at or before TIME')
      .option('--pid <pid>', 'only records of this process')
      .option('--comm <name>', 'only records of processes with this command name')
      .option('--exe <path>', 'only records of this executable')
      .option(
        '--allow-incomplete',
        'exit 0 even when records were lost (they stay warnings in the recording)',
      )
      .addHelpText(
        'after',
        examples([
          'docker run --security-opt seccomp=log.json myimage ./selftest && seccomp-learn from-audit --since recent -o myimage',
          'seccomp-learn from-audit --dmesg --comm nginx -o nginx',
          'seccomp-learn from-audit --action kill --since today -o killed      # what did my profile kill?',
          'journalctl -o json _TRANSPORT=audit | seccomp-learn from-audit - -o app',
          'ausearch -m SECCOMP -i | seccomp-learn from-audit - -o app',
        ]),
      )
      .addHelpText(
        'after',
        `\nWhat did my profile refuse? The kernel logs SCMP_ACT_ERRNO and SCMP_ACT_TRAP results only for a filter loaded with SECCOMP_FILTER_FLAG_LOG (and listed in /proc/sys/kernel/seccomp/actions_logged); Docker and Podman profiles normally do not set it (a profile's "flags": ["SECCOMP_FILTER_FLAG_LOG"] asks for it where the engine and runtime support that; Docker 20.10 ignores it and runc 1.1 refuses it), so --action errno and --action trap find nothing for them. Instead, record the workload under the complain-mode profile and check the recording against your profile:\n  seccomp-learn record -o today -- docker run --rm myimage ./selftest\n  seccomp-learn merge --check myprofile.json today.recording.json\nor run it under a copy of your profile with "defaultAction": "SCMP_ACT_LOG" and read --action log.`,
      ),
  ).action(async (file: string | undefined, options) =>
    exit((await import('./commands/from-audit.js')).runFromAudit(file, options)),
  );

  program
    .command('log-profile')
    .summary('print the complain-mode profile (SCMP_ACT_LOG) for learning by hand')
    .description(
      "Print a profile that allows and logs every syscall (defaultAction SCMP_ACT_LOG, all of the host's ABIs). Run the workload under it, then learn from the kernel's records with `seccomp-learn from-audit`.",
    )
    .option('-o, --output <file>', 'write it here instead of stdout')
    .addOption(new Option('--format <format>', 'profile format').choices(PROFILE_FORMATS).default('docker'))
    .addOption(spoApiOption())
    .addHelpText(
      'after',
      `
Next steps:
  Docker:     seccomp-learn log-profile -o log.json
              docker run --security-opt seccomp=log.json IMAGE …
  Podman:     podman run --security-opt seccomp=log.json IMAGE …
  runc:       seccomp-learn log-profile --format oci   # merge "linux.seccomp" into the bundle's config.json
  C program:  seccomp-learn log-profile --format c -o log.c && gcc -o log log.c -lseccomp && ./log ./myapp
  Kubernetes: copy log.json to /var/lib/kubelet/seccomp/profiles/log.json on the node, then in the pod:
                securityContext:
                  seccompProfile: { type: Localhost, localhostProfile: profiles/log.json }
              or: seccomp-learn log-profile --format spo | kubectl apply -f -   (Security Profiles Operator)
  Then:       seccomp-learn from-audit --since recent -o myapp   (auditd running: auditd; auditctl -b 8192)
              without auditd: seccomp-learn from-audit --dmesg -o myapp  (rate-limited: losses are reported)
`,
    )
    .action(async (options) => exit((await import('./commands/log-profile.js')).runLogProfile(options)));

  program
    .command('verify')
    .summary('run a workload and list the calls a profile would refuse')
    .description(
      "Run COMMAND and say which of its calls PROFILE would refuse. `docker run …` / `podman run …` runs under a copy of PROFILE whose default action logs instead of refusing, so the workload runs on and the kernel's SECCOMP records name every call the profile would have refused (arguments judged by the kernel); any other command runs under strace and its calls are judged against PROFILE as its runtime loads it. With --enforce the workload then runs twice more, unconfined and under PROFILE itself (a container with --security-opt seccomp=…, a host command loaded with python3 and libseccomp), and their exit codes (with --compare-output also their stdout, captured) are compared. Exit code: 1 when PROFILE would refuse a call (the list says which) or the enforced run differs, 0 when it covers the run, 2 when verify itself fails.",
    )
    .argument('<profile>', 'the profile to prove (Docker/OCI JSON)')
    .argument('[command...]', 'the workload, after --')
    .option(
      '--full',
      'host commands: a full strace trace instead of -c counts (always, when the profile has argument rules)',
    )
    .option(
      '--audit-log <path>',
      "containers: read SECCOMP records from this audit log (default: auditd's, else dmesg)",
    )
    .option(
      '--merge-into <recording>',
      "add this run's calls to RECORDING, to learn the gaps a test suite finds",
    )
    .option(
      '--enforce',
      'also run the workload unconfined and under PROFILE itself, and compare their exit codes (the workload runs three times: it must be repeatable)',
    )
    .option('--compare-output', "with --enforce: compare the two runs' stdout as well")
    .option('--json', JSON_HELP)
    .addHelpText(
      'after',
      examples([
        'seccomp-learn verify app.json -- docker run --rm myimage ./integration-tests',
        'seccomp-learn verify app.json --merge-into app.recording.json -- ./myapp --other-input',
        'seccomp-learn verify app.json --enforce --compare-output -- docker run --rm myimage ./selftest',
      ]),
    )
    .action(async (profile: string, command: string[], options) =>
      exit((await import('./commands/verify.js')).runVerify(profile, command, options)),
    );

  program
    .command('merge')
    .summary('merge recordings (or profiles), or check that a profile covers runs')
    .description(
      "Merge recordings: counts summed, per syscall how many runs saw it, every input's provenance and warnings kept. Merge profiles: the union, where for one syscall the less restrictive action wins. With --check PROFILE INPUT…: exit 1 and list the gaps when PROFILE does not cover what the recordings or profiles need (a CI gate).",
    )
    .argument('<file...>', 'recordings or profiles (with --check: the profile first)')
    .option('-o, --output <file>', 'where to write the merged recording or profile')
    .option('--check', 'check that the first file (a profile) covers all the others instead of merging')
    .option('--json', 'print a machine-readable result on stdout')
    .addHelpText(
      'after',
      examples([
        'seccomp-learn merge run1.recording.json run2.recording.json run3.recording.json -o all.recording.json',
        'seccomp-learn merge web.json worker.json -o both.json',
        'seccomp-learn merge --check seccomp/app.json today.recording.json   # exit 1 if the committed profile misses a call',
      ]),
    )
    .action(async (files: string[], options) =>
      exit((await import('./commands/merge.js')).runMerge(files, options)),
    );

  addWideningOptions(
    program
      .command('diff')
      .summary(
        "compare a profile or recording with Docker's default (or Podman's, containerd's, a file), or two with each other",
      )
      .description(
        'With one input: every syscall on either side gets a status against the reference, evaluated as its runtime loads it for the host (--arch), capabilities (--cap-add/--cap-drop) and kernel (--kernel): allowed, conditional (only for some arguments), denied (with the capability that would allow it) or unneeded (attack surface removed), with a headline and risk notes. With two inputs: what the second adds and removes relative to the first.',
      )
      .argument('<input...>', 'a profile or recording; or two of them to compare with each other')
      .option('--against <reference>', 'docker, podman, containerd, or a profile file', 'docker')
      .option('--arch <abi>', ARCH_HELP)
      .option(
        '--cap-add <cap>',
        'a capability the container gets (as docker run --cap-add; repeatable)',
        collect,
        [],
      )
      .option(
        '--cap-drop <cap>',
        'a capability the container loses (as docker run --cap-drop; repeatable)',
        collect,
        [],
      )
      .option('--kernel <X.Y>', "judge minKernel conditions for this kernel (default: this host's)")
      .option('--json', 'machine-readable result on stdout')
      .option('--markdown', 'a pull-request comment on stdout')
      .option(
        '--why',
        'list every allowed call with its reason (observed with its counts, equivalent of, reachable through, the exit path); --json and --markdown always do',
      ),
  )
    .addHelpText(
      'after',
      examples([
        'seccomp-learn diff app.profile.json',
        'seccomp-learn diff app.recording.json --against podman --markdown > comment.md',
        'seccomp-learn diff app.profile.json --cap-add SYS_ADMIN --kernel 5.4 --json',
        'seccomp-learn diff old.json new.json',
        'seccomp-learn diff /usr/share/lxc/config/common.seccomp app.profile.json   # LXC, systemd, appc inputs too',
        'seccomp-learn diff app.recording.json --widen reachable --binary /usr/bin/python3 --why',
      ]),
    )
    .action(async (inputs: string[], options) => {
      if (inputs.length > 2)
        throw new UserError('diff takes one input (against a reference) or two (against each other)');
      return exit((await import('./commands/diff.js')).runDiff(inputs, options));
    });

  addWideningOptions(
    program
      .command('report')
      .summary('write a security review of a profile (Markdown, HTML, JSON or text)')
      .description(
        "Review recordings and/or one profile for a security team: what was recorded, every warning, the syscalls grouped by what they do, the dangerous ones still allowed, the comparison with Docker's default (what it removes, what the workload needs that Docker denies and which capability would allow it), the profile and how to apply it. Inputs are told apart by content: recordings (merged) and at most one profile; without a profile, the one `generate` would write is reviewed. Default format: text on a terminal, else Markdown; with -o, the file's extension (.md, .html, .json, .txt).",
      )
      .argument('<input...>', 'recordings (*.recording.json) and/or one profile (JSON with defaultAction)')
      .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS))
      .option('-o, --output <file>', 'write the report here (default: stdout)')
      .option(
        '--against <reference>',
        'reference profile: docker, podman, containerd or a profile file',
        'docker',
      )
      .option('--arch <abi>', ARCH_HELP)
      .option(
        '--cap-add <caps>',
        'capabilities added to the container (comma-separated, repeatable)',
        collect,
        [],
      )
      .option(
        '--cap-drop <caps>',
        'capabilities dropped from the container (comma-separated, repeatable)',
        collect,
        [],
      )
      .option(
        '--kernel <version>',
        "host kernel to evaluate the reference for, e.g. 5.4 (default: this machine's)",
      ),
  )
    .addHelpText(
      'after',
      examples([
        'seccomp-learn report app.recording.json                      # text on a terminal',
        'seccomp-learn report run1.recording.json run2.recording.json -o review.md   # for a pull request',
        'seccomp-learn report app.recording.json app.json -o review.html             # recording + profile',
        'seccomp-learn report app.recording.json --cap-add SYS_ADMIN --kernel 5.4 --format json',
        'seccomp-learn report app.recording.json --widen equivalents -o review.md     # what --widen adds, and why',
      ]),
    )
    .action(async (inputs: string[], options) =>
      exit((await import('./commands/report.js')).runReport(inputs, options)),
    );

  return program;
}

/** Runs the CLI and returns the exit code; user errors are one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = buildProgram((returned) => {
    status = returned;
  });
  try {
    await program.parseAsync(argv);
    return status;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 1 ? 2 : error.exitCode;
    const { red } = style;
    if (error instanceof UserError) {
      for (const warning of error.warnings) warn(warning);
      // The message may quote an input (a file name, a line): its control characters are shown escaped.
      process.stderr.write(`${red('seccomp-learn: error:')} ${visibleLines(error.message)}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${red('seccomp-learn: internal error:')} ${visibleLines(message)}\n`);
    if (process.env.SECCOMP_LEARN_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 70;
  }
}
