import { CLONE_NAMESPACE_MASK } from '../syscalls/arguments.js';
import type { SeccompRule } from './model.js';

/**
 * Dangerous calls that Docker's default profile admits only for some arguments, in that same form
 * (data/reference/docker-default.json, moby/profiles seccomp/default.json). Widening adds such a
 * call in this form rather than not at all, so that a widened profile is never looser than Docker's
 * default where escapes start: a clone that creates namespaces, an unusual socket family, an
 * exotic persona still fail.
 */
export interface RestrictedForm {
  rules: SeccompRule[];
  /** What the form admits, in words. */
  admits: string;
}

const allowWhen = (name: string, args: SeccompRule['args'][]): SeccompRule[] =>
  args.map((condition) => ({ names: [name], action: 'SCMP_ACT_ALLOW', args: condition }));

export const RESTRICTED_FORMS: ReadonlyMap<string, RestrictedForm> = new Map([
  [
    'clone',
    {
      rules: allowWhen('clone', [[{ index: 0, value: CLONE_NAMESPACE_MASK, op: 'SCMP_CMP_MASKED_EQ' }]]),
      admits: 'without namespace flags (flags & 0x7e020000 == 0), as Docker allows it',
    },
  ],
  [
    'socket',
    {
      // AF_ALG (38) reaches the kernel's crypto code, AF_VSOCK (40) the hypervisor's sockets.
      rules: allowWhen('socket', [
        [{ index: 0, value: 38n, op: 'SCMP_CMP_LT' }],
        [{ index: 0, value: 39n, op: 'SCMP_CMP_EQ' }],
        [{ index: 0, value: 40n, op: 'SCMP_CMP_GT' }],
      ]),
      admits: 'for every address family but AF_ALG (38) and AF_VSOCK (40), as Docker allows it',
    },
  ],
  [
    'personality',
    {
      rules: allowWhen(
        'personality',
        [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn].map((persona) => [
          { index: 0, value: persona, op: 'SCMP_CMP_EQ' },
        ]),
      ),
      admits: 'for PER_LINUX, PER_LINUX32 (with UNAME26) and reading the persona only, as Docker allows it',
    },
  ],
]);
