import type { ArgsChoice } from '../profile/argument-rules.js';
import { ERRNO_EPERM, profileJson, type SeccompProfile, type SeccompRule } from '../profile/model.js';
import { stringifyJson } from '../util/json-exact.js';
import { appcWarnings, emitAppc } from './appc.js';
import { emitC } from './c.js';
import { emitFirejail } from './firejail.js';
import { emitLxc, emitLxcV1, lxcWarnings } from './lxc.js';
import { emitSystemd, systemdWarnings } from './systemd.js';

// biome-ignore format: one format a line, so that formats added side by side merge cleanly
export const PROFILE_FORMATS = [
  'docker',
  'oci',
  'spo',
  'lxc',
  'lxc-v1',
  'systemd',
  'appc',
  'c',
  'firejail',
] as const;
export type ProfileFormat = (typeof PROFILE_FORMATS)[number];

/**
 * The Security Profiles Operator serves SeccompProfile as v1 (from SPO v1.0.0, the storage version)
 * and v1beta1 (every release before, still served): both with the same schema
 * (data/spo/seccompprofile.crd.yaml).
 */
export const SPO_API_VERSIONS = ['v1', 'v1beta1'] as const;
export type SpoApiVersion = (typeof SPO_API_VERSIONS)[number];

export interface EmitOptions {
  /** The Kubernetes object's name for `spo`. */
  name: string;
  /** The SeccompProfile API version for `spo` (default v1). */
  spoApi?: SpoApiVersion;
  /** `none`: names only, for the formats that cannot carry argument rules (systemd, appc). */
  args?: ArgsChoice;
}

/** The architectures the SeccompProfile CRD's enum lists (LOONGARCH64, M68K, SH, SHEB are missing). */
const SPO_ARCHITECTURES: ReadonlySet<string> = new Set([
  'SCMP_ARCH_NATIVE',
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
]);

/** Kubernetes object names: lower-case RFC 1123 subdomain. */
function kubernetesName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return cleaned.slice(0, 253) || 'seccomp-learn-profile';
}

function spoRule(rule: SeccompRule): SeccompRule {
  return {
    names: rule.names,
    action: rule.action,
    ...(rule.errnoRet === undefined ? {} : { errnoRet: rule.errnoRet }),
    ...(rule.args && rule.args.length > 0 ? { args: rule.args } : {}),
  };
}

/**
 * The profile as a SeccompProfile `spec`: only the fields the CRD defines (strict field validation
 * refuses others, e.g. `defaultErrnoRet`), with what could not be expressed as warnings.
 */
export function spoSpec(profile: SeccompProfile): { spec: SeccompProfile; warnings: string[] } {
  const warnings: string[] = [];
  const errno = profile.defaultErrnoRet;
  if (profile.defaultAction === 'SCMP_ACT_ERRNO' && errno !== undefined && errno !== ERRNO_EPERM) {
    const spelled = (profile.syscalls ?? []).some(
      (rule) => rule.action === 'SCMP_ACT_ERRNO' && rule.errnoRet === errno,
    );
    warnings.push(
      spelled
        ? `SeccompProfile has no defaultErrnoRet: the syscalls libseccomp knows get errno ${errno} from an explicit rule, any newer one gets the runtime's EPERM`
        : `SeccompProfile has no defaultErrnoRet: refused calls get the runtime's EPERM, not errno ${errno}`,
    );
  }
  const architectures = profile.architectures?.filter((arch) => SPO_ARCHITECTURES.has(arch));
  const dropped = profile.architectures?.filter((arch) => !SPO_ARCHITECTURES.has(arch)) ?? [];
  if (dropped.length > 0) {
    warnings.push(
      `the SeccompProfile CRD does not accept ${dropped.join(', ')}: left out of architectures (the node's native ABI is always filtered)`,
    );
  }
  if (profile.archMap) warnings.push('archMap is not a SeccompProfile field: left out');
  const spec: SeccompProfile = {
    defaultAction: profile.defaultAction,
    ...(architectures && architectures.length > 0 ? { architectures } : {}),
    ...(profile.flags ? { flags: profile.flags } : {}),
    ...(profile.listenerPath ? { listenerPath: profile.listenerPath } : {}),
    ...(profile.listenerMetadata ? { listenerMetadata: profile.listenerMetadata } : {}),
    ...(profile.syscalls ? { syscalls: profile.syscalls.map(spoRule) } : {}),
  };
  return { spec, warnings };
}

/** What a format cannot carry of this profile, for the user to read before loading it. */
export function formatWarnings(
  profile: SeccompProfile,
  format: ProfileFormat,
  options: Pick<EmitOptions, 'args'> = {},
): string[] {
  switch (format) {
    case 'spo':
      return spoSpec(profile).warnings;
    case 'lxc':
      return lxcWarnings(profile, 2);
    case 'lxc-v1':
      return lxcWarnings(profile, 1);
    case 'systemd':
      return systemdWarnings(profile, options);
    case 'appc':
      return appcWarnings(profile, options);
    default:
      return [];
  }
}

/** The profile as the text a user loads. */
export async function emitProfile(
  profile: SeccompProfile,
  format: ProfileFormat,
  options: EmitOptions,
): Promise<string> {
  switch (format) {
    case 'docker':
      return profileJson(profile);
    case 'oci':
      return `${stringifyJson({ linux: { seccomp: profile } })}\n`;
    case 'spo': {
      const { stringify } = await import('yaml');
      const document = {
        apiVersion: `security-profiles-operator.x-k8s.io/${options.spoApi ?? 'v1'}`,
        kind: 'SeccompProfile',
        metadata: {
          name: kubernetesName(options.name),
          annotations: { 'generated-by': 'seccomp-learn' },
        },
        spec: spoSpec(profile).spec,
      };
      return stringify(document, { lineWidth: 0 });
    }
    case 'lxc':
      return emitLxc(profile);
    case 'lxc-v1':
      return emitLxcV1(profile);
    case 'systemd':
      return emitSystemd(profile, options);
    case 'appc':
      return emitAppc(profile, options);
    case 'c':
      return emitC(profile);
    case 'firejail':
      return emitFirejail(profile);
  }
}
